"""One mistake at a time in a copy of the repository: validate names the file and line to edit,
once, with every environment it affects, in every format."""
import json
import re
from pathlib import Path

import pytest

from fks_gitops import report
from fks_gitops.validate import validate


def edit(repo: Path, rel: str, old: str, new: str) -> int:
    """Replace `old` (once) and return its 1-based line: the line a person would edit."""
    path = repo / rel
    text = path.read_text()
    assert text.count(old) >= 1, f"{old!r} not in {rel}"
    path.write_text(text.replace(old, new, 1))
    return text[: text.index(old)].count("\n") + 1


def errors(repo: Path):
    return [p for p in validate(repo).problems if p.level == "error"]


def test_a_misspelled_field_in_a_base_is_one_problem_at_its_line_in_every_environment(repo_copy):
    line = edit(repo_copy, "base/execution/deployment.yaml", "          ports:\n", "          portz:\n")
    (problem,) = [p for p in errors(repo_copy) if p.rule == "schemas.invalid"]
    assert (problem.location.file, problem.location.line) == ("base/execution/deployment.yaml", line)
    assert problem.environments == ("dev", "staging", "prod")
    assert "portz" in problem.message and "None" not in problem.message


def test_a_wrong_value_in_an_overlay_patch_points_at_the_patch(repo_copy):
    line = edit(repo_copy, "overlays/staging/execution-replicas.yaml", "minReplicas: 2", 'minReplicas: "two"')
    (problem,) = [p for p in errors(repo_copy) if p.rule == "schemas.invalid"]
    assert (str(problem.location), problem.environments) == (f"overlays/staging/execution-replicas.yaml:{line}:3", ("staging",))


def test_a_pod_level_policy_finding_points_at_its_field(repo_copy):
    line = edit(repo_copy, "base/execution/deployment.yaml", "          type: RuntimeDefault\n", "          type: Unconfined\n")
    (problem,) = [p for p in errors(repo_copy) if p.rule == "pod_security.seccomp"]
    assert problem.message == "pod sets securityContext.seccompProfile.type 'Unconfined'; use RuntimeDefault"
    assert (problem.location.file, problem.location.line) == ("base/execution/deployment.yaml", line)
    assert problem.environments == ("dev", "staging", "prod")


def test_a_broken_prometheus_config_points_at_its_line(repo_copy):
    line = edit(repo_copy, "base/prometheus/prometheus.yml", "scrape_interval: 15s", "scrape_interval: 15 seconds")
    found = [p for p in errors(repo_copy) if p.rule == "monitoring.prometheus-config"]
    assert found and {(p.location.file, p.location.line) for p in found} == {("base/prometheus/prometheus.yml", line)}


def test_a_broken_alert_rule_points_at_its_line(repo_copy):
    edit(repo_copy, "base/prometheus/rules/orders.yaml", "expr: |", "expr: |\n          sum(rate(x[5m])\n        # was:")
    found = [p for p in errors(repo_copy) if p.rule == "monitoring.rules"]
    assert found and all(p.location.file == "base/prometheus/rules/orders.yaml" and p.location.line for p in found)


def test_an_argo_cd_application_mistake_points_at_its_file(repo_copy):
    line = edit(repo_copy, "argocd/apps/prod.yaml", "targetRevision: main", "targetRevision: HEAD")
    (problem,) = [p for p in errors(repo_copy) if p.rule.startswith("argocd.")]
    assert problem.location.file == "argocd/apps/prod.yaml" and problem.location.line in (None, line)


def test_a_render_failure_keeps_the_whole_message_in_every_format(repo_copy):
    edit(repo_copy, "overlays/staging/kustomization.yaml", "path: execution-replicas.yaml", "path: execution-replicaz.yaml")
    result = validate(repo_copy)
    (problem,) = [p for p in result.problems if p.rule == "render"]
    assert "execution-replicaz.yaml" in problem.message and problem.message.strip() != ">"
    assert problem.location.file == "overlays/staging/kustomization.yaml" and problem.location.line
    assert "parity not compared for staging: it did not render" in result.notes
    data = json.loads(report.format_report(result, "json"))
    assert any("execution-replicaz.yaml" in p["message"] for p in data["problems"])


def test_sarif_and_github_carry_file_and_line(repo_copy):
    line = edit(repo_copy, "base/execution/deployment.yaml", "          ports:\n", "          portz:\n")
    result = validate(repo_copy)
    sarif = json.loads(report.format_report(result, "sarif"))
    regions = [(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                r["locations"][0]["physicalLocation"]["region"]["startLine"])
               for r in sarif["runs"][0]["results"] if r["ruleId"] == "schemas.invalid"]
    assert regions == [("base/execution/deployment.yaml", line)]
    github = [ln for ln in report.format_report(result, "github").splitlines() if "title=schemas.invalid" in ln]
    assert len(github) == 1 and re.match(rf"::error file=base/execution/deployment.yaml,line={line},col=\d+,", github[0])


@pytest.mark.parametrize("fmt", ["text", "json", "github", "junit", "sarif"])
def test_no_report_shows_an_empty_render_text_or_none(repo_copy, fmt):
    edit(repo_copy, "overlays/staging/kustomization.yaml", "path: execution-replicas.yaml", "path: execution-replicaz.yaml")
    out = report.format_report(validate(repo_copy), fmt)
    assert "None" not in out and " > " not in out and "[error]  " not in out


def test_a_memory_that_is_no_quantity_points_at_the_base_line(repo_copy):
    line = edit(repo_copy, "base/execution/deployment.yaml", "limits: {cpu: 1000m, memory: 1Gi}", "limits: {cpu: 1000m, memory: 1gb}")
    (problem,) = [p for p in errors(repo_copy) if p.rule == "api.quantity"]
    assert (problem.location.file, problem.location.line) == ("base/execution/deployment.yaml", line)
    assert problem.environments == ("dev", "staging", "prod")
    assert problem.message.startswith("container 'execution' resources.limits.memory '1gb' is not a quantity")


def test_a_duplicate_env_name_points_at_the_second_entry(repo_copy):
    repeated = "            - name: REDIS_URL\n              value: redis://localhost:6379\n"
    line = edit(repo_copy, "base/execution/deployment.yaml", "          resources:\n", repeated + "          resources:\n")
    (problem,) = [p for p in errors(repo_copy) if p.rule == "api.duplicate-env"]
    assert (problem.location.file, problem.location.line) == ("base/execution/deployment.yaml", line)


def test_hpa_bounds_in_an_overlay_patch_point_at_the_patch(repo_copy):
    line = edit(repo_copy, "overlays/staging/execution-replicas.yaml", "maxReplicas: 4", "maxReplicas: 1")
    (problem,) = [p for p in errors(repo_copy) if p.rule == "api.hpa-bounds"]
    assert (str(problem.location), problem.environments) == (f"overlays/staging/execution-replicas.yaml:{line}:3", ("staging",))
    assert problem.message == "maxReplicas 1 is below minReplicas 2"
