"""Cross-resource references: every rule has a passing and a failing case.

Each case starts from tests/fixtures/references/valid.yaml, where everything resolves, and
changes one thing.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from fks_gitops.problem import ObjectRef, Problem
from fks_gitops.checks.references import check, check_secrets
from fks_gitops.render import render
from fks_gitops.selectors import matches

REPO = Path(__file__).resolve().parents[1]
FIXTURE = Path(__file__).parent / "fixtures" / "references" / "valid.yaml"


def valid() -> list[dict]:
    return [d for d in yaml.safe_load_all(FIXTURE.read_text()) if d]


def find(docs: list[dict], kind: str, name: str) -> dict:
    return next(d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name)


def pod(docs: list[dict]) -> dict:
    return find(docs, "Deployment", "web")["spec"]["template"]["spec"]


def container(docs: list[dict]) -> dict:
    return pod(docs)["containers"][0]


def volume(docs: list[dict], name: str) -> dict:
    return next(v for v in pod(docs)["volumes"] if v["name"] == name)


def problem(obj: str, rule: str, message: str, pointer: str, level: str = "error") -> Problem:
    """`obj` is Kind/namespace/name; `pointer` the field holding the broken reference."""
    kind, namespace, name = obj.split("/")
    return Problem(rule, level, message, object=ObjectRef(kind, name, namespace), pointer=pointer)


def test_valid_environment_has_no_problems():
    assert check(valid()) == []
    assert check_secrets(valid()) == []


# --- label selectors -------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        (None, False),
        ({}, True),
        ({"matchLabels": {"app": "web"}}, True),
        ({"matchLabels": {"app": "api"}}, False),
        ({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["front"]}]}, True),
        ({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["back"]}]}, False),
        ({"matchExpressions": [{"key": "canary", "operator": "NotIn", "values": ["yes"]}]}, True),
        ({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["front"]}]}, False),
        ({"matchExpressions": [{"key": "tier", "operator": "Exists"}]}, True),
        ({"matchExpressions": [{"key": "canary", "operator": "Exists"}]}, False),
        ({"matchExpressions": [{"key": "canary", "operator": "DoesNotExist"}]}, True),
        ({"matchExpressions": [{"key": "app", "operator": "DoesNotExist"}]}, False),
        ({"matchExpressions": [{"key": "app", "operator": "Near"}]}, False),
    ],
)
def test_matches(selector, expected):
    assert matches(selector, {"app": "web", "tier": "front"}) is expected


# --- failing cases: one change, the exact problems -------------------------------------------

def _svc_selector(d):
    find(d, "Service", "web")["spec"]["selector"] = {"app": "webb"}


def _named_target_port(d):
    find(d, "Service", "web")["spec"]["ports"][0]["targetPort"] = "htp"


def _numeric_target_port(d):
    find(d, "Service", "web")["spec"]["ports"][1]["port"] = 9091


def _backend_service(d):
    find(d, "Ingress", "web")["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"] = "api"


def _backend_port_number(d):
    find(d, "Ingress", "web")["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["port"] = {"number": 81}


def _backend_port_name(d):
    find(d, "Ingress", "web")["spec"]["defaultBackend"]["service"]["port"] = {"name": "admin"}


def _configmap_name(d):
    container(d)["envFrom"][0]["configMapRef"]["name"] = "web-config"


def _configmap_key(d):
    container(d)["env"][0]["valueFrom"]["configMapKeyRef"]["key"] = "TRADING_MODE"


def _configmap_volume_item(d):
    volume(d, "config")["configMap"]["items"][0]["key"] = "app.yml"


def _secret_ref(d):
    container(d)["envFrom"][1]["secretRef"]["name"] = "web-secret"


def _secret_key(d):
    container(d)["env"][1]["valueFrom"]["secretKeyRef"]["key"] = "API_TOKEN"


def _secret_volume_item(d):
    volume(d, "hooks")["secret"]["items"][0]["key"] = "HOOK"


def _projected_secret_item(d):
    volume(d, "bundle")["projected"]["sources"][1]["secret"]["items"][0]["key"] = "KEY"


def _image_pull_secret(d):
    pod(d)["imagePullSecrets"] = [{"name": "ghcr"}]


def _auth_secret(d):
    find(d, "SealedSecret", "web-basic-auth")["spec"]["encryptedData"] = {"users": "AgAAplaceholder"}


def _tls_without_issuer(d):
    del find(d, "Ingress", "web")["metadata"]["annotations"]["cert-manager.io/cluster-issuer"]


def _tls_opaque(d):
    _tls_without_issuer(d)
    d.append({"apiVersion": "bitnami.com/v1alpha1", "kind": "SealedSecret",
              "metadata": {"name": "web-tls", "namespace": "shop"},
              "spec": {"encryptedData": {"tls.crt": "AgA", "tls.key": "AgA"}}})


def _service_account(d):
    pod(d)["serviceAccountName"] = "web-runner"


def _binding_subject(d):
    find(d, "RoleBinding", "web")["subjects"][0]["name"] = "webb"


def _binding_role(d):
    find(d, "RoleBinding", "web")["roleRef"]["name"] = "web-reader"


def _binding_cluster_role(d):
    find(d, "RoleBinding", "web")["roleRef"] = {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "reader"}
    d.append({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "writer"}})


def _hpa_name(d):
    find(d, "HorizontalPodAutoscaler", "web")["spec"]["scaleTargetRef"]["name"] = "webb"


def _hpa_group(d):
    find(d, "HorizontalPodAutoscaler", "web")["spec"]["scaleTargetRef"]["apiVersion"] = "extensions/v1beta1"


def _hpa_target_selector(d):
    find(d, "Deployment", "web")["spec"]["selector"] = {"matchLabels": {"app": "web", "track": "stable"}}


def _pdb_selector(d):
    find(d, "PodDisruptionBudget", "web")["spec"]["selector"]["matchExpressions"][0]["operator"] = "NotIn"


def _pdb_hpa_min(d):
    find(d, "HorizontalPodAutoscaler", "web")["spec"]["minReplicas"] = 1


def _pdb_no_hpa(d):
    d.remove(find(d, "HorizontalPodAutoscaler", "web"))


def _pdb_percent(d):
    find(d, "PodDisruptionBudget", "web")["spec"]["minAvailable"] = "51%"  # 51 % of 2 rounds up to 2


def _pdb_max_zero(d):
    spec = find(d, "PodDisruptionBudget", "web")["spec"]
    del spec["minAvailable"]
    spec["maxUnavailable"] = 0


def _netpol_selector(d):
    find(d, "NetworkPolicy", "web")["spec"]["podSelector"] = {"matchLabels": {"app": "api"}}


def _netpol_peer(d):
    find(d, "NetworkPolicy", "web")["spec"]["ingress"][0]["from"][0]["podSelector"] = {"matchLabels": {"app": "scraper"}}


D, SVC, ING, PDB = "Deployment/shop/web", "Service/shop/web", "Ingress/shop/web", "PodDisruptionBudget/shop/web"
RB, HPA, NP = "RoleBinding/shop/web", "HorizontalPodAutoscaler/shop/web", "NetworkPolicy/shop/web"
POD, WEB = "/spec/template/spec", "/spec/template/spec/containers/0"
SEAL = "seal it with tools/seal.py --name"
MERGE = "--merge"

FAILING = {
    "service-selector": (_svc_selector, [problem(SVC, "references.selector", "selector 'app=webb' matches no pod template",
                                                 "/spec/selector")]),
    "target-port-name": (_named_target_port, [problem(SVC, "references.target-port",
        "port 'http': targetPort 'htp' is no containerPort name of the selected pods (they have: http 8000, metrics 9090)",
        "/spec/ports/0/targetPort")]),
    "target-port-number": (_numeric_target_port, [problem(SVC, "references.target-port",
        "port 'metrics': targetPort 9091 is no containerPort number of the selected pods (they have: http 8000, metrics 9090)",
        "/spec/ports/1/port", "warning")]),
    "backend-service": (_backend_service, [problem(ING, "references.ingress-backend", "backend service 'api' not found",
                                                   "/spec/rules/0/http/paths/0/backend/service/name")]),
    "backend-port-number": (_backend_port_number, [problem(ING, "references.ingress-backend",
        "backend service 'web' has no port 81 (it has: http 80, metrics 9090)", "/spec/rules/0/http/paths/0/backend/service/port/number")]),
    "backend-port-name": (_backend_port_name, [problem(ING, "references.ingress-backend",
        "backend service 'web' has no port 'admin' (it has: http 80, metrics 9090)", "/spec/defaultBackend/service/port/name")]),
    "configmap": (_configmap_name, [problem(D, "references.configmap", "ConfigMap 'web-config' not found",
                                            f"{WEB}/envFrom/0/configMapRef/name")]),
    "configmap-key": (_configmap_key, [problem(D, "references.configmap-key",
        "container 'web' env 'MODE': ConfigMap 'web-config-5t2h8c' has no key 'TRADING_MODE'",
        f"{WEB}/env/0/valueFrom/configMapKeyRef/key")]),
    "configmap-volume-key": (_configmap_volume_item, [problem(D, "references.configmap-key",
        "volume 'config': ConfigMap 'web-config-5t2h8c' has no key 'app.yml'", f"{POD}/volumes/0/configMap/items/0/key")]),
    "secret": (_secret_ref, [problem(D, "references.secret",
        f"secret 'web-secret' not found; {SEAL} web-secret", f"{WEB}/envFrom/1/secretRef/name")]),
    "secret-key": (_secret_key, [problem(D, "references.secret-key",
        f"container 'web' env 'API_KEY': secret 'web-secrets' has no key 'API_TOKEN'; add it with tools/seal.py --name web-secrets {MERGE}",
        f"{WEB}/env/1/valueFrom/secretKeyRef/key")]),
    "secret-volume-key": (_secret_volume_item, [problem(D, "references.secret-key",
        f"volume 'hooks': secret 'web-secrets' has no key 'HOOK'; add it with tools/seal.py --name web-secrets {MERGE}",
        f"{POD}/volumes/1/secret/items/0/key")]),
    "projected-secret-key": (_projected_secret_item, [problem(D, "references.secret-key",
        f"volume 'bundle': secret 'web-secrets' has no key 'KEY'; add it with tools/seal.py --name web-secrets {MERGE}",
        f"{POD}/volumes/2/projected/sources/1/secret/items/0/key")]),
    "image-pull-secret": (_image_pull_secret, [problem(D, "references.secret",
        f"secret 'ghcr' not found; {SEAL} ghcr", f"{POD}/imagePullSecrets/0/name")]),
    "auth-secret-key": (_auth_secret, [problem(ING, "references.secret-key",
        "annotation nginx.ingress.kubernetes.io/auth-secret: secret 'web-basic-auth' has no key 'auth'; "
        f"add it with tools/seal.py --name web-basic-auth {MERGE}", "/metadata/annotations/nginx.ingress.kubernetes.io~1auth-secret")]),
    "tls-not-made": (_tls_without_issuer, [problem(ING, "references.secret",
        "spec.tls secret 'web-tls' not found; add a cert-manager.io/cluster-issuer annotation", "/spec/tls/0/secretName")]),
    "tls-wrong-type": (_tls_opaque, [problem(ING, "references.secret", "spec.tls secret 'web-tls' has type 'Opaque'; make it kubernetes.io/tls",
                                             "/spec/tls/0/secretName")]),
    "service-account": (_service_account, [problem(D, "references.service-account", "serviceAccountName 'web-runner' not found",
                                                   f"{POD}/serviceAccountName")]),
    "binding-subject": (_binding_subject, [problem(RB, "references.service-account",
        "subject ServiceAccount 'webb' not found", "/subjects/0/name")]),
    "binding-role": (_binding_role, [problem(RB, "references.role", "roleRef Role 'web-reader' not found", "/roleRef/name")]),
    "binding-cluster-role": (_binding_cluster_role, [problem(RB, "references.role",
        "roleRef ClusterRole 'reader' is not rendered here", "/roleRef/name", "warning")]),
    "hpa-target": (_hpa_name, [  # without its HPA the Deployment runs 1 replica, which the PDB then blocks
        problem(PDB, "references.pdb-eviction", "PDB web allows no eviction at 1 replica (minAvailable 1); use maxUnavailable: 1",
                "/spec/minAvailable"),
        problem(HPA, "references.hpa-target", "scaleTargetRef Deployment/webb (apps/v1) not found", "/spec/scaleTargetRef")]),
    "hpa-target-group": (_hpa_group, [problem(HPA, "references.hpa-target",
        "scaleTargetRef Deployment/web (extensions/v1beta1) not found", "/spec/scaleTargetRef")]),
    "hpa-target-selector": (_hpa_target_selector, [problem(HPA, "references.selector",
        "target Deployment/web selector 'app=web,track=stable' matches no pod template", "/spec/scaleTargetRef")]),
    "pdb-selector": (_pdb_selector, [problem(PDB, "references.selector",
        "selector 'app=web,tier NotIn (front,back),canary DoesNotExist' matches no pod template", "/spec/selector")]),
    "pdb-hpa-min": (_pdb_hpa_min, [problem(PDB, "references.pdb-eviction",
        "PDB web allows no eviction at 1 replica (minAvailable 1); use maxUnavailable: 1", "/spec/minAvailable")]),
    "pdb-default-replicas": (_pdb_no_hpa, [problem(PDB, "references.pdb-eviction",
        "PDB web allows no eviction at 1 replica (minAvailable 1); use maxUnavailable: 1", "/spec/minAvailable")]),
    "pdb-percent": (_pdb_percent, [problem(PDB, "references.pdb-eviction",
        "PDB web allows no eviction at 2 replicas (minAvailable 51%); use maxUnavailable: 1", "/spec/minAvailable")]),
    "pdb-max-unavailable": (_pdb_max_zero, [problem(PDB, "references.pdb-eviction",
        "PDB web allows no eviction at 2 replicas (maxUnavailable 0); use maxUnavailable: 1", "/spec/maxUnavailable")]),
    "netpol-selector": (_netpol_selector, [problem(NP, "references.selector",
        "podSelector 'app=api' matches no pod template", "/spec/podSelector")]),
    "netpol-peer": (_netpol_peer, [problem(NP, "references.selector",
        "ingress peer podSelector 'app=scraper' matches no pod template", "/spec/ingress/0/from/0/podSelector", "warning")]),
}


@pytest.mark.parametrize("case", FAILING)
def test_failing(case):
    change, expected = FAILING[case]
    docs = valid()
    change(docs)
    assert check(docs) == expected


def test_secret_in_another_namespace_does_not_count():
    docs = valid()
    find(docs, "SealedSecret", "web-secrets")["metadata"]["namespace"] = "shop-dev"
    rules = {(p.object, p.rule) for p in check(docs)}
    assert rules == {(ObjectRef("Deployment", "web", "shop"), "references.secret")}


def test_repeated_reference_is_reported_once_at_its_first_place():
    docs = valid()
    pod(docs)["containers"].append({**container(docs), "name": "sidecar", "ports": []})
    _secret_ref(docs)
    assert [(p.message, p.pointer) for p in check(docs)] == [
        (f"secret 'web-secret' not found; {SEAL} web-secret", f"{WEB}/envFrom/1/secretRef/name")]


def test_subject_in_another_namespace_names_it():
    docs = valid()
    _binding_subject(docs)
    # "other" is rendered here, so its ServiceAccounts are judged.
    docs.append({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "x", "namespace": "other"}})
    find(docs, "RoleBinding", "web")["subjects"][1]["namespace"] = "other"
    assert [(p.message, p.pointer) for p in check(docs)] == [
        ("subject ServiceAccount 'webb' not found", "/subjects/0/name"),
        ("subject ServiceAccount 'agent' not found in namespace other", "/subjects/1/name")]


def test_pointers_lead_into_a_cronjobs_pod_template():
    docs = valid()
    find(docs, "CronJob", "report")["spec"]["jobTemplate"]["spec"]["template"]["spec"]["serviceAccountName"] = "reporter"
    [found] = check(docs)
    assert (found.object, found.pointer) == (
        ObjectRef("CronJob", "report", "shop"), "/spec/jobTemplate/spec/template/spec/serviceAccountName")


# --- passing cases: the same places, written another valid way -------------------------------

def _optional_refs(d):
    container(d)["envFrom"] += [{"configMapRef": {"name": "absent", "optional": True}},
                                {"secretRef": {"name": "absent", "optional": True}}]
    pod(d)["volumes"].append({"name": "maybe", "secret": {"secretName": "absent", "optional": True, "items": [{"key": "k", "path": "k"}]}})


def _numeric_target_port_ok(d):
    find(d, "Service", "web")["spec"]["ports"][0]["targetPort"] = 8000


def _resource_backend(d):
    find(d, "Ingress", "web")["spec"]["defaultBackend"] = {"resource": {"apiGroup": "k8s.example.org", "kind": "Bucket", "name": "static"}}


def _plain_secret(d):
    d.remove(find(d, "SealedSecret", "web-secrets"))
    d.append({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "web-secrets", "namespace": "shop"},
              "data": {"API_KEY": "eA=="}, "stringData": {"HOOK_URL": "x"}})


def _template_name(d):
    sealed = find(d, "SealedSecret", "web-secrets")
    sealed["metadata"]["name"] = "web-secrets-v2"
    sealed["spec"]["template"]["metadata"]["name"] = "web-secrets"


def _auth_map(d):
    _auth_secret(d)
    find(d, "Ingress", "web")["metadata"]["annotations"]["nginx.ingress.kubernetes.io/auth-secret-type"] = "auth-map"


def _tls_certificate(d):
    _tls_without_issuer(d)
    d.append({"apiVersion": "cert-manager.io/v1", "kind": "Certificate", "metadata": {"name": "web", "namespace": "shop"},
              "spec": {"secretName": "web-tls", "issuerRef": {"kind": "ClusterIssuer", "name": "letsencrypt-prod"}}})


def _tls_sealed(d):
    _tls_opaque(d)
    find(d, "SealedSecret", "web-tls")["spec"]["template"] = {"type": "kubernetes.io/tls"}


def _namespaced_issuer(d):
    annotations = find(d, "Ingress", "web")["metadata"]["annotations"]
    annotations["cert-manager.io/issuer"] = annotations.pop("cert-manager.io/cluster-issuer")


def _default_service_account(d):
    pod(d)["serviceAccountName"] = "default"


def _builtin_cluster_role(d):
    _binding_cluster_role(d)
    find(d, "RoleBinding", "web")["roleRef"]["name"] = "view"


def _unrendered_cluster_role(d):
    find(d, "RoleBinding", "web")["roleRef"] = {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "reader"}


def _pdb_max_unavailable(d):
    spec = find(d, "PodDisruptionBudget", "web")["spec"]
    del spec["minAvailable"]
    spec["maxUnavailable"] = "10%"  # 10 % of 2 rounds up to 1


def _pdb_percent_ok(d):
    find(d, "PodDisruptionBudget", "web")["spec"]["minAvailable"] = "50%"


def _pdb_replicas(d):
    _pdb_no_hpa(d)
    find(d, "Deployment", "web")["spec"]["replicas"] = 3


def _netpol_any_pod(d):
    find(d, "NetworkPolicy", "web")["spec"]["ingress"][0]["from"][0]["podSelector"] = {}


def _service_without_selector(d):
    find(d, "Service", "web")["spec"] = {"type": "ExternalName", "externalName": "web.example.org"}
    find(d, "Ingress", "web")["spec"].pop("defaultBackend")
    find(d, "Ingress", "web")["spec"]["rules"] = []


def _cronjob_pods(d):
    find(d, "NetworkPolicy", "web")["spec"]["podSelector"] = {"matchLabels": {"app": "report"}}


PASSING = [_optional_refs, _numeric_target_port_ok, _resource_backend, _plain_secret, _template_name, _auth_map,
           _tls_certificate, _tls_sealed, _namespaced_issuer, _default_service_account, _builtin_cluster_role,
           _unrendered_cluster_role, _pdb_max_unavailable, _pdb_percent_ok, _pdb_replicas, _netpol_any_pod,
           _service_without_selector, _cronjob_pods]


@pytest.mark.parametrize("change", PASSING, ids=lambda f: f.__name__.strip("_"))
def test_passing(change):
    docs = valid()
    change(docs)
    assert check(docs) == []


# --- check_secrets ---------------------------------------------------------------------------

def test_check_secrets_reports_only_secrets():
    docs = valid()
    for change in (_configmap_name, _service_account, _binding_role, _secret_key, _tls_without_issuer):
        change(docs)
    assert [p.rule for p in check_secrets(docs)] == ["references.secret-key", "references.secret"]
    assert len(check(docs)) == 5


def test_real_prod_overlay_resolves():
    docs = render(REPO / "overlays/prod", "overlays/prod")
    assert docs, "overlays/prod rendered nothing"
    assert check(docs) == []
