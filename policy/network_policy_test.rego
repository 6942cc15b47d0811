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

# A NetworkPolicy of the pods of "app" with the given ingress and egress rules.
rules(ingress, egress) := fx.resource("NetworkPolicy", "np", {"apiVersion": "networking.k8s.io/v1", "spec": {
	"podSelector": {"matchLabels": {"app.kubernetes.io/name": "app"}},
	"policyTypes": ["Ingress", "Egress"],
	"ingress": ingress,
	"egress": egress,
}})

test_named_peers_or_ports_allowed if {
	ingress := [
		{"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}]},
		{"from": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}}}]},
		{"from": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["169.254.169.254/32"]}}]},
	]
	egress := [{"ports": [{"protocol": "TCP", "port": 443}]}, {"to": [{"ipBlock": {"cidr": "::/0"}}], "ports": [{"port": 53}]}]
	network_policy.deny_allow_all == set() with input as fx.input_for([rules(ingress, egress)])
}

test_allow_all_rules_denied if {
	ingress := [{}, {"from": [{"namespaceSelector": {}}]}, {"from": [{"podSelector": {"matchLabels": {"a": "b"}}}, {"ipBlock": {"cidr": "0.0.0.0/0"}}]}]
	egress := [{"to": [{"namespaceSelector": {"matchLabels": {}}, "podSelector": {}}]}, {"to": [{"ipBlock": {"cidr": "::/0", "except": []}}]}]
	network_policy.deny_allow_all == {
		"NetworkPolicy/ns/np: spec.ingress[0] allows every peer on every port; name the peers or the ports",
		"NetworkPolicy/ns/np: spec.ingress[1] allows every peer on every port; name the peers or the ports",
		"NetworkPolicy/ns/np: spec.ingress[2] allows every peer on every port; name the peers or the ports",
		"NetworkPolicy/ns/np: spec.egress[0] allows every peer on every port; name the peers or the ports",
		"NetworkPolicy/ns/np: spec.egress[1] allows every peer on every port; name the peers or the ports",
	} with input as fx.input_for([rules(ingress, egress)])
}
