import shutil

import pytest

from fks_gitops import render


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
