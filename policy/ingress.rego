# Ingresses serve HTTPS only, and the Prometheus and Alertmanager UIs sit behind basic auth.
package ingress

import rego.v1

import data.lib.kubernetes as k8s

# Services whose UI can silence alerts or read every metric: never open to the internet.
protected_services := {"prometheus", "alertmanager"}

ingresses := [obj | some obj in k8s.objects; obj.kind == "Ingress"]

# METADATA
# title: TLS on every host
# description: Every Ingress has spec.tls, and its hosts cover every rule's host.
deny_missing_tls contains msg if {
	some obj in ingresses
	count(object.get(obj.spec, "tls", [])) == 0
	msg := sprintf("%s: no spec.tls; add a tls entry with a cert-manager secret", [k8s.id(obj)])
}

deny_missing_tls contains msg if {
	some obj in ingresses
	count(object.get(obj.spec, "tls", [])) > 0
	some rule in object.get(obj.spec, "rules", [])
	not covered(rule.host, tls_hosts(obj))
	msg := sprintf("%s: host '%s' is not in spec.tls hosts", [k8s.id(obj), rule.host])
}

# METADATA
# title: Basic auth for Prometheus and Alertmanager
# description: >-
#   An Ingress whose backend is the prometheus or alertmanager Service sets
#   nginx.ingress.kubernetes.io/auth-type basic and an auth-secret.
deny_missing_basic_auth contains msg if {
	some obj in ingresses
	some service in backends(obj)
	service in protected_services
	some problem in auth_problems(object.get(obj, ["metadata", "annotations"], {}))
	msg := sprintf("%s: backend '%s' is exposed %s", [k8s.id(obj), service, problem])
}

# METADATA
# title: HTTP redirects to HTTPS
# description: >-
#   No Ingress sets nginx.ingress.kubernetes.io/ssl-redirect to "false": ingress-nginx would then
#   serve its hosts over plain HTTP as well, basic-auth credentials included.
deny_ssl_redirect_off contains msg if {
	some obj in ingresses
	value := object.get(obj, ["metadata", "annotations", "nginx.ingress.kubernetes.io/ssl-redirect"], "true")
	lower(sprintf("%v", [value])) == "false"
	msg := sprintf("%s: nginx.ingress.kubernetes.io/ssl-redirect is 'false'; remove it or set it to \"true\"", [k8s.id(obj)])
}

auth_problems(annotations) := {problem |
	annotations["nginx.ingress.kubernetes.io/auth-type"] != "basic"
	problem := sprintf("with auth-type '%s'; set nginx.ingress.kubernetes.io/auth-type: basic", [annotations["nginx.ingress.kubernetes.io/auth-type"]])
} | {problem |
	not annotations["nginx.ingress.kubernetes.io/auth-type"]
	problem := "without basic auth; set nginx.ingress.kubernetes.io/auth-type: basic"
} | {problem |
	not annotations["nginx.ingress.kubernetes.io/auth-secret"]
	problem := "without an auth secret; set nginx.ingress.kubernetes.io/auth-secret"
}

backends(obj) := {name |
	some rule in object.get(obj.spec, "rules", [])
	some path in rule.http.paths
	name := path.backend.service.name
} | {name | name := obj.spec.defaultBackend.service.name}

tls_hosts(obj) := {host | some tls in obj.spec.tls; some host in object.get(tls, "hosts", [])}

covered(host, hosts) if host in hosts

# A wildcard certificate covers exactly one more label: *.example.com covers a.example.com.
covered(host, hosts) if {
	some pattern in hosts
	startswith(pattern, "*.")
	suffix := substring(pattern, 1, -1)
	endswith(host, suffix)
	not contains(trim_suffix(host, suffix), ".")
}
