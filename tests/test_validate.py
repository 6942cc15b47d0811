"""validate end to end: the real repository, a broken copy, the command line and its exit codes."""
import json

import pytest

import validate as cli
from fks_gitops import validate


@pytest.fixture(scope="module")
def real_report(repo):
    return validate.validate(repo)


def test_real_repository_has_no_errors(real_report):
    assert [str(p) for p in real_report.problems if p.level == "error"] == []
    assert real_report.environments == ["dev", "staging", "prod"]
    assert real_report.objects > 60


def test_every_check_ran_on_the_real_repository(real_report):
    assert real_report.notes == []


def test_cli_exit_0_and_summary(repo, capsys):
    assert cli.main(["--repo", str(repo), "--env", "dev"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1].startswith("1 environment, ") and " 0 errors, " in out[-1]


def test_cli_exit_1_on_problems(repo_copy, capsys):
    path = repo_copy / "overlays/dev/execution-replicas.yaml"
    path.write_text(path.read_text().replace("maxReplicas: 1", "maxReplicas: 1\n  replicas: 3"))
    assert cli.main(["--repo", str(repo_copy), "--env", "dev"]) == 1
    assert "[error]" in capsys.readouterr().out


def test_render_failure_is_a_problem(repo_copy):
    (repo_copy / "overlays/staging/kustomization.yaml").write_text("resources: [nowhere.yaml]\n")
    report = validate.validate(repo_copy, ["staging"])
    [problem] = [p for p in report.problems if p.rule == "render"]
    assert problem.location.file == "overlays/staging/kustomization.yaml" and "nowhere.yaml" in problem.message
    assert problem.location.line and problem.environments == ("staging",)


def test_cli_exit_2_on_unknown_environment(repo, capsys):
    assert cli.main(["--repo", str(repo), "--env", "qa"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "unknown environment 'qa'" in err and "Traceback" not in err


def test_cli_exit_2_on_bad_usage(capsys):
    assert cli.main(["--format", "yaml"]) == 2
    assert "invalid choice: 'yaml'" in capsys.readouterr().err


def test_cli_exit_2_on_a_missing_schema_location(repo, tmp_path, capsys):
    assert cli.main(["--repo", str(repo), "--env", "dev", "--schema-location", str(tmp_path / "nope")]) == 2
    assert "not a folder" in capsys.readouterr().err


def test_env_narrows_the_argocd_check_and_renders_only_what_it_needs(repo_copy, monkeypatch):
    (repo_copy / "base/cluster/kustomization.yaml").write_text("resources: [missing.yaml]\n")
    seen = []
    real = validate.render.render_mapped
    monkeypatch.setattr(validate.render, "render_mapped",
                        lambda path, label=None, **kw: seen.append(label) or real(path, label, **kw))
    assert [p for p in validate.validate(repo_copy, ["prod"]).problems if p.level == "error"] == []
    assert seen == ["overlays/prod"]
    full = validate.validate(repo_copy)
    assert any(p.rule == "argocd.path" and "base/cluster" in p.message for p in full.problems)


def test_output_file_and_format(repo, tmp_path, capsys):
    out = tmp_path / "report.json"
    assert cli.main(["--repo", str(repo), "--env", "prod", "--format", "json", "--output", str(out)]) == 0
    assert json.loads(out.read_text())["environments"] == ["prod"]
    assert capsys.readouterr().out.startswith("1 environment, ")


def test_one_environment_says_parity_was_not_compared(repo):
    report = validate.validate(repo, ["prod"])
    assert any("parity" in note for note in report.notes)
