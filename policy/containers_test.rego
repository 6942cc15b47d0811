package containers_test

import rego.v1

import data.containers
import data.lib.fixtures as fx

test_compliant_containers_pass if {
	results := [
		containers.deny_writable_root_filesystem, containers.deny_missing_resources,
		containers.deny_missing_liveness_probe, containers.deny_missing_readiness_probe,
	] with input as fx.input_for(fx.compliant)
	results == [set(), set(), set(), set()]
}

test_writable_root_filesystem_denied if {
	containers.deny_writable_root_filesystem == {"Deployment/ns/app: container 'app' does not set readOnlyRootFilesystem: true"} with input as fx.input_for([fx.container_without(["securityContext/readOnlyRootFilesystem"])])
}

test_writable_root_filesystem_false_denied if {
	containers.deny_writable_root_filesystem == {"Deployment/ns/app: container 'app' does not set readOnlyRootFilesystem: true"} with input as fx.input_for([fx.with_container({"securityContext": {"readOnlyRootFilesystem": false}})])
}

test_missing_limits_denied if {
	containers.deny_missing_resources == {"Deployment/ns/app: container 'app' sets no resources limits.cpu, limits.memory"} with input as fx.input_for([fx.container_without(["resources/limits"])])
}

test_missing_memory_request_denied if {
	containers.deny_missing_resources == {"Deployment/ns/app: container 'app' sets no resources requests.memory"} with input as fx.input_for([fx.container_without(["resources/requests/memory"])])
}

test_init_container_needs_resources if {
	init := {"name": "migrate", "image": "ghcr.io/fks-trading/app:1.2.3"}
	containers.deny_missing_resources == {"Deployment/ns/app: container 'migrate' sets no resources requests.cpu, requests.memory, limits.cpu, limits.memory"} with input as fx.input_for([fx.with_pod({"initContainers": [init]})])
}

test_missing_liveness_probe_denied if {
	containers.deny_missing_liveness_probe == {"Deployment/ns/app: container 'app' has no livenessProbe"} with input as fx.input_for([fx.container_without(["livenessProbe"])])
}

test_missing_readiness_probe_denied if {
	containers.deny_missing_readiness_probe == {"Deployment/ns/app: container 'app' has no readinessProbe"} with input as fx.input_for([fx.container_without(["readinessProbe"])])
}

test_init_containers_and_jobs_need_no_probes if {
	init := json.remove(fx.container, ["livenessProbe", "readinessProbe"])
	job := fx.resource("Job", "migrate", {"spec": {"template": {"spec": object.union(fx.pod_spec, {"containers": [init]})}}})
	objects := [fx.with_pod({"initContainers": [init]}), job]
	containers.deny_missing_liveness_probe == set() with input as fx.input_for(objects)
	containers.deny_missing_readiness_probe == set() with input as fx.input_for(objects)
}
