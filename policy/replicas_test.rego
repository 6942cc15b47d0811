package replicas_test

import rego.v1

import data.lib.fixtures as fx
import data.replicas

hpa(target) := fx.resource("HorizontalPodAutoscaler", "app", {
	"apiVersion": "autoscaling/v2",
	"spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target}, "minReplicas": 2, "maxReplicas": 4},
})

scaled := json.patch(fx.deployment("app", fx.pod_spec), [{"op": "add", "path": "/spec/replicas", "value": 3}])

test_hpa_target_without_replicas_allowed if {
	replicas.deny_replicas_with_hpa == set() with input as fx.input_for([fx.deployment("app", fx.pod_spec), hpa("app")])
}

test_replicas_without_hpa_allowed if {
	replicas.deny_replicas_with_hpa == set() with input as fx.input_for([scaled, hpa("other")])
}

test_replicas_under_hpa_denied if {
	replicas.deny_replicas_with_hpa == {"Deployment/ns/app: sets spec.replicas: 3 but HorizontalPodAutoscaler 'app' scales it; remove spec.replicas"} with input as fx.input_for([scaled, hpa("app")])
}
