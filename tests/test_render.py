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
