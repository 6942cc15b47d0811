# Pod Security Standards, "restricted" profile, for every pod template and bare Pod.
# https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
package pod_security

import rego.v1

import data.lib.kubernetes as k8s

# METADATA
# title: Containers run as a non-root user
# description: >-
#   runAsNonRoot must be true on the container or, failing that, on the pod,
#   and no container may ask for UID 0.
deny_run_as_root contains msg if {
	some [p, c] in k8s.pod_containers
	not run_as_non_root(p, c)
	msg := sprintf("%s: container '%s' does not set runAsNonRoot: true", [p.id, c.name])
}

deny_run_as_root contains msg if {
	some [p, c] in k8s.pod_containers
	run_as_user(p, c) == 0
	msg := sprintf("%s: container '%s' runs as runAsUser: 0; use a non-zero UID", [p.id, c.name])
}

# METADATA
# title: No privilege escalation
# description: Every container sets securityContext.allowPrivilegeEscalation to false.
deny_privilege_escalation contains msg if {
	some [p, c] in k8s.pod_containers
	not k8s.security_context(c).allowPrivilegeEscalation == false
	msg := sprintf("%s: container '%s' allows privilege escalation; set allowPrivilegeEscalation: false", [p.id, c.name])
}

# METADATA
# title: Capabilities are dropped
# description: >-
#   Every container drops ALL capabilities and adds back nothing but NET_BIND_SERVICE.
deny_capabilities contains msg if {
	some [p, c] in k8s.pod_containers
	not "ALL" in object.get(k8s.security_context(c), ["capabilities", "drop"], [])
	msg := sprintf("%s: container '%s' does not drop ALL capabilities; set capabilities.drop: [ALL]", [p.id, c.name])
}

deny_capabilities contains msg if {
	some [p, c] in k8s.pod_containers
	some cap in object.get(k8s.security_context(c), ["capabilities", "add"], [])
	cap != "NET_BIND_SERVICE"
	msg := sprintf("%s: container '%s' adds capability '%s'", [p.id, c.name, cap])
}

# METADATA
# title: A seccomp profile is set
# description: >-
#   The seccomp profile type, from the container or else the pod, is RuntimeDefault or Localhost.
deny_seccomp contains msg if {
	some [p, c] in k8s.pod_containers
	not seccomp_type(p, c) in {"RuntimeDefault", "Localhost"}
	msg := sprintf("%s: container '%s' has seccompProfile type '%s'; use RuntimeDefault", [p.id, c.name, seccomp_type(p, c)])
}

# METADATA
# title: No host namespaces
# description: Pods do not share the node's network, PID or IPC namespace.
deny_host_namespaces contains msg if {
	some p in k8s.pods
	some field in ["hostNetwork", "hostPID", "hostIPC"]
	p.spec[field] == true
	msg := sprintf("%s: pod sets %s: true", [p.id, field])
}

# METADATA
# title: No host ports
# description: No container port is bound to a port of the node.
deny_host_port contains msg if {
	some [p, c] in k8s.pod_containers
	some port in object.get(c, "ports", [])
	object.get(port, "hostPort", 0) != 0
	msg := sprintf("%s: container '%s' uses hostPort %v", [p.id, c.name, port.hostPort])
}

# METADATA
# title: No hostPath volumes
# description: Pods do not mount directories of the node.
deny_host_path contains msg if {
	some p in k8s.pods
	some volume in object.get(p.spec, "volumes", [])
	volume.hostPath
	msg := sprintf("%s: volume '%s' mounts hostPath '%s'", [p.id, volume.name, object.get(volume.hostPath, "path", "")])
}

# METADATA
# title: No privileged containers
# description: No container sets securityContext.privileged to true.
deny_privileged contains msg if {
	some [p, c] in k8s.pod_containers
	k8s.security_context(c).privileged == true
	msg := sprintf("%s: container '%s' is privileged", [p.id, c.name])
}

run_as_non_root(p, c) if k8s.security_context(c).runAsNonRoot == true

run_as_non_root(p, c) if {
	not k8s.has_key(k8s.security_context(c), "runAsNonRoot")
	k8s.pod_security_context(p).runAsNonRoot == true
}

run_as_user(p, c) := k8s.security_context(c).runAsUser

run_as_user(p, c) := k8s.pod_security_context(p).runAsUser if not k8s.has_key(k8s.security_context(c), "runAsUser")

seccomp_type(p, c) := t if {
	t := k8s.security_context(c).seccompProfile.type
} else := t if {
	t := k8s.pod_security_context(p).seccompProfile.type
} else := "unset"
