"""fks_gitops/yamlload.py and the duplicate-key scan (yamlscan.py): a key twice is one error line."""
from __future__ import annotations

import subprocess
import textwrap

import pytest

import validate as validate_cli
from conftest import copy_repo, git
from fks_gitops.cli import exit_code
from fks_gitops import environments, render, yamlload
from fks_gitops.checks import argocd
from fks_gitops.checks import duplicate_keys as yamlscan
from fks_gitops.errors import GitOpsError
from fks_gitops.problem import Location, Problem
from fks_gitops.repo_git import Git


def _second(text: str, needle: str, add: str) -> tuple[str, int]:
    """`text` with `add` as a new line right after the line holding `needle`; and its line number."""
    lines = text.splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if needle in line)
    indent = lines[at][: len(lines[at]) - len(lines[at].lstrip())]
    lines.insert(at + 1, indent + add + "\n")
    return "".join(lines), at + 2


# -- the loaders ---------------------------------------------------------------------------


def test_a_duplicate_key_is_one_line_with_both_lines():
    text = "environments:\n  - name: staging\n    soak: 24h\n    soak: 0h\n"
    with pytest.raises(GitOpsError) as err:
        yamlload.load_strings(text, "environments.yaml")
    assert str(err.value) == "environments.yaml:4:5: duplicate key 'soak' (first at line 3); remove one"
    assert exit_code(err.value) == 2


def test_unique_keys_load_with_every_scalar_a_string():
    assert yamlload.load_strings("a: 1.10\nb: [yes, 2026-01-01]\n", "f") == {"a": "1.10", "b": ["yes", "2026-01-01"]}
    assert yamlload.load_strings("", "f") is None


def test_load_all_is_typed_and_checks_every_document():
    assert yamlload.load_all("a: 1\n---\n---\nb: true\n", "f") == [{"a": 1}, {"b": True}]
    with pytest.raises(GitOpsError, match=r"^f:5:3: duplicate key 'x' \(first at line 4\); remove one$"):
        yamlload.load_all("a: 1\n---\nb:\n  x: 1\n  x: 2\n", "f")


def test_keys_compare_by_their_text_as_kubernetes_reads_them():
    with pytest.raises(GitOpsError, match=r"duplicate key '1'"):
        yamlload.load_all("data:\n  1: a\n  '1': b\n", "f")


def test_the_same_key_in_two_mappings_and_merge_keys_are_fine():
    text = "base: &b {a: 1}\nx: {a: 2}\ny:\n  <<: *b\n  a: 3\nlist: [{a: 1}, {a: 1}]\n"
    assert yamlload.load_all(text, "f")[0]["y"] == {"a": 3}


def test_invalid_yaml_is_one_line_with_its_place():
    with pytest.raises(GitOpsError) as err:
        yamlload.load_strings("a: [1,\nb: 2\n", "f.yaml")
    assert str(err.value).startswith("f.yaml:") and "not valid YAML" in str(err.value) and "\n" not in str(err.value)


def test_load_strings_wants_one_document():
    with pytest.raises(GitOpsError, match="holds 2 YAML documents"):
        yamlload.load_strings("a: 1\n---\nb: 2\n", "f")


def test_render_parse_is_strict_for_repository_files_only():
    text = "kind: ConfigMap\nkind: Secret\n"
    with pytest.raises(GitOpsError, match="x.yaml:2:1: duplicate key 'kind'"):
        render.parse(text, "x.yaml")
    assert render.parse(text, "kustomize output", strict=False) == [{"kind": "Secret"}]


# -- environments.yaml and argocd/ through validate ----------------------------------------


def test_a_duplicate_soak_makes_validate_exit_2_naming_the_line(tmp_path, capsys):
    repo = copy_repo(tmp_path / "repo")
    text, line = _second((repo / "environments.yaml").read_text(), "soak: 24h", "soak: 0h")
    (repo / "environments.yaml").write_text(text)
    first = line - 1
    assert validate_cli.main(["--repo", str(repo)]) == 2
    err = capsys.readouterr().err
    assert err == f"error: environments.yaml:{line}:5: duplicate key 'soak' (first at line {first}); remove one\n"


def test_the_real_environments_file_loads(repo):
    assert environments.load(repo).get("staging").soak.total_seconds() > 0


