package rbac_test

import rego.v1

import data.lib.fixtures as fx
import data.rbac

role(rules) := fx.resource("Role", "reader", {"apiVersion": "rbac.authorization.k8s.io/v1", "rules": rules})

pods_reader := {"apiGroups": [""], "resources": ["pods", "endpoints"], "verbs": ["get", "list", "watch"]}

test_named_rules_allowed if {
	rbac.deny_wildcard == set() with input as fx.input_for([role([pods_reader])])
	rbac.deny_secret_read == set() with input as fx.input_for([role([pods_reader])])
}

test_wildcard_denied if {
	rules := [pods_reader, {"apiGroups": ["*"], "resources": ["pods"], "verbs": ["*"]}]
	rbac.deny_wildcard == {
		"Role/ns/reader: rules[1].apiGroups contains '*'; name what is needed",
		"Role/ns/reader: rules[1].verbs contains '*'; name what is needed",
	} with input as fx.input_for([role(rules)])
}

test_wildcard_in_cluster_role_denied if {
	cluster_role := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "all"}, "rules": [{"apiGroups": [""], "resources": ["*"], "verbs": ["get"]}]}
	rbac.deny_wildcard == {"ClusterRole/all: rules[0].resources contains '*'; name what is needed"} with input as fx.input_for([cluster_role])
}

test_secret_write_only_allowed if {
	rbac.deny_secret_read == set() with input as fx.input_for([role([{"apiGroups": [""], "resources": ["secrets"], "verbs": ["create"]}])])
}

test_secret_read_denied if {
	rules := [{"apiGroups": [""], "resources": ["configmaps", "secrets"], "verbs": ["list", "get"]}]
	rbac.deny_secret_read == {"Role/ns/reader: rules[0] grants 'get, list' on secrets"} with input as fx.input_for([role(rules)])
}
