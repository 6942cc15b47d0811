import json
import shutil

import pytest

from fks_gitops import render
from fks_gitops.errors import GitOpsError


def test_renderer_is_kustomize_5():
    assert render.renderer().version.lstrip("v").startswith("5")


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_every_overlay_renders(rendered, env):
    kinds = {d["kind"] for d in rendered[env]}
    assert {"Deployment", "Service", "ConfigMap", "Ingress", "HorizontalPodAutoscaler"} <= kinds


def test_namespaces_come_from_the_overlay(rendered, config):
    for env in config.environments:
        spaces = {d["metadata"].get("namespace") for d in rendered[env.name]}
        assert spaces == {env.namespace}


def test_render_failure_is_kustomizes_message_without_machine_paths(tmp_path):
    overlay = tmp_path / "overlays" / "x"
    overlay.mkdir(parents=True)
    (tmp_path / "environments.yaml").write_text("environments: []\n")
    (overlay / "kustomization.yaml").write_text("resources: [missing.yaml]\n")
    with pytest.raises(render.RenderError) as err:
        render.render(overlay, "overlays/x")
    message = str(err.value)
    assert message.startswith("overlays/x: kustomize failed:") and "missing.yaml" in message
    assert str(tmp_path) not in message


def test_missing_kustomization(tmp_path):
    with pytest.raises(render.RenderError, match="no kustomization.yaml"):
        render.render(tmp_path, "overlays/empty")


def test_render_all_keeps_failures_apart(repo, tmp_path):
    results = render.render_all(repo, ["overlays/dev", "overlays/nope"])
    assert isinstance(results["overlays/dev"], list)
    assert isinstance(results["overlays/nope"], render.RenderError)


def test_object_id():
    assert render.object_id({"kind": "Deployment", "metadata": {"name": "a", "namespace": "ns"}}) == "Deployment/ns/a"
    assert render.object_id({"kind": "ClusterIssuer", "metadata": {"name": "le"}}) == "ClusterIssuer/le"


def test_a_version_query_is_asked_again_when_the_binary_changes(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("FKS_GITOPS_NO_CACHE", "0")
    binary = tmp_path / "bin" / "tool"
    binary.parent.mkdir()
    shutil.copy2(shutil.which("git"), binary)
    first = render.version_output([str(binary), "--version"])
    assert first.startswith("git version") and render.version_output([str(binary), "--version"]) == first
    assert len(list((tmp_path / "cache" / "fks-gitops").glob("version-*"))) == 1  # remembered
    shutil.copy(shutil.which("true"), binary)  # another binary at the same path: its own answer
    assert render.version_output([str(binary), "--version"]) != first
    warm = render.renderer(), render.renderer()
    monkeypatch.setenv("FKS_GITOPS_NO_CACHE", "1")
    assert warm[0] == warm[1] == render.renderer()


_ODD = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: notes}
data:
  notes.md: |
    --- an indented marker is text
    ---
  created: 2024-01-01
---
apiVersion: v1
kind: ConfigMap
metadata: {name: keys}
data: {1: one, true: yes}
--- {apiVersion: v1, kind: ConfigMap, metadata: {name: inline}}
---
---
apiVersion: v1
kind: Secret
metadata: {name: twice, annotations: {at: '2024-01-01'}}
data: {a: YQ==}
---
apiVersion: v1
kind: Secret
metadata: {name: twice, annotations: {at: '2024-01-01'}}
data: {a: YQ==}
"""


def test_kustomize_output_read_from_kept_documents_is_what_yaml_parses(rendered, monkeypatch, tmp_path):
    """Each document is kept by its text; what comes back from the kept ones, the fresh ones or
    a mix equals a full parse: timestamps, non-string keys, an indented marker, a marker line
    with a document on it, empty documents and a repeated document (each its own objects)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("FKS_GITOPS_NO_CACHE", "0")
    import yaml

    dev = yaml.safe_dump_all(rendered["dev"], sort_keys=False)
    for text in (_ODD, dev, dev.replace("trading-dev", "trading-elsewhere", 1), _ODD + "---\n" + dev):
        expected = render.parse(text, "x", strict=False)
        first, again = render.parse_output(text, "overlays/x"), render.parse_output(text, "overlays/x")
        assert first == expected and again == expected and repr(again) == repr(expected)
    kept = list(tmp_path.glob("fks-gitops/documents-*.json"))
    assert len(kept) == 1 and "an indented marker" not in kept[0].read_text()  # JSON has no date: parsed each time
    assert "trading-dev" in kept[0].read_text() and "trading-elsewhere" not in kept[0].read_text()  # the last render's
    twice = [d for d in render.parse_output(_ODD, "overlays/x") if d["metadata"]["name"] == "twice"]
    assert twice[0] == twice[1] and twice[0] is not twice[1] and twice[0]["data"] is not twice[1]["data"]


@pytest.mark.parametrize("damage", ["[1, 2]", "not json", "\"text\"", [1], "garbage", "5", "[7]"])
def test_a_damaged_entry_of_kept_documents_is_a_miss(rendered, monkeypatch, tmp_path, damage):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("FKS_GITOPS_NO_CACHE", "0")
    import yaml

    text = yaml.safe_dump_all(rendered["dev"], sort_keys=False)
    render.parse_output(text, "overlays/x")
    [kept] = tmp_path.glob("fks-gitops/documents-*.json")
    entries = json.loads(kept.read_text())
    if damage in ("[1, 2]", "not json", "\"text\""):
        kept.write_text(damage)  # the whole entry
    else:
        kept.write_text(json.dumps({k: damage for k in entries}))  # each part's
    assert render.parse_output(text, "overlays/x") == render.parse(text, "x", strict=False)


def test_kustomize_output_that_does_not_parse_says_so_as_parse_does(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("FKS_GITOPS_NO_CACHE", "0")
    with pytest.raises(GitOpsError, match="overlays/x: not valid YAML"):
        render.parse_output("a: 1\n---\nb: [\n", "overlays/x")
