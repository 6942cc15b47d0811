# ServiceAccount tokens are mounted only where a pod needs to talk to the API server.
package service_accounts

import rego.v1

import data.lib.kubernetes as k8s

# "namespace/name" of every ServiceAccount that turns token automounting off.
tokenless := {account_key(k8s.namespace(sa), sa.metadata.name) |
	some sa in k8s.objects
	sa.kind == "ServiceAccount"
	sa.automountServiceAccountToken == false
}

# "namespace/name" of every ServiceAccount a RoleBinding or ClusterRoleBinding grants a role to:
# the only accounts whose token is worth anything to their pods. A subject without a namespace is
# in its binding's.
bound := {account_key(object.get(subject, "namespace", k8s.namespace(binding)), subject.name) |
	some binding in k8s.objects
	binding.kind in {"RoleBinding", "ClusterRoleBinding"}
	some subject in object.get(binding, "subjects", [])
	subject.kind == "ServiceAccount"
}

# METADATA
# title: No automounted token
# description: >-
#   A pod gets no API token unless it needs one: its ServiceAccount sets automountServiceAccountToken: false,
#   or the pod sets automountServiceAccountToken itself. The pod sets true only on purpose, when it calls
#   the API (like Prometheus): then some RoleBinding or ClusterRoleBinding grants its ServiceAccount a role.
deny_automount_token contains msg if {
	some p in k8s.pods
	not k8s.has_key(p.spec, "automountServiceAccountToken")
	account := service_account(p.spec)
	not account_key(p.namespace, account) in tokenless
	msg := sprintf("%s: pod automounts the token of ServiceAccount '%s'; set automountServiceAccountToken: false on it or on the pod", [p.id, account])
}

deny_automount_token contains msg if {
	some p in k8s.pods
	p.spec.automountServiceAccountToken == true
	account := service_account(p.spec)
	not account_key(p.namespace, account) in bound
	msg := sprintf("%s: pod sets automountServiceAccountToken: true, but no RoleBinding grants ServiceAccount '%s' a role; set it to false", [p.id, account])
}

service_account(spec) := object.get(spec, "serviceAccountName", object.get(spec, "serviceAccount", "default"))

account_key(namespace, name) := sprintf("%s/%s", [namespace, name])
