package webhooks_test

import rego.v1

import data.lib.fixtures as fx
import data.webhooks

configuration(kind, rules) := json.remove(fx.resource(kind, "policy", {
	"apiVersion": "admissionregistration.k8s.io/v1",
	"webhooks": [{
		"name": "policy.example.com",
		"clientConfig": {"service": {"namespace": "ns", "name": "policy"}},
		"rules": rules,
		"admissionReviewVersions": ["v1"],
		"sideEffects": "None",
	}],
}), ["metadata/namespace"])

deployments := {"apiGroups": ["apps"], "apiVersions": ["v1"], "operations": ["CREATE", "UPDATE"], "resources": ["deployments", "deployments/scale"]}

test_named_resources_allowed if {
	webhooks.deny_wildcard_webhook == set() with input as fx.input_for([
		configuration("MutatingWebhookConfiguration", [deployments]),
		configuration("ValidatingWebhookConfiguration", [object.union(deployments, {"operations": ["*"]})]),
	])
}

test_wildcard_rules_denied if {
	everything := {"apiGroups": ["*"], "apiVersions": ["*"], "operations": ["CREATE"], "resources": ["*/*"]}
	webhooks.deny_wildcard_webhook == {
		"MutatingWebhookConfiguration/policy: webhook 'policy.example.com' rules[1].apiGroups contains '*'; name what it is for",
		"MutatingWebhookConfiguration/policy: webhook 'policy.example.com' rules[1].resources contains '*/*'; name what it is for",
	} with input as fx.input_for([configuration("MutatingWebhookConfiguration", [deployments, everything])])
	webhooks.deny_wildcard_webhook == {
		"ValidatingWebhookConfiguration/policy: webhook 'policy.example.com' rules[0].resources contains '*'; name what it is for",
	} with input as fx.input_for([configuration("ValidatingWebhookConfiguration", [object.union(deployments, {"resources": ["*"]})])])
}
