# ServiceAccount tokens are mounted only where a pod needs to talk to the API server.
package service_accounts

import rego.v1

import data.lib.kubernetes as k8s

# "namespace/name" of every ServiceAccount that turns token automounting off.
tokenless := {sprintf("%s/%s", [k8s.namespace(sa), sa.metadata.name]) |
	some sa in k8s.objects
	sa.kind == "ServiceAccount"
	sa.automountServiceAccountToken == false
}

# METADATA
# title: No automounted token
# description: >-
#   A pod gets no API token unless it asks: its ServiceAccount sets automountServiceAccountToken: false,
#   or the pod sets automountServiceAccountToken itself (true on purpose when it calls the API, like Prometheus).
deny_automount_token contains msg if {
	some p in k8s.pods
	not k8s.has_key(p.spec, "automountServiceAccountToken")
	account := service_account(p.spec)
	not sprintf("%s/%s", [p.namespace, account]) in tokenless
	msg := sprintf("%s: pod automounts the token of ServiceAccount '%s'; set automountServiceAccountToken: false on it or on the pod", [p.id, account])
}

service_account(spec) := object.get(spec, "serviceAccountName", object.get(spec, "serviceAccount", "default"))
