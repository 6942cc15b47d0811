package service_accounts_test

import rego.v1

import data.lib.fixtures as fx
import data.service_accounts

token_message := "Deployment/ns/app: pod automounts the token of ServiceAccount 'app'; set automountServiceAccountToken: false on it or on the pod"

test_account_without_token_allowed if {
	service_accounts.deny_automount_token == set() with input as fx.input_for(fx.compliant)
}

test_pod_opting_out_allowed if {
	account := fx.resource("ServiceAccount", "app", {})
	service_accounts.deny_automount_token == set() with input as fx.input_for([fx.with_pod({"automountServiceAccountToken": false}), account])
}

# A RoleBinding of the Role "reader" to the subjects.
binding(subjects) := fx.resource("RoleBinding", "app", {
	"apiVersion": "rbac.authorization.k8s.io/v1",
	"roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"},
	"subjects": subjects,
})

test_pod_asking_for_token_on_purpose_allowed if {
	pod := fx.with_pod({"automountServiceAccountToken": true})
	service_accounts.deny_automount_token == set() with input as fx.input_for([pod, fx.service_account, binding([{"kind": "ServiceAccount", "name": "app"}])])
	cluster_wide := json.patch(binding([{"kind": "ServiceAccount", "name": "app", "namespace": "ns"}]), [{"op": "replace", "path": "/kind", "value": "ClusterRoleBinding"}])
	service_accounts.deny_automount_token == set() with input as fx.input_for([pod, fx.service_account, cluster_wide])
}

test_pod_asking_for_token_without_a_role_denied if {
	pod := fx.with_pod({"automountServiceAccountToken": true})
	elsewhere := binding([{"kind": "ServiceAccount", "name": "app", "namespace": "other"}, {"kind": "User", "name": "app"}])
	service_accounts.deny_automount_token == {"Deployment/ns/app: pod sets automountServiceAccountToken: true, but no RoleBinding grants ServiceAccount 'app' a role; set it to false"} with input as fx.input_for([pod, fx.service_account, elsewhere])
}

test_account_with_token_denied if {
	account := fx.resource("ServiceAccount", "app", {"automountServiceAccountToken": true})
	service_accounts.deny_automount_token == {token_message} with input as fx.input_for([fx.deployment("app", fx.pod_spec), account])
}

test_account_in_other_namespace_does_not_count if {
	account := json.patch(fx.service_account, [{"op": "replace", "path": "/metadata/namespace", "value": "other"}])
	service_accounts.deny_automount_token == {token_message} with input as fx.input_for([fx.deployment("app", fx.pod_spec), account])
}

test_default_account_denied if {
	pod := fx.deployment("app", json.remove(fx.pod_spec, ["serviceAccountName"]))
	service_accounts.deny_automount_token == {"Deployment/ns/app: pod automounts the token of ServiceAccount 'default'; set automountServiceAccountToken: false on it or on the pod"} with input as fx.input_for([pod])
}
