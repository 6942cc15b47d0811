"""Names the API server rejects: one allowed (the fixture) and one denied case per rule."""
import pytest

from conftest import find, one_error
from fks_gitops.checks.api_names import check

WEB = "/spec/template/spec/containers/0"


def test_the_fixture_has_valid_names(api_docs):
    assert check(api_docs) == []


def _container_port(docs):
    find(docs, "Deployment", "web")["spec"]["template"]["spec"]["containers"][0]["ports"][1]["name"] = "metrics-endpoint-http"


def _service_name(docs):
    find(docs, "Service", "web")["metadata"]["name"] = "2web"


def _deployment_name(docs):
    find(docs, "Deployment", "web")["metadata"]["name"] = "Web_Front"


def _namespace(docs):
    find(docs, "Service", "web")["metadata"]["namespace"] = "shop.prod"


def _container_name(docs):
    find(docs, "Deployment", "web")["spec"]["template"]["spec"]["containers"][1]["name"] = "Exporter"


def _volume_name(docs):
    find(docs, "Deployment", "web")["spec"]["template"]["spec"]["volumes"][0]["name"] = "cache_dir"


def _service_port_name(docs):
    find(docs, "Service", "web")["spec"]["ports"][0]["name"] = "HTTP"


def _target_port(docs):
    find(docs, "Service", "web")["spec"]["ports"][0]["targetPort"] = "http-for-the-web"


def _cronjob_name(docs):
    find(docs, "CronJob", "nightly-report")["metadata"]["name"] = "nightly-report-" + "x" * 40


CASES = {
    "container-port": (_container_port, "Deployment", "api.port-name",
                       "container 'web' port name 'metrics-endpoint-http' is longer than 15 characters", f"{WEB}/ports/1/name"),
    "service-name": (_service_name, "Service", "api.name", "name '2web' is not a DNS-1035 label", "/metadata/name"),
    "deployment-name": (_deployment_name, "Deployment", "api.name", "name 'Web_Front' is not a DNS-1123 subdomain",
                        "/metadata/name"),
    "namespace": (_namespace, "Service", "api.name", "namespace 'shop.prod' is not a DNS-1123 label", "/metadata/namespace"),
    "container-name": (_container_name, "Deployment", "api.name", "container name 'Exporter' is not a DNS-1123 label",
                       "/spec/template/spec/containers/1/name"),
    "volume-name": (_volume_name, "Deployment", "api.name", "volume name 'cache_dir' is not a DNS-1123 label",
                    "/spec/template/spec/volumes/0/name"),
    "service-port-name": (_service_port_name, "Service", "api.port-name", "port name 'HTTP' is not a DNS-1123 label",
                          "/spec/ports/0/name"),
    "target-port": (_target_port, "Service", "api.port-name", "targetPort 'http-for-the-web' is longer than 15 characters",
                    "/spec/ports/0/targetPort"),
    "cronjob-name": (_cronjob_name, "CronJob", "api.name", "is longer than 52 characters (its Jobs add a suffix)",
                     "/metadata/name"),
}


@pytest.mark.parametrize("case", CASES)
def test_each_bad_name_is_one_error_at_its_field(api_docs, case):
    breaks, *expected = CASES[case]
    breaks(api_docs)
    one_error(check(api_docs), *expected)
