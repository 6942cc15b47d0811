"""The repository's own content: what DESIGN.md's environment table and production spec promise."""
import re

import pytest
import yaml
from conftest import find

FIGURES = {  # env: (hpa min, hpa max, prometheus pvc, retention, grafana pvc, issuer, trading mode)
    "dev": (1, 1, "10Gi", "3d", "2Gi", "letsencrypt-staging", "paper"),
    "staging": (2, 4, "20Gi", "7d", "5Gi", "letsencrypt-staging", "paper"),
    "prod": (2, 10, "50Gi", "15d", "10Gi", "letsencrypt-prod", "live"),
}
PROD_RESOURCES = {  # container: (cpu request, cpu limit, memory request, memory limit)
    "fks-execution": ("200m", "1000m", "512Mi", "1Gi"),
    "prometheus": ("500m", "2000m", "2Gi", "4Gi"),
    "grafana": ("100m", "500m", "256Mi", "512Mi"),
    "alertmanager": ("100m", "200m", "128Mi", "256Mi"),
}


def _container(docs, deployment):
    return find(docs, "Deployment", deployment)["spec"]["template"]["spec"]["containers"][0]


@pytest.mark.parametrize("env", FIGURES)
def test_environment_figures(rendered, env):
    low, high, prom_pvc, retention, grafana_pvc, issuer, mode = FIGURES[env]
    docs = rendered[env]
    hpa = find(docs, "HorizontalPodAutoscaler", "fks-execution")["spec"]
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (low, high)
    assert find(docs, "PersistentVolumeClaim", "prometheus-data")["spec"]["resources"]["requests"]["storage"] == prom_pvc
    assert f"--storage.tsdb.retention.time={retention}" in _container(docs, "prometheus")["args"]
    assert find(docs, "PersistentVolumeClaim", "grafana-data")["spec"]["resources"]["requests"]["storage"] == grafana_pvc
    for ingress in (d for d in docs if d["kind"] == "Ingress"):
        assert ingress["metadata"]["annotations"]["cert-manager.io/cluster-issuer"] == issuer
    assert find(docs, "ConfigMap", "fks-execution-config")["data"]["TRADING_MODE"] == mode


@pytest.mark.parametrize("deployment", PROD_RESOURCES)
def test_prod_carries_the_production_spec(rendered, deployment):
    resources = _container(rendered["prod"], deployment)["resources"]
    got = (resources["requests"]["cpu"], resources["limits"]["cpu"], resources["requests"]["memory"], resources["limits"]["memory"])
    assert got == PROD_RESOURCES[deployment]


def test_prod_scaling_behaviour(rendered):
    hpa = find(rendered["prod"], "HorizontalPodAutoscaler", "fks-execution")["spec"]
    targets = {m["resource"]["name"]: m["resource"]["target"]["averageUtilization"] for m in hpa["metrics"]}
    assert targets == {"cpu": 70, "memory": 80}
    assert hpa["behavior"]["scaleUp"]["policies"] == [{"type": "Percent", "value": 100, "periodSeconds": 30}]
    assert hpa["behavior"]["scaleDown"]["policies"] == [{"type": "Percent", "value": 50, "periodSeconds": 60}]
    assert hpa["behavior"]["scaleDown"]["stabilizationWindowSeconds"] == 300


def test_prometheus_scrape_and_evaluation_intervals(rendered):
    cm = next(d for d in rendered["prod"] if d["kind"] == "ConfigMap" and "prometheus.yml" in d.get("data", {}))
    glob = yaml.safe_load(cm["data"]["prometheus.yml"])["global"]
    assert (glob["scrape_interval"], glob["evaluation_interval"]) == ("15s", "30s")


@pytest.mark.parametrize("env", FIGURES)
def test_execution_deployment_shape(rendered, env):
    deployment = find(rendered[env], "Deployment", "fks-execution")["spec"]
    assert "replicas" not in deployment  # the HPA owns it
    assert deployment["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    pod = deployment["template"]["spec"]
    assert pod["affinity"]["podAntiAffinity"] and pod["topologySpreadConstraints"]
    container = pod["containers"][0]
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    assert {p["containerPort"] for p in container["ports"]} == {8000, 9090}
    sc = container["securityContext"]
    assert sc["readOnlyRootFilesystem"] and not sc["allowPrivilegeEscalation"] and sc["capabilities"]["drop"] == ["ALL"]
    assert any(m["mountPath"] == "/tmp" for m in container["volumeMounts"])


@pytest.mark.parametrize("env", FIGURES)
def test_every_image_pinned_and_listed_in_the_overlay(repo, rendered, env):
    kustomization = yaml.safe_load((repo / "overlays" / env / "kustomization.yaml").read_text())
    listed = {i["name"] for i in kustomization["images"]}
    for doc in rendered[env]:
        pod = doc.get("spec", {}).get("template", {}).get("spec", {})
        for c in pod.get("containers", []) + pod.get("initContainers", []):
            name, _, tag = c["image"].partition(":")
            assert tag and tag != "latest", c["image"]
            assert name in listed, f"{c['image']} is not in overlays/{env} images:"


def test_no_plaintext_secret_is_rendered(rendered):
    for env, docs in rendered.items():
        assert not [d for d in docs if d["kind"] == "Secret"], env


def test_secret_template_has_names_and_keys_but_no_values(repo):
    template = yaml.safe_load((repo / "secrets.template.yaml").read_text())
    names = {s["name"] for s in template["secrets"]}
    assert names == {"fks-execution-secrets", "grafana-admin", "alertmanager-slack", "prometheus-basic-auth",
                     "alertmanager-basic-auth"}
    for secret in template["secrets"]:
        for key, description in secret["keys"].items():
            assert re.fullmatch(r"[-._a-zA-Z0-9]+", key)
            assert not re.search(r"https?://|=", description), f"{secret['name']}.{key} looks like a value"


def test_overlays_stay_thin(repo):
    for env in FIGURES:
        kustomization = yaml.safe_load((repo / "overlays" / env / "kustomization.yaml").read_text())
        assert set(kustomization) <= {"apiVersion", "kind", "namespace", "resources", "images", "patches"}


def _owners(codeowners: str, path: str) -> list[str]:
    """GitHub's rule for the anchored patterns used here: the last matching line wins."""
    owners = []
    for line in codeowners.splitlines():
        if line.strip() and not line.startswith("#"):
            pattern, *names = line.split()
            prefix = pattern.lstrip("/")
            if path == prefix or (prefix.endswith("/") and path.startswith(prefix)):
                owners = names
    return owners


@pytest.mark.parametrize("path", ["argocd/root.yaml", "argocd/projects/fks-trading.yaml", "base/cluster/kustomization.yaml",
                                  "environments.yaml", "policy/lib/kubernetes.rego", "CODEOWNERS"])
def test_codeowners_name_the_platform_team_for_what_grants_permissions(repo, path):
    assert _owners((repo / "CODEOWNERS").read_text(), path) == ["@fks-trading/platform"]


def test_codeowners_leave_everyday_changes_to_any_reviewer(repo):
    assert _owners((repo / "CODEOWNERS").read_text(), "overlays/dev/kustomization.yaml") == []
