package lib.kubernetes_test

import rego.v1

import data.lib.fixtures as fx
import data.lib.kubernetes as k8s

test_ids if {
	k8s.id(fx.service_account) == "ServiceAccount/ns/app"
	k8s.id({"kind": "ClusterIssuer", "metadata": {"name": "letsencrypt-prod"}}) == "ClusterIssuer/letsencrypt-prod"
}

test_pods_of_every_workload_kind if {
	spec := {"containers": [{"name": "c"}]}
	objects := [
		fx.deployment("web", spec),
		fx.resource("ReplicationController", "legacy", {"spec": {"template": {"spec": spec}}}),
		fx.resource("CronJob", "backup", {"spec": {"jobTemplate": {"spec": {"template": {"spec": spec}}}}}),
		fx.resource("Pod", "debug", {"spec": spec}),
		fx.service_account,
	]
	{[p.kind, p.id] | some p in k8s.pods} == {
		["Deployment", "Deployment/ns/web"],
		["ReplicationController", "ReplicationController/ns/legacy"],
		["CronJob", "CronJob/ns/backup"],
		["Pod", "Pod/ns/debug"],
	} with input as fx.input_for(objects)
}

test_init_containers_are_containers if {
	spec := {"containers": [{"name": "main"}], "initContainers": [{"name": "init"}]}
	[c.name | some c in k8s.containers(spec)] == ["main", "init"]
}

test_ephemeral_containers_count_for_pod_security_only if {
	spec := {"containers": [{"name": "main"}], "ephemeralContainers": [{"name": "debug"}]}
	pairs := k8s.pod_all_containers with input as fx.input_for([fx.deployment("web", spec)])
	[c.name | some [_, c] in pairs] == ["main", "debug"]
	[c.name | some [_, c] in k8s.pod_containers] == ["main"] with input as fx.input_for([fx.deployment("web", spec)])
}

test_template_annotations_are_the_pods if {
	annotated := json.patch(fx.deployment("web", {}), [{"op": "add", "path": "/spec/template/metadata/annotations", "value": {"a": "b"}}])
	[p.annotations | some p in k8s.pods] == [{"a": "b"}] with input as fx.input_for([annotated])
}

test_non_objects_in_input_are_ignored if {
	objects := k8s.objects with input as [{"path": "x", "contents": "text"}, {"path": "y", "contents": fx.service_account}]
	objects == [fx.service_account]
}
