"""Objects the API server rejects: HPA bounds, workload selectors against their own template,
claim sizes. One allowed (the fixture) and denied cases per rule."""
import pytest

from conftest import find, one_error
from fks_gitops.checks.api_objects import check


def test_the_fixture_passes(api_docs):
    assert check(api_docs) == []


def _hpa(docs):
    find(docs, "HorizontalPodAutoscaler", "web")["spec"]["maxReplicas"] = 1


def _hpa_default_min(docs):
    spec = find(docs, "HorizontalPodAutoscaler", "web")["spec"]
    del spec["minReplicas"]
    spec["maxReplicas"] = 0


def _selector_labels(docs):
    find(docs, "Deployment", "web")["spec"]["selector"]["matchLabels"] = {"app": "webb"}


def _selector_expression(docs):
    find(docs, "Deployment", "web")["spec"]["selector"]["matchExpressions"][0]["values"] = ["back"]


def _selector_empty(docs):
    find(docs, "StatefulSet", "db")["spec"]["selector"] = {}


def _replication_controller(docs):
    find(docs, "ReplicationController", "legacy")["spec"]["selector"] = {"app": "legacy", "track": "stable"}


def _cronjob(docs):
    find(docs, "CronJob", "nightly-report")["spec"]["jobTemplate"]["spec"].update(
        manualSelector=True, selector={"matchLabels": {"job": "nightly"}})


def _claim(docs):
    find(docs, "PersistentVolumeClaim", "web-data")["spec"]["resources"]["requests"]["storage"] = "10GB"


def _claim_template(docs):
    find(docs, "StatefulSet", "db")["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"] = "1 Ti"


CASES = {
    "hpa": (_hpa, "HorizontalPodAutoscaler", "api.hpa-bounds", "maxReplicas 1 is below minReplicas 2", "/spec/maxReplicas"),
    "hpa-default-min": (_hpa_default_min, "HorizontalPodAutoscaler", "api.hpa-bounds", "maxReplicas 0 is below minReplicas 1",
                        "/spec/maxReplicas"),
    "selector-labels": (_selector_labels, "Deployment", "api.selector",
                        "selector 'app=webb,tier In (front)' does not match the template's labels 'app=web,tier=front'; "
                        "make them agree", "/spec/selector"),
    "selector-expression": (_selector_expression, "Deployment", "api.selector", "selector 'app=web,tier In (back)'",
                            "/spec/selector"),
    "selector-empty": (_selector_empty, "StatefulSet", "api.selector",
                       "StatefulSet needs a non-empty selector; select the template's labels", "/spec/selector"),
    "replication-controller": (_replication_controller, "ReplicationController", "api.selector",
                               "selector 'app=legacy,track=stable' does not match", "/spec/selector"),
    "cronjob": (_cronjob, "CronJob", "api.selector", "selector 'job=nightly' does not match the template's labels '{}'",
                "/spec/jobTemplate/spec/selector"),
    "claim": (_claim, "PersistentVolumeClaim", "api.quantity", "resources.requests.storage '10GB' is not a quantity",
              "/spec/resources/requests/storage"),
    "claim-template": (_claim_template, "StatefulSet", "api.quantity",
                       "volumeClaimTemplate 'data' resources.requests.storage '1 Ti' is not a quantity",
                       "/spec/volumeClaimTemplates/0/spec/resources/requests/storage"),
}


@pytest.mark.parametrize("case", CASES)
def test_each_mistake_is_one_error_at_its_field(api_docs, case):
    breaks, *expected = CASES[case]
    breaks(api_docs)
    one_error(check(api_docs), *expected)
