"""The formats the API server checks: quantities, object names per kind, port names.

Cases from the Kubernetes docs: the Quantity grammar and the object-names page."""
import pytest

from fks_gitops import apiformats


@pytest.mark.parametrize("value", ["512Mi", "1Gi", "250m", "0.5", ".5", "1.", "+2", "-1", "1e3", "1E-2", "5n", "3u",
                                   "2k", "1M", "1Ei", 2, 0.25])
def test_quantities_of_the_grammar_pass(value):
    assert apiformats.quantity(value) is None


@pytest.mark.parametrize("value", ["512mb", "1GB", "1gi", "1 Gi", "", "Mi", "1.2.3", "1e", "1e1.5", "0x10", "1Mi "])
def test_anything_else_is_not_a_quantity(value):
    assert apiformats.quantity(value).startswith("is not a quantity")


@pytest.mark.parametrize(("kind", "name"), [
    ("Deployment", "web.example.com"), ("Deployment", "1web"), ("ConfigMap", "a" * 253), ("Service", "web-1"),
    ("Namespace", "1shop"), ("ClusterRole", "system:reader"), ("RoleBinding", "Admin_Binding"), ("CronJob", "a" * 52),
])
def test_names_each_kind_allows(kind, name):
    assert apiformats.object_name(kind, name) is None


@pytest.mark.parametrize(("kind", "name", "why"), [
    ("Deployment", "Web", "DNS-1123 subdomain"), ("Deployment", "web_1", "DNS-1123 subdomain"),
    ("Deployment", "web-", "DNS-1123 subdomain"), ("ConfigMap", "a" * 254, "DNS-1123 subdomain"),
    ("Service", "1web", "DNS-1035 label"), ("Service", "web.api", "DNS-1035 label"),
    ("Namespace", "shop.prod", "DNS-1123 label"), ("Namespace", "a" * 64, "DNS-1123 label"),
    ("ClusterRole", "a/b", "'/'"), ("Role", "..", "'..'"), ("CronJob", "a" * 53, "longer than 52"),
])
def test_names_each_kind_rejects(kind, name, why):
    assert why in apiformats.object_name(kind, name)


@pytest.mark.parametrize("name", ["http", "metrics-9090", "a", "h2c", "x" * 15, "9a"])
def test_iana_service_names_pass(name):
    assert apiformats.port_name(name) is None


@pytest.mark.parametrize(("name", "why"), [
    ("metrics-endpoint-http", "longer than 15"), ("Http", "lowercase"), ("web_port", "lowercase"),
    ("8080", "a letter"), ("-http", "start or end"), ("http-", "start or end"), ("web--http", "'--'"),
])
def test_iana_service_names_reject(name, why):
    assert why in apiformats.port_name(name)
