package ingress_test

import rego.v1

import data.ingress
import data.lib.fixtures as fx

basic_auth := {
	"nginx.ingress.kubernetes.io/auth-type": "basic",
	"nginx.ingress.kubernetes.io/auth-secret": "prometheus-basic-auth",
}

ingress_for(service, hosts, tls, annotations) := fx.resource("Ingress", service, {
	"apiVersion": "networking.k8s.io/v1",
	"metadata": {"annotations": annotations},
	"spec": {
		"ingressClassName": "nginx",
		"tls": tls,
		"rules": [{"host": host, "http": {"paths": [{
			"path": "/",
			"pathType": "Prefix",
			"backend": {"service": {"name": service, "port": {"name": "http"}}},
		}]}} | some host in hosts],
	},
})

test_tls_covering_every_host_allowed if {
	tls := [{"hosts": ["grafana.example.com"], "secretName": "grafana-tls"}, {"hosts": ["*.example.org"], "secretName": "wild"}]
	ingress.deny_missing_tls == set() with input as fx.input_for([ingress_for("grafana", ["grafana.example.com", "grafana.example.org"], tls, {})])
}

test_no_tls_denied if {
	ingress.deny_missing_tls == {"Ingress/ns/grafana: no spec.tls; add a tls entry with a cert-manager secret"} with input as fx.input_for([ingress_for("grafana", ["grafana.example.com"], [], {})])
}

test_uncovered_host_denied if {
	tls := [{"hosts": ["grafana.example.com", "*.example.org"], "secretName": "grafana-tls"}]
	ingress.deny_missing_tls == {"Ingress/ns/grafana: host 'a.b.example.org' is not in spec.tls hosts"} with input as fx.input_for([ingress_for("grafana", ["grafana.example.com", "a.b.example.org"], tls, {})])
}

test_prometheus_with_basic_auth_allowed if {
	tls := [{"hosts": ["prometheus.example.com"], "secretName": "prometheus-tls"}]
	ingress.deny_missing_basic_auth == set() with input as fx.input_for([ingress_for("prometheus", ["prometheus.example.com"], tls, basic_auth)])
}

test_grafana_needs_no_basic_auth if {
	ingress.deny_missing_basic_auth == set() with input as fx.input_for([ingress_for("grafana", ["grafana.example.com"], [], {})])
}

test_alertmanager_without_auth_denied if {
	ingress.deny_missing_basic_auth == {
		"Ingress/ns/alertmanager: backend 'alertmanager' is exposed without basic auth; set nginx.ingress.kubernetes.io/auth-type: basic",
		"Ingress/ns/alertmanager: backend 'alertmanager' is exposed without an auth secret; set nginx.ingress.kubernetes.io/auth-secret",
	} with input as fx.input_for([ingress_for("alertmanager", ["alertmanager.example.com"], [], {})])
}

test_prometheus_with_other_auth_type_denied if {
	annotations := object.union(basic_auth, {"nginx.ingress.kubernetes.io/auth-type": "digest"})
	ingress.deny_missing_basic_auth == {"Ingress/ns/prometheus: backend 'prometheus' is exposed with auth-type 'digest'; set nginx.ingress.kubernetes.io/auth-type: basic"} with input as fx.input_for([ingress_for("prometheus", ["prometheus.example.com"], [], annotations)])
}

test_ssl_redirect_on_allowed if {
	annotations := {"nginx.ingress.kubernetes.io/ssl-redirect": "true", "nginx.ingress.kubernetes.io/force-ssl-redirect": "false"}
	ingress.deny_ssl_redirect_off == set() with input as fx.input_for([ingress_for("grafana", ["grafana.example.com"], [], annotations), ingress_for("web", [], [], {})])
}

test_ssl_redirect_off_denied if {
	annotations := {"nginx.ingress.kubernetes.io/ssl-redirect": "false"}
	ingress.deny_ssl_redirect_off == {`Ingress/ns/grafana: nginx.ingress.kubernetes.io/ssl-redirect is 'false'; remove it or set it to "true"`} with input as fx.input_for([ingress_for("grafana", ["grafana.example.com"], [], annotations)])
}
