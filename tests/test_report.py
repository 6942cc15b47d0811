import json
import xml.etree.ElementTree as ET

import pytest

from fks_gitops import report
from fks_gitops.problem import Location, ObjectRef, Problem, merge
from fks_gitops.validate import Report

DEPLOYMENT = ObjectRef("Deployment", "fks-execution", "fks-trading")
PROBLEMS = [
    Problem("monitoring.rules", "error", 'parse error: unexpected ")"',
            location=Location("base/prometheus/rules/orders.yaml", 14, 9), environments=("dev", "staging", "prod")),
    Problem("pod_security.privilege_escalation", "error", "container 'execution' allows privilege escalation",
            location=Location("base/execution/deployment.yaml", 61, 13), object=DEPLOYMENT, environments=("prod",)),
    Problem("images.digest", "warning", "image has no digest",
            location=Location("overlays/prod/kustomization.yaml", 18, 5), object=DEPLOYMENT, environments=("prod",)),
]


@pytest.fixture
def sample():
    return Report(["dev", "staging", "prod"], 142, PROBLEMS, 0.41, "v5.5.0", policy_engine="OPA v1.20.2")


def test_text_is_one_line_per_problem_then_summary(sample):
    lines = report.format_report(sample, "text").splitlines()
    assert lines[1] == ("base/execution/deployment.yaml:61:13: [error] Deployment/fks-execution: container 'execution' "
                        "allows privilege escalation (pod_security.privilege_escalation) [prod]")
    assert lines[-1] == "3 environments, 142 objects, 2 errors, 1 warning in 0.41 s (kustomize v5.5.0, policies on OPA v1.20.2)"


def test_json_round_trips(sample):
    data = json.loads(report.format_report(sample, "json"))
    assert data["objects"] == 142 and len(data["problems"]) == 3
    assert data["problems"][1] == {
        "rule": "pod_security.privilege_escalation", "level": "error",
        "message": "container 'execution' allows privilege escalation",
        "location": {"file": "base/execution/deployment.yaml", "line": 61, "col": 13},
        "object": {"kind": "Deployment", "name": "fks-execution", "namespace": "fks-trading"},
        "environments": ["prod"],
    }


def test_github_annotations_carry_file_and_line(sample):
    lines = report.format_report(sample, "github").splitlines()
    assert lines[0].startswith("::error file=base/prometheus/rules/orders.yaml,line=14,col=9,title=monitoring.rules::")
    assert lines[2] == ("::warning file=overlays/prod/kustomization.yaml,line=18,col=5,title=images.digest::"
                        "Deployment/fks-execution: image has no digest [prod]")


def test_junit_has_one_testcase_per_check_and_environment_with_true_counts(sample):
    root = ET.fromstring(report.format_report(sample, "junit"))
    cases = {(c.get("classname"), c.get("name")): len(c.findall("failure")) for c in root}
    assert cases == {("monitoring", "dev"): 1, ("monitoring", "staging"): 1, ("monitoring", "prod"): 1,
                     ("pod_security", "prod"): 1, ("images", "prod"): 0}
    assert (root.get("tests"), root.get("failures")) == ("5", "4")


def test_sarif_has_rules_results_and_regions(sample):
    data = json.loads(report.format_report(sample, "sarif"))
    assert data["version"] == "2.1.0"
    run = data["runs"][0]
    assert {r["id"] for r in run["tool"]["driver"]["rules"]} == {p.rule for p in PROBLEMS}
    first = run["results"][0]["locations"][0]["physicalLocation"]
    assert first == {"artifactLocation": {"uri": "base/prometheus/rules/orders.yaml"},
                     "region": {"startLine": 14, "startColumn": 9}}
    assert run["results"][2]["level"] == "warning"


def test_the_same_problem_in_several_environments_is_one_with_its_environments():
    base = dict(rule="schemas.invalid", level="error", message="unknown field 'contaners'",
                location=Location("base/execution/deployment.yaml", 48, 11))
    found = merge([Problem(**base, object=ObjectRef("Deployment", "x", ns), environments=(env,))
                   for env, ns in (("prod", "fks-trading"), ("dev", "fks-trading-dev"), ("staging", "s"))],
                  ["dev", "staging", "prod"])
    assert [str(p) for p in found] == [
        "base/execution/deployment.yaml:48:11: [error] Deployment/x: unknown field 'contaners' (schemas.invalid) "
        "[dev, staging, prod]"]
