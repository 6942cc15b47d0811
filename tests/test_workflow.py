"""The GitHub workflow's own commands, run here: every `run:` step that calls a tool, taken from
.github/workflows/validate.yml as it is, against a test repository where a pull request changes
a risk limit (its BASE is origin/main)."""
from __future__ import annotations

import os
import re
import subprocess

import pytest
import yaml

from conftest import REPO, git
from fks_gitops.diff.markdown import LIMIT, MARKER

WORKFLOW = REPO / ".github" / "workflows" / "validate.yml"
# What the runner would put in for each expression the steps' env uses; any other fails the test.
CONTEXT = {"github.base_ref": "main"}


def _steps() -> list[dict]:
    return yaml.safe_load(WORKFLOW.read_text())["jobs"]["validate"]["steps"]


def _tool_steps(event: str) -> list[dict]:
    """Steps that call tools/ and run on `event` (pull_request or push to main)."""
    found = []
    for step in _steps():
        if "tools/" not in step.get("run", ""):
            continue
        condition = str(step.get("if", ""))
        on_pr = "github.event_name == 'pull_request'" in condition
        on_push = "github.event_name != 'pull_request'" in condition or "github.event_name == 'push'" in condition
        if (event == "pull_request" and on_pr) or (event == "push" and (on_push or not condition)):
            found.append(step)
    return found


def _env(step: dict) -> dict[str, str]:
    def value(text: str) -> str:
        return re.sub(r"\$\{\{\s*([\w.]+)\s*\}\}", lambda m: CONTEXT[m[1]], str(text))
    return {**os.environ, **{k: value(v) for k, v in (step.get("env") or {}).items()}}


def _run(step: dict, cwd) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-e", "-c", step["run"]], cwd=cwd, env=_env(step), capture_output=True,
                          text=True, timeout=300)


@pytest.fixture
def pull_request(repo_copy):
    """main as origin/main, and the working tree of a pull request that raises a circuit breaker's threshold."""
    git(repo_copy, "commit", "-q", "--no-verify", "--allow-empty", "-m", "main")
    git(repo_copy, "update-ref", "refs/remotes/origin/main", "HEAD")
    (repo_copy / ".venv").symlink_to(REPO / ".venv")
    (repo_copy / "tools").symlink_to(REPO / "tools")
    path = repo_copy / "base/execution/configmap.yaml"
    path.write_text(path.read_text().replace('CIRCUIT_BREAKER_ERROR_THRESHOLD: "5"', 'CIRCUIT_BREAKER_ERROR_THRESHOLD: "9"'))
    return repo_copy


def test_the_pull_request_steps_write_the_comment_and_the_sarif(pull_request):
    steps = _tool_steps("pull_request")
    assert [s["name"] for s in steps] == ["validate, and the rendered diff against the base branch"]
    proc = _run(steps[0], pull_request)
    assert proc.returncode == 0, proc.stderr
    body = (pull_request / "diff.md").read_text()
    assert body.startswith(MARKER + "\n") and len(body) <= LIMIT
    assert "| prod | 0 added, 0 removed, 1 changed | **risk limits and circuit breaker** |" in body
    assert "`CIRCUIT_BREAKER_ERROR_THRESHOLD 5 -> 9`" in body
    assert '"version": "2.1.0"' in (pull_request / "validate.sarif").read_text()


def test_the_push_steps_validate_with_annotations_and_sarif_and_write_the_status_page(pull_request):
    steps = _tool_steps("push")
    assert [s["name"] for s in steps] == ["validate (annotations)", "status page"]
    for step in steps:
        proc = _run(step, pull_request)
        assert proc.returncode == 0, (step["name"], proc.stderr)
    assert (pull_request / "validate.sarif").is_file()
    assert (pull_request / "status.html").read_text().startswith("<!DOCTYPE html>")
    [publish] = [s for s in _steps() if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert publish["with"]["path"] == "status.html" and publish["if"] == steps[1]["if"]


def test_the_comment_step_finds_its_comment_by_the_marker_validate_writes():
    [comment] = [s for s in _steps() if s.get("uses", "").startswith("actions/github-script@")]
    assert f"const marker = '{MARKER}';" in comment["with"]["script"]
    assert "hashFiles('diff.md')" in comment["if"] and "--output diff.md" in _tool_steps("pull_request")[0]["run"]
    [sarif] = [s for s in _steps() if s.get("uses", "").startswith("github/codeql-action/upload-sarif@")]
    assert sarif["with"]["sarif_file"] == "validate.sarif"
