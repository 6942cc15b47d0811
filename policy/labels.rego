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

# The labels describe a running part of the platform, for the selectors, dashboards and alerts
# that look for it. An Application or AppProject (argocd/) is no such part: nothing selects it
# by label, Argo CD finds it by name and project, and Argo CD itself writes
# app.kubernetes.io/instance onto what it syncs. Only these kinds of argoproj.io are exempt;
# anything else placed in argocd/ still needs the labels.
argocd_kinds := {"Application", "ApplicationSet", "AppProject"}

argocd_object(obj) if {
	startswith(obj.apiVersion, "argoproj.io/")
	obj.kind in argocd_kinds
}

# METADATA
# title: Recommended labels
# description: >-
#   Every object carries app.kubernetes.io/name, component, part-of and managed-by;
#   Argo CD's own Application and AppProject objects are exempt (see argocd_kinds).
deny_missing_labels contains msg if {
	some obj in k8s.objects
	not argocd_object(obj)
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
