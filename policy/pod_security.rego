# Pod Security Standards, "restricted" profile, for every pod template and bare Pod, and for
# all of its containers: regular, init and ephemeral.
# https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
package pod_security

import rego.v1

import data.lib.kubernetes as k8s

# The values each control allows, as the Pod Security Standards list them.
confined_profiles := {"RuntimeDefault", "Localhost"}

selinux_types := {"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}

# Namespaced and isolated from the node and its other pods (baseline "Sysctls" control).
safe_sysctls := {
	"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
	"net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
	"net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
	"net.ipv4.tcp_keepalive_probes",
}

# The restricted profile's "Volume Types" control; hostPath has a rule of its own.
volume_types := {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"}

apparmor_annotation := "container.apparmor.security.beta.kubernetes.io/"

# [pod, who, securityContext] for the pod and each of its containers, every place a setting can
# be made; `who` starts the message, "pod" or "container 'name'", so validate finds the line.
security_contexts := array.concat(
	[[p, "pod", k8s.pod_security_context(p)] | some p in k8s.pods],
	[[p, sprintf("container '%s'", [c.name]), k8s.security_context(c)] | some [p, c] in k8s.pod_all_containers],
)

# METADATA
# title: Containers run as a non-root user
# description: >-
#   runAsNonRoot must be true on the container or, failing that, on the pod,
#   and no container may ask for UID 0.
deny_run_as_root contains msg if {
	some [p, c] in k8s.pod_all_containers
	not run_as_non_root(p, c)
	msg := sprintf("%s: container '%s' does not set runAsNonRoot: true", [p.id, c.name])
}

deny_run_as_root contains msg if {
	some [p, c] in k8s.pod_all_containers
	run_as_user(p, c) == 0
	msg := sprintf("%s: container '%s' runs as runAsUser: 0; use a non-zero UID", [p.id, c.name])
}

# METADATA
# title: No privilege escalation
# description: Every container sets securityContext.allowPrivilegeEscalation to false.
deny_privilege_escalation contains msg if {
	some [p, c] in k8s.pod_all_containers
	not k8s.security_context(c).allowPrivilegeEscalation == false
	msg := sprintf("%s: container '%s' allows privilege escalation; set allowPrivilegeEscalation: false", [p.id, c.name])
}

# METADATA
# title: Capabilities are dropped
# description: >-
#   Every container drops ALL capabilities and adds back nothing but NET_BIND_SERVICE.
deny_capabilities contains msg if {
	some [p, c] in k8s.pod_all_containers
	not "ALL" in object.get(k8s.security_context(c), ["capabilities", "drop"], [])
	msg := sprintf("%s: container '%s' does not drop ALL capabilities; set capabilities.drop: [ALL]", [p.id, c.name])
}

deny_capabilities contains msg if {
	some [p, c] in k8s.pod_all_containers
	some cap in object.get(k8s.security_context(c), ["capabilities", "add"], [])
	cap != "NET_BIND_SERVICE"
	msg := sprintf("%s: container '%s' adds capability '%s'", [p.id, c.name, cap])
}

# METADATA
# title: A seccomp profile is set
# description: >-
#   The seccomp profile type, from the container or else the pod, is RuntimeDefault or Localhost;
#   and the pod itself never sets Unconfined, even when its containers set their own profile.
deny_seccomp contains msg if {
	some [p, c] in k8s.pod_all_containers
	not seccomp_type(p, c) in confined_profiles
	not inherits_unconfined(p, c)
	msg := sprintf("%s: container '%s' has seccompProfile type '%s'; use RuntimeDefault", [p.id, c.name, seccomp_type(p, c)])
}

deny_seccomp contains msg if {
	some p in k8s.pods
	k8s.pod_security_context(p).seccompProfile.type == "Unconfined"
	msg := sprintf("%s: pod sets securityContext.seccompProfile.type 'Unconfined'; use RuntimeDefault", [p.id])
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
	some [p, c] in k8s.pod_all_containers
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
	some [p, c] in k8s.pod_all_containers
	k8s.security_context(c).privileged == true
	msg := sprintf("%s: container '%s' is privileged", [p.id, c.name])
}

# METADATA
# title: An AppArmor profile confines every container
# description: >-
#   appArmorProfile.type, on the pod or a container, is RuntimeDefault or Localhost when set; the
#   older container.apparmor.security.beta.kubernetes.io/<container> annotation on the pod template
#   is runtime/default or localhost/<profile>.
deny_apparmor contains msg if {
	some [p, who, context] in security_contexts
	type := context.appArmorProfile.type
	not type in confined_profiles
	msg := sprintf("%s: %s sets securityContext.appArmorProfile.type '%s'; use RuntimeDefault", [p.id, who, type])
}

deny_apparmor contains msg if {
	some p in k8s.pods
	some key, value in p.annotations
	startswith(key, apparmor_annotation)
	value != "runtime/default"
	not startswith(sprintf("%v", [value]), "localhost/")
	msg := sprintf("%s: pod annotation '%s' is '%s'; use runtime/default", [p.id, key, value])
}

# METADATA
# title: No custom SELinux options
# description: >-
#   seLinuxOptions, on the pod or a container, sets no user and no role, and a type only from
#   container_t, container_init_t, container_kvm_t and container_engine_t.
deny_selinux contains msg if {
	some [p, who, context] in security_contexts
	type := object.get(context, ["seLinuxOptions", "type"], "")
	not type in selinux_types
	msg := sprintf("%s: %s sets securityContext.seLinuxOptions.type '%s'; use container_t or leave it unset", [p.id, who, type])
}

deny_selinux contains msg if {
	some [p, who, context] in security_contexts
	some field in ["user", "role"]
	value := object.get(context, ["seLinuxOptions", field], "")
	value != ""
	msg := sprintf("%s: %s sets securityContext.seLinuxOptions.%s '%s'; remove it", [p.id, who, field, value])
}

# METADATA
# title: /proc is masked
# description: No container sets procMount to anything but Default; Unmasked exposes the node's /proc paths.
deny_proc_mount contains msg if {
	some [p, who, context] in security_contexts
	mount := object.get(context, "procMount", "Default")
	mount != "Default"
	msg := sprintf("%s: %s sets securityContext.procMount '%s'; remove it", [p.id, who, mount])
}

# METADATA
# title: Only safe sysctls
# description: >-
#   The pod sets only sysctls of the Pod Security Standards' safe set (safe_sysctls): namespaced,
#   and isolated from the node and its other pods.
deny_sysctls contains msg if {
	some p in k8s.pods
	some sysctl in object.get(k8s.pod_security_context(p), "sysctls", [])
	not sysctl.name in safe_sysctls
	msg := sprintf("%s: pod sets securityContext.sysctls '%s', not a safe sysctl; remove it", [p.id, sysctl.name])
}

# METADATA
# title: Only restricted volume types
# description: >-
#   Every volume is a configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim,
#   projected or secret volume; other storage is reached through a PersistentVolumeClaim.
deny_volume_types contains msg if {
	some p in k8s.pods
	some volume in object.get(p.spec, "volumes", [])
	some type, _ in volume
	not type in (volume_types | {"name", "hostPath"})
	msg := sprintf("%s: volume '%s' is of type '%s'; use a persistentVolumeClaim", [p.id, volume.name, type])
}

# METADATA
# title: No Windows HostProcess containers
# description: Neither the pod nor a container sets windowsOptions.hostProcess to true; it runs with the node's privileges.
deny_host_process contains msg if {
	some [p, who, context] in security_contexts
	context.windowsOptions.hostProcess == true
	msg := sprintf("%s: %s sets securityContext.windowsOptions.hostProcess: true; remove it", [p.id, who])
}

run_as_non_root(p, c) if k8s.security_context(c).runAsNonRoot == true

run_as_non_root(p, c) if {
	not k8s.has_key(k8s.security_context(c), "runAsNonRoot")
	k8s.pod_security_context(p).runAsNonRoot == true
}

run_as_user(p, c) := k8s.security_context(c).runAsUser

run_as_user(p, c) := k8s.pod_security_context(p).runAsUser if not k8s.has_key(k8s.security_context(c), "runAsUser")

# The pod's Unconfined, reported once at the pod rather than again at each container.
inherits_unconfined(p, c) if {
	not k8s.security_context(c).seccompProfile.type
	k8s.pod_security_context(p).seccompProfile.type == "Unconfined"
}

seccomp_type(p, c) := t if {
	t := k8s.security_context(c).seccompProfile.type
} else := t if {
	t := k8s.pod_security_context(p).seccompProfile.type
} else := "unset"