def test_a_duplicate_key_in_an_argocd_file_is_refused(tmp_path):
    repo = tmp_path / "repo"
    (repo / "argocd" / "apps").mkdir(parents=True)
    (repo / "argocd" / "apps" / "dev.yaml").write_text(textwrap.dedent("""\
        apiVersion: argoproj.io/v1alpha1
        kind: Application
        metadata:
          name: fks-trading-dev
        spec:
          project: fks-trading
          project: default
        """))
    with pytest.raises(GitOpsError) as err:
        argocd.load(repo)
    assert str(err.value) == "argocd/apps/dev.yaml:7:3: duplicate key 'project' (first at line 6); remove one"


def test_the_real_argocd_files_load(repo):
    assert any(m.doc.get("kind") == "AppProject" for m in argocd.load(repo))


# -- the scan over every YAML file kustomize reads -----------------------------------------


def test_kustomize_itself_keeps_one_of_two_keys_in_a_kustomization(tmp_path):
    """Why the scan exists: kustomize renders `namespace: b` and says nothing."""
    (tmp_path / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n")
    (tmp_path / "kustomization.yaml").write_text("resources: [cm.yaml]\nnamespace: a\nnamespace: b\n")
    assert render.render(tmp_path, "k")[0]["metadata"]["namespace"] == "b"


def _scanned_repo(tmp_path, files: dict[str, str]):
    repo = tmp_path / "scan"
    for rel, text in files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    subprocess.run(["git", "init", "-q", str(repo)], check=True, timeout=60)
    git(repo, "add", "-A")
    return repo


def test_the_scan_finds_duplicates_in_patches_and_kustomizations(tmp_path):
    repo = _scanned_repo(tmp_path, {
        "overlays/dev/kustomization.yaml": "resources: [../../base]\nnamespace: a\nnamespace: b\n",
        "overlays/dev/replicas.yaml": "kind: Deployment\nspec:\n  replicas: 1\n  replicas: 3\n",
        "base/ok.yml": "a: 1\nb: {a: 1}\n",
        "tests/fixtures/broken.yaml": "a: 1\na: 2\n",  # test fixtures are not deployed
        "notes.txt": "a: 1\na: 2\n",
    })
    assert yamlscan.check(repo, Git.open(repo).files()) == [
        Problem("yaml.duplicate-key", "error", "duplicate key 'namespace' (first at line 2); remove one",
                Location("overlays/dev/kustomization.yaml", 3, 1)),
        Problem("yaml.duplicate-key", "error", "duplicate key 'replicas' (first at line 3); remove one",
                Location("overlays/dev/replicas.yaml", 4, 3)),
    ]


def test_the_scan_covers_files_one_git_add_away(tmp_path):
    repo = _scanned_repo(tmp_path, {"base/ok.yaml": "a: 1\n"})
    (repo / "base" / "new.yaml").write_text("a: 1\na: 2\n")
    assert [p.location for p in yamlscan.check(repo, Git.open(repo).files())] == [Location("base/new.yaml", 2, 1)]


def test_the_real_repository_has_no_duplicate_keys(repo):
    assert yamlscan.check(repo, Git.open(repo).files()) == []


def test_validate_reports_duplicates_in_a_patch_and_in_the_secrets_template(tmp_path):
    from fks_gitops import validate

    repo = copy_repo(tmp_path / "repo")
    template, template_line = _second((repo / "secrets.template.yaml").read_text(), "used_by: Deployment/grafana", "used_by: again")
    (repo / "secrets.template.yaml").write_text(template)
    patch = next(p for p in sorted((repo / "overlays" / "prod").glob("*.yaml")) if "kind:" in p.read_text())
    text, patch_line = _second(patch.read_text(), "kind:", "kind: ConfigMap")
    patch.write_text(text)
    found = {p.location: p.message for p in validate.validate(repo).problems if p.rule == "yaml.duplicate-key"}
    assert found == {
        Location("secrets.template.yaml", template_line, 5): f"duplicate key 'used_by' (first at line {template_line - 1}); remove one",
        Location(f"overlays/prod/{patch.name}", patch_line, 1): f"duplicate key 'kind' (first at line {patch_line - 1}); remove one",
    }
