import json
import xml.etree.ElementTree as ET

import pytest

from fks_gitops import report
from fks_gitops.problem import Problem
from fks_gitops.validate import Report

PROBLEMS = [
    Problem("base/prometheus/rules/orders.yaml:14:9", "monitoring.rules", "error", 'parse error: unexpected ")"'),
    Problem("overlays/prod: Deployment/fks-trading/fks-execution", "pod_security.privilege_escalation", "error",
            "container 'execution' allows privilege escalation"),
    Problem("overlays/prod: Deployment/fks-trading/fks-execution", "images.digest", "warning", "image has no digest"),
]


@pytest.fixture
def sample():
    return Report(["dev", "staging", "prod"], 142, PROBLEMS, 0.41, "v5.5.0")


def test_text_is_one_line_per_problem_then_summary(sample):
    lines = report.format_report(sample, "text").splitlines()
    assert lines[1] == ("overlays/prod: Deployment/fks-trading/fks-execution: [error] container 'execution' "
                        "allows privilege escalation (pod_security.privilege_escalation)")
    assert lines[-1] == "3 environments, 142 objects, 2 errors, 1 warning in 0.41 s (kustomize v5.5.0)"


def test_json_round_trips(sample):
    data = json.loads(report.format_report(sample, "json"))
    assert data["objects"] == 142 and len(data["problems"]) == 3
    assert data["problems"][0]["rule"] == "monitoring.rules"


def test_github_annotations_carry_file_and_line(sample):
    lines = report.format_report(sample, "github").splitlines()
    assert lines[0].startswith("::error file=base/prometheus/rules/orders.yaml,line=14,col=9,title=monitoring.rules::")
    assert lines[2].startswith("::warning file=overlays/prod,title=images.digest::")


def test_junit_is_xml_with_failures_per_environment(sample):
    root = ET.fromstring(report.format_report(sample, "junit"))
    assert root.tag == "testsuite" and root.get("failures") == "2"
    prod = next(c for c in root if c.get("name") == "prod")
    assert len(prod.findall("failure")) == 1
    dev = next(c for c in root if c.get("name") == "dev")
    assert dev.findall("failure") == []


def test_sarif_has_rules_results_and_regions(sample):
    data = json.loads(report.format_report(sample, "sarif"))
    assert data["version"] == "2.1.0"
    run = data["runs"][0]
    assert {r["id"] for r in run["tool"]["driver"]["rules"]} == {p.rule for p in PROBLEMS}
    first = run["results"][0]["locations"][0]["physicalLocation"]
    assert first == {"artifactLocation": {"uri": "base/prometheus/rules/orders.yaml"},
                     "region": {"startLine": 14, "startColumn": 9}}
    assert run["results"][2]["level"] == "warning"
