"""Pod templates the API server or the kubelet rejects: one allowed (the fixture) and denied
cases per rule, each at the field to edit."""
import pytest

from conftest import find, one_error
from fks_gitops.checks.api_pods import check

POD = "/spec/template/spec"
WEB = f"{POD}/containers/0"


def test_the_fixture_passes(api_docs):
    assert check(api_docs) == []


def web(docs) -> dict:
    return find(docs, "Deployment", "web")["spec"]["template"]["spec"]["containers"][0]


def _memory(docs):
    web(docs)["resources"]["limits"]["memory"] = "512mb"


def _init_request(docs):
    find(docs, "Deployment", "web")["spec"]["template"]["spec"]["initContainers"][0]["resources"]["requests"]["cpu"] = "100 m"


def _pod_resources(docs):
    find(docs, "Deployment", "web")["spec"]["template"]["spec"]["resources"] = {"limits": {"cpu": "two"}}


def _size_limit(docs):
    find(docs, "Deployment", "web")["spec"]["template"]["spec"]["volumes"][0]["emptyDir"]["sizeLimit"] = "1GB"


def _cronjob_memory(docs):
    pod = find(docs, "CronJob", "nightly-report")["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    pod["containers"][0]["resources"] = {"requests": {"memory": "64MB"}}


def _env(docs):
    web(docs)["env"].append({"name": "LOG_LEVEL", "value": "debug"})


def _probe_http(docs):
    web(docs)["readinessProbe"]["httpGet"]["port"] = "htp"


def _probe_tcp(docs):
    web(docs)["startupProbe"]["tcpSocket"]["port"] = "metrics"


def _probe_other_container(docs):
    find(docs, "Deployment", "web")["spec"]["template"]["spec"]["containers"][1]["readinessProbe"] = {
        "httpGet": {"path": "/", "port": "http"}}


CASES = {
    "memory": (_memory, "Deployment", "api.quantity", "container 'web' resources.limits.memory '512mb' is not a quantity",
               f"{WEB}/resources/limits/memory"),
    "init-request": (_init_request, "Deployment", "api.quantity",
                     "container 'migrate' resources.requests.cpu '100 m' is not a quantity",
                     f"{POD}/initContainers/0/resources/requests/cpu"),
    "pod-resources": (_pod_resources, "Deployment", "api.quantity", "pod resources.limits.cpu 'two' is not a quantity",
                      f"{POD}/resources/limits/cpu"),
    "size-limit": (_size_limit, "Deployment", "api.quantity", "volume 'cache' emptyDir.sizeLimit '1GB' is not a quantity",
                   f"{POD}/volumes/0/emptyDir/sizeLimit"),
    "cronjob": (_cronjob_memory, "CronJob", "api.quantity", "container 'report' resources.requests.memory '64MB'",
                "/spec/jobTemplate/spec/template/spec/containers/0/resources/requests/memory"),
    "env": (_env, "Deployment", "api.duplicate-env", "container 'web' sets env 'LOG_LEVEL' twice; the later one hides the "
            "first, remove one", f"{WEB}/env/2/name"),
    "probe-http": (_probe_http, "Deployment", "api.probe-port", "container 'web' readinessProbe httpGet port 'htp' is no port "
                   "name of the container (it has: http, metrics-9090)", f"{WEB}/readinessProbe/httpGet/port"),
    "probe-tcp": (_probe_tcp, "Deployment", "api.probe-port", "startupProbe tcpSocket port 'metrics' is no port name",
                  f"{WEB}/startupProbe/tcpSocket/port"),
    # the kubelet looks a name up in the probe's own container, not in its neighbours
    "probe-other-container": (_probe_other_container, "Deployment", "api.probe-port",
                              "container 'exporter' readinessProbe httpGet port 'http' is no port name of the container "
                              "(it has: none)", f"{POD}/containers/1/readinessProbe/httpGet/port"),
}


@pytest.mark.parametrize("case", CASES)
def test_each_mistake_is_one_error_at_its_field(api_docs, case):
    breaks, *expected = CASES[case]
    breaks(api_docs)
    one_error(check(api_docs), *expected)
