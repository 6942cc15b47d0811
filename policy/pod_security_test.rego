package pod_security_test

import rego.v1

import data.lib.fixtures as fx
import data.pod_security

test_compliant_pod_passes if {
	results := [
		pod_security.deny_run_as_root, pod_security.deny_privilege_escalation, pod_security.deny_capabilities,
		pod_security.deny_seccomp, pod_security.deny_host_namespaces, pod_security.deny_host_port,
		pod_security.deny_host_path, pod_security.deny_privileged, pod_security.deny_apparmor,
		pod_security.deny_selinux, pod_security.deny_proc_mount, pod_security.deny_sysctls,
		pod_security.deny_volume_types, pod_security.deny_host_process,
	] with input as fx.input_for(fx.compliant)
	every result in results { result == set() }
	count(results) == 14
}

test_run_as_non_root_from_pod_allowed if {
	pod_security.deny_run_as_root == set() with input as fx.input_for([fx.container_without(["securityContext/runAsNonRoot"])])
}

test_run_as_root_denied if {
	pod_security.deny_run_as_root == {"Deployment/ns/app: container 'app' does not set runAsNonRoot: true"} with input as fx.input_for([fx.with_container({"securityContext": {"runAsNonRoot": false}})])
}

test_run_as_root_when_neither_sets_it_denied if {
	pod := fx.deployment("app", {"containers": [json.remove(fx.container, ["securityContext/runAsNonRoot"])]})
	pod_security.deny_run_as_root == {"Deployment/ns/app: container 'app' does not set runAsNonRoot: true"} with input as fx.input_for([pod])
}

test_run_as_uid_zero_denied if {
	pod_security.deny_run_as_root == {"Deployment/ns/app: container 'app' runs as runAsUser: 0; use a non-zero UID"} with input as fx.input_for([fx.with_pod({"securityContext": {"runAsUser": 0}})])
}

test_init_container_checked if {
	init := json.patch(fx.container, [
		{"op": "replace", "path": "/name", "value": "migrate"},
		{"op": "add", "path": "/securityContext/privileged", "value": true},
	])
	pod_security.deny_privileged == {"Deployment/ns/app: container 'migrate' is privileged"} with input as fx.input_for([fx.with_pod({"initContainers": [init]})])
}

test_privilege_escalation_allowed_if_false if {
	pod_security.deny_privilege_escalation == set() with input as fx.input_for([fx.with_container({})])
}

test_privilege_escalation_denied if {
	pod_security.deny_privilege_escalation == {"Deployment/ns/app: container 'app' allows privilege escalation; set allowPrivilegeEscalation: false"} with input as fx.input_for([fx.container_without(["securityContext/allowPrivilegeEscalation"])])
}

test_capabilities_net_bind_allowed if {
	pod_security.deny_capabilities == set() with input as fx.input_for([fx.with_container({"securityContext": {"capabilities": {"add": ["NET_BIND_SERVICE"]}}})])
}

test_capabilities_not_dropped_denied if {
	pod_security.deny_capabilities == {"Deployment/ns/app: container 'app' does not drop ALL capabilities; set capabilities.drop: [ALL]"} with input as fx.input_for([fx.with_container({"securityContext": {"capabilities": {"drop": ["NET_RAW"]}}})])
}

test_capabilities_added_denied if {
	pod_security.deny_capabilities == {"Deployment/ns/app: container 'app' adds capability 'SYS_ADMIN'"} with input as fx.input_for([fx.with_container({"securityContext": {"capabilities": {"add": ["SYS_ADMIN"]}}})])
}

test_seccomp_on_container_allowed if {
	spec := {"containers": [object.union(fx.container, {"securityContext": {"seccompProfile": {"type": "Localhost", "localhostProfile": "p.json"}}})]}
	pod_security.deny_seccomp == set() with input as fx.input_for([fx.deployment("app", spec)])
}

test_seccomp_missing_denied if {
	spec := {"containers": [fx.container]}
	pod_security.deny_seccomp == {"Deployment/ns/app: container 'app' has seccompProfile type 'unset'; use RuntimeDefault"} with input as fx.input_for([fx.deployment("app", spec)])
}

test_seccomp_unconfined_container_overrides_pod_denied if {
	pod_security.deny_seccomp == {"Deployment/ns/app: container 'app' has seccompProfile type 'Unconfined'; use RuntimeDefault"} with input as fx.input_for([fx.with_container({"securityContext": {"seccompProfile": {"type": "Unconfined"}}})])
}

