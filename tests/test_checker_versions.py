"""checks/checker_versions.py: the Prometheus and Alertmanager images run the minor version of
the promtool and amtool that check them."""
import pytest

from fks_gitops.checks import checker_versions
from fks_gitops.checks.context import EnvContext
from fks_gitops.problem import Location
from fks_gitops.validate import validate
from test_image_references import deployment


def problems(config, *docs):
    return checker_versions.run(EnvContext(config, config.get("dev"), list(docs)))


def test_the_checkers_are_at_the_deployed_versions(config, rendered):
    for env in ("dev", "staging", "prod"):
        assert checker_versions.run(EnvContext(config, config.get(env), rendered[env])) == []
    images = {c["image"] for d in rendered["prod"] if d["kind"] == "Deployment" for c in d["spec"]["template"]["spec"]["containers"]}
    tags = {i.split("/")[-1].partition(":")[0]: i.rpartition(":")[2].lstrip("v") for i in images}
    assert checker_versions.checker_version("promtool") == tags["prometheus"]
    assert checker_versions.checker_version("amtool") == tags["alertmanager"]


@pytest.mark.parametrize("image", [
    "quay.io/prometheus/prometheus:v3.5.0", "quay.io/prometheus/prometheus@sha256:" + "ab" * 32,
    "docker.io/grafana/grafana:11.2.2", "example.com/prometheus/prometheus:v2.54.1",  # not the allowed repository
])
def test_the_same_minor_or_no_version_passes(config, image):
    assert problems(config, deployment(image)) == []


def test_another_minor_says_which_to_change(config):
    [found] = problems(config, deployment("quay.io/prometheus/alertmanager:v0.27.0"))
    assert (found.rule, found.level, found.pointer) == ("checker-versions.minor", "error", "/spec/template/spec/containers/0/image")
    assert found.message.startswith("container 'c0': Alertmanager v0.27.0 is checked with amtool 0.33.1: "
                                    "move the images: entry to v0.33.x, or amtool to the image's version")


def test_the_problem_is_at_the_overlays_images_entry(repo_copy):
    kustomization = repo_copy / "overlays/dev/kustomization.yaml"
    text = kustomization.read_text().replace("newTag: v3.5.3", "newTag: v2.54.1")
    kustomization.write_text(text)
    line = text.splitlines().index("    newTag: v2.54.1") + 1
    report = validate(repo_copy, ["dev"], only=("checker-versions",))
    assert [(p.rule, p.location, p.environments) for p in report.problems] == [
        ("checker-versions.minor", Location("overlays/dev/kustomization.yaml", line, 5), ("dev",))]
