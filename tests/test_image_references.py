"""checks/image_references.py: every rendered container image, and the overlays' images: entries."""
from dataclasses import replace

import pytest

from fks_gitops.checks import image_references
from fks_gitops.checks.context import EnvContext
from fks_gitops.problem import Location

EXEC = "ghcr.io/fks-trading/fks-execution"
DIGEST = "sha256:" + "ab" * 32


def deployment(*images: str, kind: str = "Deployment") -> dict:
    containers = [{"name": f"c{i}", "image": image} for i, image in enumerate(images)]
    spec = {"template": {"spec": {"containers": containers}}}
    if kind == "CronJob":
        spec = {"jobTemplate": {"spec": spec}}
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": "app", "namespace": "ns"}, "spec": spec}


def problems(config, *docs):
    return image_references.run(EnvContext(config, config.get("dev"), list(docs)))


@pytest.mark.parametrize(
    "image", [f"{EXEC}:1.4.3", f"{EXEC}@{DIGEST}", f"{EXEC}:1.4.3@{DIGEST}", "quay.io/prometheus/prometheus:v2.54.1"]
)
def test_allowed_images_pass(config, image):
    assert problems(config, deployment(image)) == []


@pytest.mark.parametrize(
    ("image", "rule", "message"),
    [
        ("evil.example.com/cryptominer:1.0", "image-references.repository",
         "container 'c0' image 'evil.example.com/cryptominer:1.0': repository 'evil.example.com/cryptominer' is not in "
         "environments.yaml images:; allowed: docker.io/grafana/grafana, ghcr.io/fks-trading/fks-execution, "
         "quay.io/prometheus/alertmanager, quay.io/prometheus/prometheus"),
        ("../../../etc/passwd:1.0", "image-references.name",
         "container 'c0' image '../../../etc/passwd:1.0': image name '../../../etc/passwd' is not a repository name like ghcr.io/org/app"),
        (f"{EXEC}:LATEST", "image-references.latest",
         f"container 'c0' image '{EXEC}:LATEST': tag 'LATEST' moves under the same name; pin a version"),
        (f"{EXEC}:.bad", "image-references.tag",
         f"container 'c0' image '{EXEC}:.bad': tag '.bad' is not an OCI tag: 1 to 128 of A-Za-z0-9_.- not starting with . or -"),
        (f"{EXEC}@sha256:{'a' * 63}", "image-references.digest",
         f"container 'c0' image {EXEC + '@sha256'!r}... (104 characters): digest 'sha256:{'a' * 33}'... (70 characters) "
         "is not sha256: and 64 lowercase hex digits"),
    ],
)
def test_denied_images_name_the_rule_and_point_at_the_image(config, image, rule, message):
    (found,) = problems(config, deployment(image))
    assert (found.rule, found.level, found.message) == (rule, "error", message)
    assert found.pointer == "/spec/template/spec/containers/0/image"
    assert str(found.object) == "Deployment/app"


def test_every_container_is_checked_at_its_own_pointer(config):
    found = problems(config, deployment(f"{EXEC}:1.0", f"{EXEC}:latest", kind="CronJob"))
    assert [(p.rule, p.pointer) for p in found] == [
        ("image-references.latest", "/spec/jobTemplate/spec/template/spec/containers/1/image")]


def test_a_long_tag_is_one_short_line(config):
    (found,) = problems(config, deployment(f"{EXEC}:{'1' * 4301}"))
    assert found.rule == "image-references.tag" and "(4301 characters)" in found.message and len(found.message) < 250


def test_an_overlay_entry_swapping_in_another_components_repository_is_refused(config, tmp_path):
    overlay = tmp_path / "overlays" / "dev"
    overlay.mkdir(parents=True)
    (overlay / "kustomization.yaml").write_text(
        f"images:\n  - name: {EXEC}\n    newName: docker.io/grafana/grafana\n    newTag: '1'\n"
        "  - name: docker.io/grafana/grafana\n    newTag: 11.2.2\n")
    (found,) = problems(replace(config, repo=tmp_path))
    assert (found.rule, found.location, found.message) == (
        "image-references.repository", Location("overlays/dev/kustomization.yaml"),
        f"images entry '{EXEC}': repository 'docker.io/grafana/grafana' is not allowed for fks-execution; allowed: {EXEC}")


def test_the_real_overlays_pass(config, rendered):
    for env in config.environments:
        assert image_references.run(EnvContext(config, env, rendered[env.name])) == []
