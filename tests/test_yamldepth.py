"""YAML and JSON nested past yamldepth.MAX_DEPTH: one line at the place, never a crash.

libyaml's composer recurses in C, so 50,000 `[` would kill the process with a segfault; every
command-line case runs validate in a child process, where a crash shows as a negative exit code.
"""
import subprocess
import sys

import pytest
import yaml

from conftest import REPO
from fks_gitops import yamldepth, yamlload
from fks_gitops.errors import GitOpsError

DEEP = 50_000  # past kustomize's own 10,000 and past what libyaml survives on an 8 MiB stack
LIMIT = yamldepth.MAX_DEPTH


def flow(levels: int) -> str:
    return "[" * levels + "]" * levels


def test_flow_nesting_past_the_limit_is_found_at_its_column():
    assert yamldepth.too_deep(f"a: {flow(DEEP)}\n") == (1, 3 + LIMIT, LIMIT + 1)


def test_block_nesting_past_the_limit_is_found():
    compact = "- " * (LIMIT + 1) + "x\n"  # a sequence in a sequence on one line
    assert yamldepth.too_deep(compact) == (1, 2 * LIMIT + 1, LIMIT + 1)
    indented = "".join(" " * i + "k:\n" for i in range(LIMIT + 1)) + " " * (LIMIT + 1) + "v\n"
    assert yamldepth.too_deep(indented)[2] == LIMIT + 1


def test_nesting_at_the_limit_and_brackets_in_strings_are_allowed():
    assert yamldepth.too_deep(f"a: {flow(LIMIT - 1)}\n") is None  # the mapping is one level
    assert yamldepth.too_deep("- " * (LIMIT - 1) + "x\n") is None
    promql = 'expr: "' + "sum(rate(x[5m])) " * 2_000 + '"\n'
    assert yamldepth.too_deep(promql) is None
    assert yamldepth.too_deep("note: '" + "[" * 1_000 + "'\n") is None  # quoted: one scalar, not nesting


def test_the_guarded_loaders_raise_a_yaml_error_a_caller_already_catches():
    with pytest.raises(yaml.YAMLError, match=rf"nested more than {LIMIT} levels deep"):
        yaml.load(f"a: {flow(DEEP)}\n", Loader=yamldepth.CSafeLoader)
    with pytest.raises(yamldepth.TooDeep):
        list(yaml.load_all(f"a: 1\n---\nb: {flow(DEEP)}\n", Loader=yamldepth.CBaseLoader))
    assert yaml.load("a: [1, {b: [2]}]\n", Loader=yamldepth.CSafeLoader) == {"a": [1, {"b": [2]}]}


def test_yamlload_names_the_file_line_and_column():
    with pytest.raises(GitOpsError, match=rf"^argocd/x.yaml:2:{3 + LIMIT}: not valid YAML: nested more than {LIMIT} levels deep"):
        yamlload.load_all(f"a: 1\nb: {flow(DEEP)}\n", "argocd/x.yaml")


def validate_cli(repo):
    return subprocess.run([sys.executable, str(REPO / "tools/validate.py"), "--repo", str(repo)],
                          capture_output=True, text=True, timeout=120)


def errors(out: str) -> list[str]:
    return [line for line in out.splitlines() if "[error]" in line]


def add_resource(repo, text: str) -> None:
    (repo / "base/execution/deep.yaml").write_text(text)
    kustomization = repo / "base/execution/kustomization.yaml"
    kustomization.write_text(kustomization.read_text().replace("  - pdb.yaml\n", "  - pdb.yaml\n  - deep.yaml\n"))
    subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True)


@pytest.mark.parametrize("levels", [LIMIT + 44, DEEP])  # under kustomize's limit, and over it
def test_a_deep_resource_is_refused_before_kustomize_at_its_line(repo_copy, levels):
    add_resource(repo_copy, f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: deep}}\ndata:\n  x: {flow(levels)}\n")
    out = validate_cli(repo_copy)
    assert out.returncode == 1, out.stderr
    assert "Traceback" not in out.stderr
    assert f"base/execution/deep.yaml:5:{4 + LIMIT}: [error] YAML nested more than {LIMIT} levels deep" in out.stdout


def test_a_resource_at_an_ordinary_depth_renders(repo_copy):
    add_resource(repo_copy, f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: deep}}\ndata:\n  x: '{flow(40)}'\n")
    out = validate_cli(repo_copy)
    assert errors(out.stdout) == [] and out.returncode == 0, out.stdout + out.stderr


def test_deep_monitoring_configs_and_dashboards_are_one_line_each(repo_copy):
    config = repo_copy / "base/alertmanager/alertmanager.yml"
    line = config.read_text().count("\n") + 1
    config.write_text(config.read_text() + f"templates: {flow(DEEP)}\n")
    board = repo_copy / "base/grafana/dashboards/monitoring.json"
    text = board.read_text().rstrip()
    board.write_text(text[:-1] + f', "deep": {flow(DEEP)}}}\n')
    out = validate_cli(repo_copy)
    assert out.returncode == 1 and "Traceback" not in out.stderr, out.stderr
    deep = [e for e in errors(out.stdout) if "(yaml.depth)" in e]
    assert [e.split(": [error]")[0] for e in deep] == [f"base/alertmanager/alertmanager.yml:{line}:{11 + LIMIT}",
                                                      f"base/grafana/dashboards/monitoring.json:{text.count(chr(10)) + 1}:{len(text.splitlines()[-1]) + 9 + LIMIT}"]
    assert "check-failed" not in out.stdout


@pytest.mark.parametrize("rel", ["environments.yaml", "argocd/apps/dev.yaml"])
def test_a_deep_config_of_the_tool_is_one_line(repo_copy, rel):
    path = repo_copy / rel
    line = path.read_text().count("\n") + 1
    path.write_text(path.read_text() + f"deep: {flow(DEEP)}\n")
    out = validate_cli(repo_copy)
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr == f"error: {rel}:{line}:{6 + LIMIT}: not valid YAML: nested more than {LIMIT} levels deep; flatten it\n"


def test_a_text_several_checks_read_is_parsed_once_and_a_deep_one_still_refused():
    text = "groups:\n- name: a\n  rules: []\n"
    assert yamldepth.shared(text) is yamldepth.shared(text) == yaml.safe_load(text)
    with pytest.raises(yaml.YAMLError, match="nested more than"):
        yamldepth.shared(f"deep: {flow(DEEP)}\n")
    with pytest.raises(yaml.YAMLError, match="nested more than"):
        yamldepth.shared(f"deep: {flow(DEEP)}\n")  # a refusal is not remembered as a value
