# Every workload is selected by a NetworkPolicy, so no pod is left with the cluster's default
# allow-all, and no NetworkPolicy brings the allow-all back.
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

# METADATA
# title: No allow-all rule
# description: >-
#   No ingress or egress rule lets every peer through on every port. A rule opens every port when
#   it names no ports, and lets every peer through when it names no peers (`{}`) or names one that
#   matches everything: an ipBlock of 0.0.0.0/0 or ::/0 without except, or a namespaceSelector
#   that selects every namespace with no podSelector, or one that selects every pod. A rule that
#   names its ports passes, such as egress to DNS or to 443 on any address.
deny_allow_all contains msg if {
	some np in policies
	some direction, peers in {"ingress": "from", "egress": "to"}
	some i, rule in object.get(np.spec, direction, [])
	count(object.get(rule, "ports", [])) == 0
	every_peer(object.get(rule, peers, []))
	msg := sprintf("%s: spec.%s[%d] allows every peer on every port; name the peers or the ports", [k8s.id(np), direction, i])
}

every_peer(peers) if count(peers) == 0

every_peer(peers) if {
	some peer in peers
	catch_all(peer)
}

catch_all(peer) if {
	peer.ipBlock.cidr in {"0.0.0.0/0", "::/0"}
	count(object.get(peer.ipBlock, "except", [])) == 0
}

catch_all(peer) if {
	selects_all(peer.namespaceSelector)
	selects_all(object.get(peer, "podSelector", {}))
}

selects_all(selector) if {
	count(object.get(selector, "matchLabels", {})) == 0
	count(object.get(selector, "matchExpressions", [])) == 0
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
