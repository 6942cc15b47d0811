# RBAC: least privilege in Roles and ClusterRoles.
package rbac

import rego.v1

import data.lib.kubernetes as k8s

role_kinds := {"Role", "ClusterRole"}

read_verbs := {"get", "list", "watch", "*"}

# METADATA
# title: No wildcards
# description: A Role grants named verbs on named resources of named API groups, never "*".
deny_wildcard contains msg if {
	some obj in k8s.objects
	obj.kind in role_kinds
	some i, rule in object.get(obj, "rules", [])
	some field in ["apiGroups", "resources", "verbs"]
	"*" in object.get(rule, field, [])
	msg := sprintf("%s: rules[%d].%s contains '*'; name what is needed", [k8s.id(obj), i, field])
}

# METADATA
# title: No read access to secrets
# description: Reading Secrets reads every credential in the namespace; no Role grants get, list or watch on them.
deny_secret_read contains msg if {
	some obj in k8s.objects
	obj.kind in role_kinds
	some i, rule in object.get(obj, "rules", [])
	"secrets" in object.get(rule, "resources", [])
	core_group(rule)
	verbs := {v | some v in object.get(rule, "verbs", []); v in read_verbs}
	count(verbs) > 0
	msg := sprintf("%s: rules[%d] grants '%s' on secrets", [k8s.id(obj), i, concat(", ", sort(verbs))])
}

core_group(rule) if "" in object.get(rule, "apiGroups", [])

core_group(rule) if "*" in object.get(rule, "apiGroups", [])
