"""Source mapping: the rendered objects as Argo CD sees them, and the line a person must edit."""
import subprocess
from pathlib import Path

import pytest
import yaml

from fks_gitops import render
from fks_gitops.problem import Location, ObjectRef

REPO = Path(__file__).resolve().parent.parent


def line_of(rel: str, text: str) -> tuple[int, int]:
    """(line, column), 1-based, of the first occurrence of `text` in the file: read independently."""
    for number, line in enumerate((REPO / rel).read_text().splitlines(), 1):
        if text in line:
            return number, line.index(text) + 1
    raise AssertionError(f"{text!r} not in {rel}")


@pytest.fixture(scope="module")
def staging():
    return render.render_mapped(REPO / "overlays/staging", "overlays/staging")


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_the_mapped_render_is_exactly_what_argo_cd_renders(env):
    plain = subprocess.run([*render.renderer().argv, str(REPO / "overlays" / env)], capture_output=True, text=True,
                           check=True).stdout
    docs, _ = render.render_mapped(REPO / "overlays" / env, f"overlays/{env}")
    assert docs == [d for d in yaml.safe_load_all(plain) if d]


def test_a_base_field_maps_to_its_line_in_the_base_file(staging):  # the port: no overlay sets it
    _, sources = staging
    found = sources.locate(ObjectRef("Deployment", "fks-execution", "fks-trading-staging"),
                           "/spec/template/spec/containers/0/ports/0/containerPort")
    assert found == Location("base/execution/deployment.yaml", *line_of("base/execution/deployment.yaml", "containerPort:"))


def test_a_field_an_overlay_patch_sets_maps_to_the_patch(staging):
    _, sources = staging
    found = sources.locate(ObjectRef("HorizontalPodAutoscaler", "fks-execution", "fks-trading-staging"), "/spec/minReplicas")
    rel = "overlays/staging/execution-replicas.yaml"
    assert found == Location(rel, *line_of(rel, "minReplicas:"))


def test_a_field_no_file_writes_maps_to_its_nearest_written_parent(staging):
    _, sources = staging
    found = sources.locate(ObjectRef("Deployment", "fks-execution", "fks-trading-staging"),
                           "/spec/template/spec/containers/0/no-such-field")
    assert found.file == "base/execution/deployment.yaml"
    assert found.line == line_of("base/execution/deployment.yaml", "- name: execution")[0]


def test_a_generated_configmap_key_maps_to_the_file_it_came_from(staging):
    docs, sources = staging
    name = next(d["metadata"]["name"] for d in docs if d["metadata"]["name"].startswith("prometheus-config-"))
    found = sources.locate(ObjectRef("ConfigMap", name, "fks-trading-staging"), "/data/prometheus.yml")
    assert found == Location("base/prometheus/prometheus.yml")


def test_an_object_without_a_pointer_maps_to_its_first_line(staging):
    _, sources = staging
    found = sources.locate(ObjectRef("Service", "fks-execution", "fks-trading-staging"))
    assert found == Location("base/execution/service.yaml", *line_of("base/execution/service.yaml", "apiVersion"))


# -- kustomize failures keep their whole message and point at the file they name


def failure(repo: Path, env: str = "staging") -> render.RenderError:
    with pytest.raises(render.RenderError) as failed:
        render.render_mapped(repo / "overlays" / env, f"overlays/{env}")
    return failed.value


def test_a_patch_path_typo_points_at_its_entry(repo_copy):
    path = repo_copy / "overlays/staging/kustomization.yaml"
    path.write_text(path.read_text().replace("path: execution-replicas.yaml", "path: execution-replicaz.yaml"))
    error = failure(repo_copy)
    rel = "overlays/staging/kustomization.yaml"
    assert error.problem().location == Location(rel, *line_of_in(path, "execution-replicaz.yaml"))
    assert "execution-replicaz.yaml" in error.detail and "no such file or directory" in error.detail
    assert str(repo_copy) not in error.detail and "run.go" not in error.detail


def line_of_in(path: Path, text: str) -> tuple[int, int]:
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if text in line:
            return number, line.index(text) + 1
    raise AssertionError(text)


def test_a_duplicate_key_in_a_base_keeps_kustomizes_whole_message(repo_copy):
    path = repo_copy / "base/execution/deployment.yaml"
    text = path.read_text()
    at = text.index("      containers:")
    path.write_text(text[:at] + "      containers: []\n" + text[at:])
    error = failure(repo_copy)
    assert 'mapping key "containers" already defined at line' in error.detail
    assert error.detail.strip() and error.detail != ">"


def test_a_mis_indented_patch_keeps_the_whole_message(repo_copy):
    path = repo_copy / "overlays/staging/execution-replicas.yaml"
    path.write_text(path.read_text() + "  - op: replace\n   path: /spec/minReplicas\n")
    error = failure(repo_copy)
    assert "unable to parse SM or JSON patch" in error.detail and "execution-replicas.yaml" in error.detail
    assert error.problem().location.file in ("overlays/staging/kustomization.yaml", "overlays/staging/execution-replicas.yaml")


def test_an_image_maps_to_the_overlay_images_entry_that_sets_it(staging):
    _, sources = staging
    found = sources.locate(ObjectRef("Deployment", "fks-execution", "fks-trading-staging"),
                           "/spec/template/spec/containers/0/image")
    rel = "overlays/staging/kustomization.yaml"
    lines = (REPO / rel).read_text().splitlines()
    entry = lines.index("  - name: ghcr.io/fks-trading/fks-execution")
    assert found == Location(rel, entry + 2, 5)  # its newTag line


def test_an_object_maps_to_the_document_of_its_own_name_not_one_inside_it(tmp_path):
    """By exact name first (an index per file), so `cm-1` never takes the line of `cm-10`'s field."""
    docs = [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"cm-{n}"}, "data": {"k": "v"}} for n in (1, 10)]
    (tmp_path / "x").mkdir()
    (tmp_path / "x/objects.yaml").write_text(yaml.safe_dump_all(docs))
    (tmp_path / "x/kustomization.yaml").write_text("resources: [objects.yaml]\n")
    _, sources = render.render_mapped(tmp_path / "x", "x")
    assert sources.locate(ObjectRef("ConfigMap", "cm-10"), "/data/k") == Location("x/objects.yaml", 10, 3)
    assert sources.locate(ObjectRef("ConfigMap", "cm-1"), "/data/k") == Location("x/objects.yaml", 3, 3)
