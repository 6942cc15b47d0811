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

binding(kind, role, subjects) := fx.resource(kind, "everyone", {
	"apiVersion": "rbac.authorization.k8s.io/v1",
	"roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
	"subjects": subjects,
})

test_broad_role_for_named_subjects_allowed if {
	admins := binding("RoleBinding", "admin", [{"kind": "Group", "name": "fks-operators"}, {"kind": "ServiceAccount", "name": "deployer", "namespace": "ns"}])
	viewers := binding("ClusterRoleBinding", "view", [{"kind": "Group", "name": "system:authenticated"}])
	rbac.deny_public_binding == set() with input as fx.input_for([admins, viewers])
}

test_broad_role_for_everyone_denied if {
	editors := binding("RoleBinding", "edit", [{"kind": "Group", "name": "fks-operators"}, {"kind": "Group", "name": "system:authenticated"}])
	admins := json.remove(binding("ClusterRoleBinding", "cluster-admin", [{"kind": "User", "name": "system:anonymous"}]), ["metadata/namespace"])
	rbac.deny_public_binding == {
		"RoleBinding/ns/everyone: subjects[1] gives ClusterRole 'edit' to Group 'system:authenticated'; bind named accounts or groups",
		"ClusterRoleBinding/everyone: subjects[0] gives ClusterRole 'cluster-admin' to User 'system:anonymous'; bind named accounts or groups",
	} with input as fx.input_for([editors, admins])
}

test_reading_pods_and_logs_allowed if {
	rules := [pods_reader, {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get", "list"]}, {"apiGroups": ["apps"], "resources": ["deployments/scale"], "verbs": ["update"]}]
	rbac.deny_pod_exec == set() with input as fx.input_for([role(rules)])
}

test_exec_and_attach_denied if {
	rules := [{"apiGroups": [""], "resources": ["pods", "pods/exec"], "verbs": ["list", "create"]}, {"apiGroups": ["*"], "resources": ["pods/attach"], "verbs": ["*"]}, {"apiGroups": [""], "resources": ["*/exec"], "verbs": ["get"]}]
	rbac.deny_pod_exec == {
		"Role/ns/reader: rules[0] grants 'create' on pods/exec, a shell in the pods; remove it",
		"Role/ns/reader: rules[2] grants 'get' on */exec, a shell in the pods; remove it",
		"Role/ns/reader: rules[1] grants '*' on pods/attach, a shell in the pods; remove it",
	} with input as fx.input_for([role(rules)])
}

test_role_management_without_escalation_allowed if {
	rules := [{"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles", "rolebindings"], "verbs": ["get", "create", "update"]}]
	rbac.deny_escalating_verbs == set() with input as fx.input_for([role(rules)])
}

test_escalate_bind_impersonate_denied if {
	rules := [
		{"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles"], "verbs": ["bind", "escalate"]},
		{"apiGroups": [""], "resources": ["serviceaccounts"], "verbs": ["impersonate"]},
	]
	rbac.deny_escalating_verbs == {
		"Role/ns/reader: rules[0] grants 'bind', which goes beyond the role's own permissions; remove it",
		"Role/ns/reader: rules[0] grants 'escalate', which goes beyond the role's own permissions; remove it",
		"Role/ns/reader: rules[1] grants 'impersonate', which goes beyond the role's own permissions; remove it",
	} with input as fx.input_for([role(rules)])
}
