"""validate --diff against real git revisions: a copy of this repository committed as BASE, then edited."""
import tempfile

import pytest

import validate as cli
from conftest import git
from fks_gitops import render
from fks_gitops.diff import risk
from fks_gitops.diff.tree import BaseRenders
from fks_gitops.repo_git import Git


@pytest.fixture
def based(repo_copy):
    """The copy with its content committed (BASE = HEAD), and the working tree free to edit."""
    git(repo_copy, "commit", "-q", "--no-verify", "--allow-empty", "-m", "base")
    return repo_copy


def _limit(repo, old, new):
    path = repo / "base/execution/configmap.yaml"
    path.write_text(path.read_text().replace(f'CIRCUIT_BREAKER_ERROR_THRESHOLD: "{old}"', f'CIRCUIT_BREAKER_ERROR_THRESHOLD: "{new}"'))


def test_cli_markdown_names_the_risk_and_writes_sarif(based, tmp_path, capsys):
    _limit(based, 5, 50)
    out, sarif = tmp_path / "diff.md", tmp_path / "validate.sarif"
    code = cli.main(["--repo", str(based), "--diff", "HEAD", "--format", "markdown", "--output", str(out),
                     "--sarif", str(sarif)])
    assert code == 0, capsys.readouterr()
    body = out.read_text()
    for env in ("dev", "staging", "prod"):
        assert f"| {env} | 0 added, 0 removed, 1 changed | **risk limits and circuit breaker** |" in body
    assert "`CIRCUIT_BREAKER_ERROR_THRESHOLD 5 -> 50`" in body
    assert '"version": "2.1.0"' in sarif.read_text()
    assert capsys.readouterr().out.startswith("3 environments, ")


def test_each_environment_renders_once_per_tree_and_the_base_tree_is_removed(based, tmp_path, monkeypatch):
    _limit(based, 5, 6)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    seen = []
    real = render.render_mapped
    monkeypatch.setattr(render, "render_mapped", lambda path, label=None, **kw: seen.append((path, label)) or real(path, label, **kw))
    assert cli.main(["--repo", str(based), "--diff", "HEAD", "--env", "prod", "--env", "dev"]) == 0
    overlays = sorted(str(p.relative_to(p.parents[1])) for p, label in seen if label.startswith("overlays/"))
    assert overlays == ["overlays/dev", "overlays/dev", "overlays/prod", "overlays/prod"]
    assert {str(p).startswith(str(scratch)) for p, label in seen} == {True, False}  # BASE outside the work tree
    assert list(scratch.iterdir()) == []


def test_text_is_the_default_and_ends_with_validate_s_summary(based, capsys):
    _limit(based, 5, 7)
    assert cli.main(["--repo", str(based), "--diff", "HEAD", "--env", "prod"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("== prod: 1 object differs from HEAD (") and out[0].endswith("0 added, 0 removed, 1 changed ==")
    assert out[1] == ("~ ConfigMap/fks-trading/fks-execution-config: changed data.CIRCUIT_BREAKER_ERROR_THRESHOLD "
                      "[risk-limits] CIRCUIT_BREAKER_ERROR_THRESHOLD 5 -> 7")
    assert '+  CIRCUIT_BREAKER_ERROR_THRESHOLD: "7"' in out or "+  CIRCUIT_BREAKER_ERROR_THRESHOLD: '7'" in out
    assert out[-1].startswith("1 environment, ")


def test_an_environment_new_since_base_is_all_added(based, rendered):
    with BaseRenders(Git.open(based), "HEAD", ["prod", "qa"]) as base:
        diff = base.compare({"prod": rendered["prod"], "qa": rendered["prod"]})
    prod, qa = diff.envs
    assert prod.changes == () and prod.note is None
    assert qa.note == "new environment: overlays/qa is not in HEAD"
    assert {c.action for c in qa.changes} == {"added"} and len(qa.changes) == len(rendered["prod"])
    assert any(risk.RBAC in c.risks for c in qa.changes)


def test_a_base_that_does_not_render_is_said(based, rendered):
    (based / "overlays/dev/kustomization.yaml").write_text("resources: [nowhere.yaml]\n")
    git(based, "commit", "-q", "--no-verify", "-am", "break dev")
    with BaseRenders(Git.open(based), "HEAD", ["dev"]) as base:
        [dev] = base.compare({"dev": rendered["dev"]}).envs
    assert dev.changes == () and dev.note.startswith("not compared: HEAD does not render: ")


def test_an_unknown_base_is_a_usage_error(based, capsys):
    assert cli.main(["--repo", str(based), "--diff", "origin/nope"]) == 2
    err = capsys.readouterr().err
    assert err == "error: 'origin/nope' is not a commit here; fetch it first (git fetch origin main) or name another\n"


@pytest.mark.parametrize(("argv", "said"), [
    (["--diff", "HEAD", "--format", "sarif"], "--format sarif does not go with --diff; use one of text, markdown"),
    (["--format", "markdown"], "--format markdown needs --diff; use one of text, json, github, junit, sarif"),
])
def test_formats_belong_to_their_mode(repo, capsys, argv, said):
    assert cli.main(["--repo", str(repo), *argv]) == 2
    assert capsys.readouterr().err == f"error: {said}\n"
