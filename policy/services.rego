# Services stay inside the cluster: traffic from outside comes through the ingress controller,
# where TLS and basic auth are checked (ingress.rego).
package services

import rego.v1

import data.lib.kubernetes as k8s

services := [obj | some obj in k8s.objects; obj.kind == "Service"]

open_ranges := {"0.0.0.0/0", "::/0"}

# METADATA
# title: No NodePort or LoadBalancer Services
# description: >-
#   A Service of type NodePort opens its port on every node, and a LoadBalancer also asks the
#   cloud for a public address; both bypass the Ingress. Use type ClusterIP.
deny_service_type contains msg if {
	some obj in services
	type := object.get(obj, ["spec", "type"], "ClusterIP")
	type in {"NodePort", "LoadBalancer"}
	msg := sprintf("%s: type %s exposes it outside the cluster; use ClusterIP behind the Ingress", [k8s.id(obj), type])
}

# METADATA
# title: No externalIPs
# description: >-
#   spec.externalIPs makes every node route traffic for those addresses to the Service, whoever
#   owns them (CVE-2020-8554).
deny_external_ips contains msg if {
	some obj in services
	addresses := object.get(obj, ["spec", "externalIPs"], [])
	count(addresses) > 0
	msg := sprintf("%s: spec.externalIPs '%s'; remove them", [k8s.id(obj), concat("', '", addresses)])
}

# METADATA
# title: No load balancer open to the internet
# description: >-
#   loadBalancerSourceRanges names the networks that may connect, never 0.0.0.0/0 or ::/0. Checked
#   on its own so that an exception for a LoadBalancer (service_type) still keeps its range narrow.
deny_open_source_ranges contains msg if {
	some obj in services
	some range in object.get(obj, ["spec", "loadBalancerSourceRanges"], [])
	range in open_ranges
	msg := sprintf("%s: loadBalancerSourceRanges contains '%s'; name the networks that need it", [k8s.id(obj), range])
}
