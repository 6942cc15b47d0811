package network_policy_test

import rego.v1

import data.lib.fixtures as fx
import data.network_policy

policy(selector) := fx.resource("NetworkPolicy", "np", {"apiVersion": "networking.k8s.io/v1", "spec": {"podSelector": selector}})

app := fx.deployment("app", fx.pod_spec)

uncovered := "Deployment/ns/app: no NetworkPolicy in namespace 'ns' selects its pods (labels app.kubernetes.io/component=app,app.kubernetes.io/managed-by=kustomize,app.kubernetes.io/name=app,app.kubernetes.io/part-of=fks-trading)"

test_matching_policy_allowed if {
	network_policy.deny_uncovered_workload == set() with input as fx.input_for(fx.compliant)
}

test_empty_selector_selects_all if {
	network_policy.deny_uncovered_workload == set() with input as fx.input_for([app, policy({})])
}

test_expressions_allowed if {
	selector := {
		"matchLabels": {"app.kubernetes.io/part-of": "fks-trading"},
		"matchExpressions": [
			{"key": "app.kubernetes.io/name", "operator": "In", "values": ["app", "web"]},
			{"key": "app.kubernetes.io/component", "operator": "NotIn", "values": ["db"]},
			{"key": "app.kubernetes.io/managed-by", "operator": "Exists"},
			{"key": "tier", "operator": "DoesNotExist"},
		],
	}
	network_policy.deny_uncovered_workload == set() with input as fx.input_for([app, policy(selector)])
}

test_no_policy_denied if {
	network_policy.deny_uncovered_workload == {uncovered} with input as fx.input_for([app])
}

test_policy_in_other_namespace_denied if {
	other := json.patch(policy({}), [{"op": "replace", "path": "/metadata/namespace", "value": "other"}])
	network_policy.deny_uncovered_workload == {uncovered} with input as fx.input_for([app, other])
}

test_label_mismatch_denied if {
	network_policy.deny_uncovered_workload == {uncovered} with input as fx.input_for([app, policy({"matchLabels": {"app.kubernetes.io/name": "web"}})])
}

test_failing_expression_denied if {
	every op in ["NotIn", "DoesNotExist"] {
		selector := {"matchExpressions": [{"key": "app.kubernetes.io/name", "operator": op, "values": ["app"]}]}
		network_policy.deny_uncovered_workload == {uncovered} with input as fx.input_for([app, policy(selector)])
	}
}

test_unlabelled_pods_denied if {
	bare := json.remove(app, ["spec/template/metadata"])
	network_policy.deny_uncovered_workload == {"Deployment/ns/app: no NetworkPolicy in namespace 'ns' selects its pods (labels none)"} with input as fx.input_for([bare, policy({"matchLabels": {"app.kubernetes.io/name": "app"}})])
}