test_seccomp_unconfined_pod_denied_even_under_runtime_default_containers if {
	container := object.union(fx.container, {"securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}})
	pod := fx.with_pod({"securityContext": {"seccompProfile": {"type": "Unconfined"}}, "containers": [container]})
	pod_security.deny_seccomp == {"Deployment/ns/app: pod sets securityContext.seccompProfile.type 'Unconfined'; use RuntimeDefault"} with input as fx.input_for([pod])
}

test_seccomp_unconfined_pod_reported_once if {
	pod := fx.with_pod({"securityContext": {"seccompProfile": {"type": "Unconfined"}}})
	pod_security.deny_seccomp == {"Deployment/ns/app: pod sets securityContext.seccompProfile.type 'Unconfined'; use RuntimeDefault"} with input as fx.input_for([pod])
}

test_host_namespaces_false_allowed if {
	pod_security.deny_host_namespaces == set() with input as fx.input_for([fx.with_pod({"hostNetwork": false, "hostPID": false})])
}

test_host_namespaces_denied if {
	pod_security.deny_host_namespaces == {
		"Deployment/ns/app: pod sets hostNetwork: true",
		"Deployment/ns/app: pod sets hostIPC: true",
	} with input as fx.input_for([fx.with_pod({"hostNetwork": true, "hostIPC": true})])
}

test_container_port_allowed if {
	pod_security.deny_host_port == set() with input as fx.input_for([fx.with_container({"ports": [{"name": "http", "containerPort": 8000}]})])
}

test_host_port_denied if {
	pod_security.deny_host_port == {"Deployment/ns/app: container 'app' uses hostPort 8000"} with input as fx.input_for([fx.with_container({"ports": [{"containerPort": 8000, "hostPort": 8000}]})])
}

test_empty_dir_allowed if {
	pod_security.deny_host_path == set() with input as fx.input_for([fx.with_pod({"volumes": [{"name": "tmp", "emptyDir": {}}]})])
}

test_host_path_denied if {
	pod_security.deny_host_path == {"Deployment/ns/app: volume 'docker' mounts hostPath '/var/run/docker.sock'"} with input as fx.input_for([fx.with_pod({"volumes": [{"name": "docker", "hostPath": {"path": "/var/run/docker.sock"}}]})])
}

test_unprivileged_allowed if {
	pod_security.deny_privileged == set() with input as fx.input_for([fx.with_container({"securityContext": {"privileged": false}})])
}

test_privileged_denied if {
	pod_security.deny_privileged == {"Deployment/ns/app: container 'app' is privileged"} with input as fx.input_for([fx.with_container({"securityContext": {"privileged": true}})])
}

test_cronjob_pod_checked if {
	cronjob := fx.resource("CronJob", "backup", {"spec": {"jobTemplate": {"spec": {"template": {"spec": object.union(fx.pod_spec, {"hostPID": true})}}}}})
	pod_security.deny_host_namespaces == {"CronJob/ns/backup: pod sets hostPID: true"} with input as fx.input_for([cronjob])
}

test_replication_controller_pod_checked if {
	spec := object.union(fx.pod_spec, {
		"hostPID": true,
		"securityContext": {"runAsNonRoot": false},
		"containers": [object.union(fx.container, {"securityContext": {"privileged": true, "runAsNonRoot": false}})],
	})
	controller := fx.resource("ReplicationController", "legacy", {"spec": {"selector": {"app": "legacy"}, "template": {"spec": spec}}})
	found := {
		"host_namespaces": pod_security.deny_host_namespaces,
		"privileged": pod_security.deny_privileged,
		"run_as_root": pod_security.deny_run_as_root,
	} with input as fx.input_for([controller])
	found == {
		"host_namespaces": {"ReplicationController/ns/legacy: pod sets hostPID: true"},
		"privileged": {"ReplicationController/ns/legacy: container 'app' is privileged"},
		"run_as_root": {"ReplicationController/ns/legacy: container 'app' does not set runAsNonRoot: true"},
	}
}

# A Deployment "app" whose pod template carries `annotations`.
annotated(annotations) := json.patch(fx.deployment("app", fx.pod_spec), [{"op": "add", "path": "/spec/template/metadata/annotations", "value": annotations}])

test_apparmor_confined_allowed if {
	pod := fx.with_pod({"securityContext": {"appArmorProfile": {"type": "Localhost", "localhostProfile": "k8s-app"}}})
	container := fx.with_container({"securityContext": {"appArmorProfile": {"type": "RuntimeDefault"}}})
	annotation := annotated({"container.apparmor.security.beta.kubernetes.io/app": "localhost/k8s-app"})
	pod_security.deny_apparmor == set() with input as fx.input_for([pod, container, annotation])
}

test_apparmor_unconfined_denied if {
	pod := fx.with_pod({"securityContext": {"appArmorProfile": {"type": "Unconfined"}}})
	container := fx.with_container({"securityContext": {"appArmorProfile": {"type": "Unconfined"}}})
	annotation := annotated({"container.apparmor.security.beta.kubernetes.io/app": "unconfined"})
	pod_security.deny_apparmor == {"Deployment/ns/app: pod sets securityContext.appArmorProfile.type 'Unconfined'; use RuntimeDefault"} with input as fx.input_for([pod])
	pod_security.deny_apparmor == {"Deployment/ns/app: container 'app' sets securityContext.appArmorProfile.type 'Unconfined'; use RuntimeDefault"} with input as fx.input_for([container])
	pod_security.deny_apparmor == {"Deployment/ns/app: pod annotation 'container.apparmor.security.beta.kubernetes.io/app' is 'unconfined'; use runtime/default"} with input as fx.input_for([annotation])
}

test_selinux_container_types_allowed if {
	pod := fx.with_pod({"securityContext": {"seLinuxOptions": {"type": "container_init_t", "level": "s0:c123,c456"}}})
	pod_security.deny_selinux == set() with input as fx.input_for([pod])
}

test_selinux_type_user_and_role_denied if {
	container := fx.with_container({"securityContext": {"seLinuxOptions": {"type": "spc_t"}}})
	pod := fx.with_pod({"securityContext": {"seLinuxOptions": {"user": "system_u", "role": "system_r"}}})
	pod_security.deny_selinux == {
		"Deployment/ns/app: container 'app' sets securityContext.seLinuxOptions.type 'spc_t'; use container_t or leave it unset",
		"Deployment/ns/app: pod sets securityContext.seLinuxOptions.user 'system_u'; remove it",
		"Deployment/ns/app: pod sets securityContext.seLinuxOptions.role 'system_r'; remove it",
	} with input as fx.input_for([container, pod])
}

test_proc_mount_default_allowed if {
	pod_security.deny_proc_mount == set() with input as fx.input_for([fx.with_container({"securityContext": {"procMount": "Default"}})])
}

test_proc_mount_unmasked_denied if {
	debug := object.union(fx.container, {"name": "debug", "securityContext": {"procMount": "Unmasked"}})
	pod := fx.with_pod({"ephemeralContainers": [debug]})
	pod_security.deny_proc_mount == {"Deployment/ns/app: container 'debug' sets securityContext.procMount 'Unmasked'; remove it"} with input as fx.input_for([pod])
}

test_safe_sysctls_allowed if {
	sysctls := [{"name": "net.ipv4.ip_unprivileged_port_start", "value": "80"}, {"name": "net.ipv4.tcp_keepalive_time", "value": "600"}]
	pod_security.deny_sysctls == set() with input as fx.input_for([fx.with_pod({"securityContext": {"sysctls": sysctls}})])
}

test_unsafe_sysctl_denied if {
	sysctls := [{"name": "kernel.shm_rmid_forced", "value": "1"}, {"name": "net.core.somaxconn", "value": "1024"}]
	pod_security.deny_sysctls == {"Deployment/ns/app: pod sets securityContext.sysctls 'net.core.somaxconn', not a safe sysctl; remove it"} with input as fx.input_for([fx.with_pod({"securityContext": {"sysctls": sysctls}})])
}

test_restricted_volume_types_allowed if {
	volumes := [
		{"name": "config", "configMap": {"name": "app"}},
		{"name": "token", "projected": {"sources": [{"serviceAccountToken": {"path": "token"}}]}},
		{"name": "scratch", "ephemeral": {"volumeClaimTemplate": {"spec": {"accessModes": ["ReadWriteOnce"]}}}},
		{"name": "info", "downwardAPI": {"items": []}},
	]
	pod_security.deny_volume_types == set() with input as fx.input_for([fx.with_pod({"volumes": volumes})])
}

test_other_volume_types_denied if {
	volumes := [{"name": "share", "nfs": {"server": "nfs.example.com", "path": "/"}}, {"name": "repo", "gitRepo": {"repository": "x"}}]
	pod_security.deny_volume_types == {
		"Deployment/ns/app: volume 'share' is of type 'nfs'; use a persistentVolumeClaim",
		"Deployment/ns/app: volume 'repo' is of type 'gitRepo'; use a persistentVolumeClaim",
	} with input as fx.input_for([fx.with_pod({"volumes": volumes})])
}

test_host_process_false_allowed if {
	pod_security.deny_host_process == set() with input as fx.input_for([fx.with_pod({"securityContext": {"windowsOptions": {"hostProcess": false}}})])
}

test_host_process_denied if {
	init := object.union(fx.container, {"name": "setup", "securityContext": {"windowsOptions": {"hostProcess": true}}})
	pod := fx.with_pod({"securityContext": {"windowsOptions": {"hostProcess": true}}, "initContainers": [init]})
	pod_security.deny_host_process == {
		"Deployment/ns/app: pod sets securityContext.windowsOptions.hostProcess: true; remove it",
		"Deployment/ns/app: container 'setup' sets securityContext.windowsOptions.hostProcess: true; remove it",
	} with input as fx.input_for([pod])
}
