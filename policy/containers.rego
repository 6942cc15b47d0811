# Container hygiene: read-only root filesystem, requests and limits, health probes.
package containers

import rego.v1

import data.lib.kubernetes as k8s

resource_fields := [["requests", "cpu"], ["requests", "memory"], ["limits", "cpu"], ["limits", "memory"]]

# METADATA
# title: Read-only root filesystem
# description: Every container sets securityContext.readOnlyRootFilesystem to true; writable paths are volumes.
deny_writable_root_filesystem contains msg if {
	some [p, c] in k8s.pod_containers
	not k8s.security_context(c).readOnlyRootFilesystem == true
	msg := sprintf("%s: container '%s' does not set readOnlyRootFilesystem: true", [p.id, c.name])
}

# METADATA
# title: Requests and limits
# description: Every container sets cpu and memory requests and limits, so the scheduler and the HPA can count on them.
deny_missing_resources contains msg if {
	some [p, c] in k8s.pod_containers
	missing := [concat(".", field) | some field in resource_fields; not has_resource(c, field)]
	count(missing) > 0
	msg := sprintf("%s: container '%s' sets no resources %s", [p.id, c.name, concat(", ", missing)])
}

# METADATA
# title: Liveness probe
# description: Every container of a long-running workload has a livenessProbe, so a hung process is restarted.
deny_missing_liveness_probe contains msg if {
	some [p, c] in long_running_containers
	not c.livenessProbe
	msg := sprintf("%s: container '%s' has no livenessProbe", [p.id, c.name])
}

# METADATA
# title: Readiness probe
# description: Every container of a long-running workload has a readinessProbe, so traffic waits until it is ready.
deny_missing_readiness_probe contains msg if {
	some [p, c] in long_running_containers
	not c.readinessProbe
	msg := sprintf("%s: container '%s' has no readinessProbe", [p.id, c.name])
}

# Init containers and Jobs finish; probes only make sense for containers meant to keep running.
long_running_containers := [[p, c] |
	some p in k8s.pods
	p.kind in (k8s.long_running_kinds | {"Pod"})
	some c in object.get(p.spec, "containers", [])
]

has_resource(c, field) if {
	value := c.resources[field[0]][field[1]]
	value != ""
}
