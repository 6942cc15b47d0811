# Small, compliant objects for the policy tests; each test changes one thing.
# Lives in a _test.rego file so `check` never loads it.
package lib.fixtures

import rego.v1

labels(name) := {
	"app.kubernetes.io/name": name,
	"app.kubernetes.io/component": name,
	"app.kubernetes.io/part-of": "fks-trading",
	"app.kubernetes.io/managed-by": "kustomize",
}

container := {
	"name": "app",
	"image": "ghcr.io/fks-trading/app:1.2.3",
	"securityContext": {
		"runAsNonRoot": true,
		"allowPrivilegeEscalation": false,
		"readOnlyRootFilesystem": true,
		"capabilities": {"drop": ["ALL"]},
	},
	"resources": {
		"requests": {"cpu": "100m", "memory": "128Mi"},
		"limits": {"cpu": "500m", "memory": "256Mi"},
	},
	"livenessProbe": {"httpGet": {"path": "/healthz", "port": "http"}},
	"readinessProbe": {"httpGet": {"path": "/ready", "port": "http"}},
}

pod_spec := {
	"serviceAccountName": "app",
	"securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
	"containers": [container],
}

# A namespaced object named `name` of `kind` with the recommended labels, merged with `extra`.
resource(kind, name, extra) := object.union(
	{
		"apiVersion": "v1",
		"kind": kind,
		"metadata": {"name": name, "namespace": "ns", "labels": labels(name)},
	},
	extra,
)

deployment(name, spec) := resource(
	"Deployment",
	name,
	{"apiVersion": "apps/v1", "spec": {
		"selector": {"matchLabels": {"app.kubernetes.io/name": name}},
		"template": {"metadata": {"labels": labels(name)}, "spec": spec},
	}},
)

# The Deployment "app" with its one container changed by `patch`.
with_container(patch) := deployment("app", object.union(pod_spec, {"containers": [object.union(container, patch)]}))

# The Deployment "app" with its pod spec changed by `patch`.
with_pod(patch) := deployment("app", object.union(pod_spec, patch))

service_account := resource("ServiceAccount", "app", {"automountServiceAccountToken": false})

network_policy := resource("NetworkPolicy", "app", {
	"apiVersion": "networking.k8s.io/v1",
	"spec": {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "app"}}, "policyTypes": ["Ingress"]},
})

# A whole compliant environment: every policy passes on it.
compliant := [deployment("app", pod_spec), service_account, network_policy]

# conftest's --combine input for a list of objects.
input_for(objects) := [{"path": sprintf("%s/%s", [o.kind, o.metadata.name]), "contents": o} | some o in objects]

# The Deployment "app" with fields of its one container removed, e.g. ["securityContext/runAsNonRoot"].
container_without(paths) := deployment("app", object.union(pod_spec, {"containers": [json.remove(container, paths)]}))
