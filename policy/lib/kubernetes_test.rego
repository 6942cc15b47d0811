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
		fx.resource("CronJob", "backup", {"spec": {"jobTemplate": {"spec": {"template": {"spec": spec}}}}}),
		fx.resource("Pod", "debug", {"spec": spec}),
		fx.service_account,
	]
	{[p.kind, p.id] | some p in k8s.pods} == {
		["Deployment", "Deployment/ns/web"],
		["CronJob", "CronJob/ns/backup"],
		["Pod", "Pod/ns/debug"],
	} with input as fx.input_for(objects)
}

test_init_containers_are_containers if {
	spec := {"containers": [{"name": "main"}], "initContainers": [{"name": "init"}]}
	[c.name | some c in k8s.containers(spec)] == ["main", "init"]
}

test_non_objects_in_input_are_ignored if {
	objects := k8s.objects with input as [{"path": "x", "contents": "text"}, {"path": "y", "contents": fx.service_account}]
	objects == [fx.service_account]
}
