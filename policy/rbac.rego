# RBAC: least privilege in Roles and ClusterRoles, and no broad role bound to everyone.
package rbac

import rego.v1

import data.lib.kubernetes as k8s

role_kinds := {"Role", "ClusterRole"}

read_verbs := {"get", "list", "watch", "*"}

# The built-in roles that write (edit, admin) or own (cluster-admin) what they are bound on.
# https://kubernetes.io/docs/reference/access-authn-authz/rbac/#user-facing-roles
broad_roles := {"cluster-admin", "admin", "edit"}

# Every caller, signed in or not.
everyone := {"system:authenticated", "system:unauthenticated", "system:anonymous"}

# pods/exec and pods/attach, and the */exec form RBAC also matches them with.
shell_resources := {"pods/exec", "pods/attach", "*/exec", "*/attach"}

# Verbs that step around RBAC itself.
# https://kubernetes.io/docs/concepts/security/rbac-good-practices/#escalate-verb
escalating_verbs := {"escalate", "bind", "impersonate"}

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

# METADATA
# title: No broad role for everyone
# description: >-
#   No RoleBinding or ClusterRoleBinding gives cluster-admin, admin or edit to system:authenticated,
#   system:unauthenticated or system:anonymous, as a Group or a User.
deny_public_binding contains msg if {
	some obj in k8s.objects
	obj.kind in {"RoleBinding", "ClusterRoleBinding"}
	obj.roleRef.kind == "ClusterRole"
	obj.roleRef.name in broad_roles
	some i, subject in object.get(obj, "subjects", [])
	subject.kind in {"Group", "User"}
	subject.name in everyone
	msg := sprintf("%s: subjects[%d] gives ClusterRole '%s' to %s '%s'; bind named accounts or groups", [k8s.id(obj), i, obj.roleRef.name, subject.kind, subject.name])
}

# METADATA
# title: No exec or attach into pods
# description: >-
#   No Role grants create, get or "*" on pods/exec or pods/attach: either runs commands in the
#   namespace's pods, with their ServiceAccounts and secrets. kubectl asks for create; clients
#   that connect over WebSocket send a GET, which older API servers authorize as get.
deny_pod_exec contains msg if {
	some obj in k8s.objects
	obj.kind in role_kinds
	some i, rule in object.get(obj, "rules", [])
	core_group(rule)
	some verb in object.get(rule, "verbs", [])
	verb in {"create", "get", "*"}
	some resource in object.get(rule, "resources", [])
	resource in shell_resources
	msg := sprintf("%s: rules[%d] grants '%s' on %s, a shell in the pods; remove it", [k8s.id(obj), i, verb, resource])
}

# METADATA
# title: No escalate, bind or impersonate
# description: >-
#   No Role grants escalate or bind (writing or binding roles beyond its own permissions) or
#   impersonate (acting as another user, group or ServiceAccount).
deny_escalating_verbs contains msg if {
	some obj in k8s.objects
	obj.kind in role_kinds
	some i, rule in object.get(obj, "rules", [])
	some verb in object.get(rule, "verbs", [])
	verb in escalating_verbs
	msg := sprintf("%s: rules[%d] grants '%s', which goes beyond the role's own permissions; remove it", [k8s.id(obj), i, verb])
}

core_group(rule) if "" in object.get(rule, "apiGroups", [])

core_group(rule) if "*" in object.get(rule, "apiGroups", [])
