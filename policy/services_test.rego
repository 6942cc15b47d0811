package services_test

import rego.v1

import data.lib.fixtures as fx
import data.services

service(spec) := fx.resource("Service", "web", {"spec": object.union({"ports": [{"name": "http", "port": 80}]}, spec)})

test_cluster_ip_allowed if {
	services.deny_service_type == set() with input as fx.input_for([service({}), service({"type": "ClusterIP"})])
}

test_node_port_and_load_balancer_denied if {
	services.deny_service_type == {"Service/ns/web: type NodePort exposes it outside the cluster; use ClusterIP behind the Ingress"} with input as fx.input_for([service({"type": "NodePort"})])
	services.deny_service_type == {"Service/ns/web: type LoadBalancer exposes it outside the cluster; use ClusterIP behind the Ingress"} with input as fx.input_for([service({"type": "LoadBalancer"})])
}

test_no_external_ips_allowed if {
	services.deny_external_ips == set() with input as fx.input_for([service({"externalIPs": []})])
}

test_external_ips_denied if {
	services.deny_external_ips == {"Service/ns/web: spec.externalIPs '203.0.113.7', '198.51.100.9'; remove them"} with input as fx.input_for([service({"externalIPs": ["203.0.113.7", "198.51.100.9"]})])
}

test_named_source_ranges_allowed if {
	spec := {"type": "LoadBalancer", "loadBalancerSourceRanges": ["198.51.100.0/24", "2001:db8::/32"]}
	services.deny_open_source_ranges == set() with input as fx.input_for([service(spec)])
}

test_open_source_ranges_denied if {
	spec := {"type": "LoadBalancer", "loadBalancerSourceRanges": ["198.51.100.0/24", "0.0.0.0/0", "::/0"]}
	services.deny_open_source_ranges == {
		"Service/ns/web: loadBalancerSourceRanges contains '0.0.0.0/0'; name the networks that need it",
		"Service/ns/web: loadBalancerSourceRanges contains '::/0'; name the networks that need it",
	} with input as fx.input_for([service(spec)])
}
