# Shared views of one environment's rendered objects.
#
# Input is conftest's --combine form: a list of {"path": ..., "contents": <object>}.
# Policies read objects from `contents` only, so the path naming never matters.
package lib.kubernetes

import rego.v1

objects := [obj | some doc in input; obj := doc.contents; is_object(obj)]

# "Kind/namespace/name", or "Kind/name" for cluster-scoped objects, as render.object_id() prints it.
id(obj) := sprintf("%s/%s/%s", [obj.kind, obj.metadata.namespace, obj.metadata.name]) if {
	obj.metadata.namespace
} else := sprintf("%s/%s", [object.get(obj, "kind", "?"), object.get(obj, ["metadata", "name"], "?")])

namespace(obj) := object.get(obj, ["metadata", "namespace"], "")

labels(obj) := object.get(obj, ["metadata", "labels"], {})

# Kinds whose pods run until stopped: the ones probes and NetworkPolicies are about.
long_running_kinds := {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController"}

template_kinds := long_running_kinds | {"Job"}

# One entry per pod spec: a workload's template, a CronJob's job template, or a bare Pod.
pods := array.concat(
	[pod(obj, obj.spec.template) | some obj in objects; obj.kind in template_kinds],
	array.concat(
		[pod(obj, obj.spec.jobTemplate.spec.template) | some obj in objects; obj.kind == "CronJob"],
		[pod(obj, obj) | some obj in objects; obj.kind == "Pod"],
	),
)

pod(obj, template) := {
	"id": id(obj),
	"kind": obj.kind,
	"namespace": namespace(obj),
	"labels": labels(template),
	"annotations": object.get(template, ["metadata", "annotations"], {}),
	"spec": object.get(template, "spec", {}),
}

# Regular containers first, then init containers: every one of them runs code in the pod.
containers(spec) := array.concat(object.get(spec, "containers", []), object.get(spec, "initContainers", []))

# [pod, container] pairs, init containers included.
pod_containers := [[p, c] | some p in pods; some c in containers(p.spec)]

# [pod, container] pairs, ephemeral (debug) containers included too: Pod Security covers all three
# lists, while requests, limits and probes cannot be set on an ephemeral container.
# https://kubernetes.io/docs/concepts/workloads/pods/ephemeral-containers/
pod_all_containers := [[p, c] |
	some p in pods
	some c in array.concat(containers(p.spec), object.get(p.spec, "ephemeralContainers", []))
]

security_context(c) := object.get(c, "securityContext", {})

pod_security_context(p) := object.get(p.spec, "securityContext", {})

has_key(obj, key) if _ = obj[key]
