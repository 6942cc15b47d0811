# The recommended app.kubernetes.io labels, on every object and every pod template.
# https://kubernetes.io/docs/concepts/overview/working-with-objects/common-labels/
package labels

import rego.v1

import data.lib.kubernetes as k8s

required := [
	"app.kubernetes.io/name",
	"app.kubernetes.io/component",
	"app.kubernetes.io/part-of",
	"app.kubernetes.io/managed-by",
]

required_on_pods := ["app.kubernetes.io/name", "app.kubernetes.io/component"]

# METADATA
# title: Recommended labels
# description: Every object carries app.kubernetes.io/name, component, part-of and managed-by.
deny_missing_labels contains msg if {
	some obj in k8s.objects
	missing := [key | some key in required; not k8s.labels(obj)[key]]
	count(missing) > 0
	msg := sprintf("%s: missing labels %s", [k8s.id(obj), concat(", ", missing)])
}

# METADATA
# title: Pod template labels
# description: Pod templates carry app.kubernetes.io/name and component, so selectors, dashboards and alerts can find the pods.
deny_missing_pod_labels contains msg if {
	some p in k8s.pods
	p.kind != "Pod"
	missing := [key | some key in required_on_pods; not p.labels[key]]
	count(missing) > 0
	msg := sprintf("%s: pod template is missing labels %s", [p.id, concat(", ", missing)])
}
