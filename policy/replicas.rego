# When a HorizontalPodAutoscaler owns the replica count, the workload must not set one:
# every sync would reset what the HPA chose.
package replicas

import rego.v1

import data.lib.kubernetes as k8s

# "namespace/Kind/name" of every HPA target, and the HPA's name.
hpa_targets[key] := hpa.metadata.name if {
	some hpa in k8s.objects
	hpa.kind == "HorizontalPodAutoscaler"
	ref := hpa.spec.scaleTargetRef
	key := sprintf("%s/%s/%s", [k8s.namespace(hpa), ref.kind, ref.name])
}

# METADATA
# title: No replicas under an HPA
# description: A Deployment or StatefulSet scaled by a HorizontalPodAutoscaler sets no spec.replicas.
deny_replicas_with_hpa contains msg if {
	some obj in k8s.objects
	obj.kind in {"Deployment", "StatefulSet"}
	k8s.has_key(obj.spec, "replicas")
	hpa := hpa_targets[sprintf("%s/%s/%s", [k8s.namespace(obj), obj.kind, obj.metadata.name])]
	msg := sprintf("%s: sets spec.replicas: %v but HorizontalPodAutoscaler '%s' scales it; remove spec.replicas", [k8s.id(obj), obj.spec.replicas, hpa])
}
