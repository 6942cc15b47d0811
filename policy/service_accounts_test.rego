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

test_pod_asking_for_token_on_purpose_allowed if {
	service_accounts.deny_automount_token == set() with input as fx.input_for([fx.with_pod({"automountServiceAccountToken": true}), fx.service_account])
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
