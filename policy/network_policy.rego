# Every workload is selected by a NetworkPolicy, so no pod is left with the cluster's default allow-all.
package network_policy

import rego.v1

import data.lib.kubernetes as k8s
import data.lib.selectors

# namespace -> the podSelectors of its NetworkPolicies.
pod_selectors := {namespace: [object.get(np.spec, "podSelector", {}) |
	some np in policies
	k8s.namespace(np) == namespace
] |
	some namespace in {k8s.namespace(np) | some np in policies}
}

policies := [obj | some obj in k8s.objects; obj.kind == "NetworkPolicy"]

# METADATA
# title: A NetworkPolicy covers every workload
# description: >-
#   The pod template of every Deployment, StatefulSet and DaemonSet is selected by the podSelector
#   of some NetworkPolicy in its namespace.
deny_uncovered_workload contains msg if {
	some p in k8s.pods
	p.kind in {"Deployment", "StatefulSet", "DaemonSet"}
	not selected_by_key(p)
	not selected(p)
	msg := sprintf("%s: no NetworkPolicy in namespace '%s' selects its pods (labels %s)", [p.id, p.namespace, label_text(p.labels)])
}

# The usual selectors are plain matchLabels. Looking those up by key keeps the check linear;
# selected() is the full, slower match, tried only when no key fits.
plain_selectors := {selector_key(k8s.namespace(np), object.get(selector, "matchLabels", {})) |
	some np in policies
	selector := object.get(np.spec, "podSelector", {})
	count(object.get(selector, "matchExpressions", [])) == 0
}

selector_key(namespace, labels) := sprintf("%s|%s", [namespace, concat(",", sort([sprintf("%s=%s", [k, v]) | some k, v in labels]))])

selected_by_key(p) if selector_key(p.namespace, {}) in plain_selectors

selected_by_key(p) if {
	some k, v in p.labels
	selector_key(p.namespace, {k: v}) in plain_selectors
}

selected_by_key(p) if selector_key(p.namespace, p.labels) in plain_selectors

selected(p) if {
	some selector in pod_selectors[p.namespace]
	selectors.matches(selector, p.labels)
}

label_text(labels) := text if {
	count(labels) > 0
	text := concat(",", sort([sprintf("%s=%s", [k, v]) | some k, v in labels]))
} else := "none"
