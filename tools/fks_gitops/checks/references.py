"""Cross-resource references in one rendered environment resolve (validate check 3).

    problems = check(render(repo / "overlays/prod"), "overlays/prod")
    problems = check_secrets(docs, "overlays/prod")  # secret coverage only, for seal.py --verify

SealedSecrets count as the Secrets their controller will create, with the keys in
spec.encryptedData. ConfigMaps made by kustomize generators carry a hash suffix, but kustomize
rewrites every reference to match, so names compare as they are in the rendered output.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from fks_gitops import selectors
from fks_gitops.problem import Problem
from fks_gitops.render import object_id
from fks_gitops.selectors import Finding, Index

AUTH_SECRET = "nginx.ingress.kubernetes.io/auth-secret"
AUTH_SECRET_TYPE = "nginx.ingress.kubernetes.io/auth-secret-type"
ISSUERS = ("cert-manager.io/cluster-issuer", "cert-manager.io/issuer")
# ClusterRoles every cluster ships; a binding to them never needs a rendered ClusterRole.
BUILTIN_CLUSTER_ROLES = {"cluster-admin", "admin", "edit", "view"}


@dataclass(frozen=True)
class Ref:
    kind: str  # ConfigMap or Secret
    name: str
    key: str | None  # None: only the object must exist
    via: str  # where the reference is, for the message


@dataclass(frozen=True)
class Secrets:
    """Every Secret the environment will have: plain Secrets and SealedSecrets' templates."""

    keys: dict[tuple[str | None, str], frozenset[str]]
    types: dict[tuple[str | None, str], str]
    certificates: frozenset[tuple[str | None, str]]  # (namespace, secretName) of cert-manager Certificates

    @classmethod
    def of(cls, index: Index) -> Secrets:
        keys, types = {}, {}
        for doc in index.kind("Secret") + index.kind("SealedSecret"):
            meta, spec = doc.get("metadata") or {}, doc.get("spec") or {}
            tpl = spec.get("template") or {}
            if doc["kind"] == "Secret":
                name, data, kind = meta.get("name"), {**(doc.get("data") or {}), **(doc.get("stringData") or {})}, doc.get("type")
            else:  # the controller also turns template.data entries into keys
                name = (tpl.get("metadata") or {}).get("name") or meta.get("name")
                data, kind = {**(spec.get("encryptedData") or {}), **(tpl.get("data") or {})}, tpl.get("type")
            key = (meta.get("namespace"), name)
            keys[key] = keys.get(key, frozenset()) | frozenset(data)
            types[key] = kind or "Opaque"
        certificates = frozenset(
            ((d.get("metadata") or {}).get("namespace"), (d.get("spec") or {}).get("secretName"))
            for d in index.kind("Certificate")
            if str(d.get("apiVersion", "")).startswith("cert-manager.io/")
        )
        return cls(keys, types, certificates)


def _optional(source: dict) -> bool:
    return bool(source.get("optional"))


def _source_refs(kind: str, source: dict, name: str | None, via: str) -> Iterator[Ref]:
    if _optional(source):
        return
    yield Ref(kind, name, None, via)
    for item in source.get("items") or ():
        yield Ref(kind, name, item.get("key"), via)


def _volume_refs(spec: dict) -> Iterator[Ref]:
    for volume in spec.get("volumes") or ():
        via = f"volume {volume.get('name')!r}"
        if volume.get("configMap"):
            yield from _source_refs("ConfigMap", volume["configMap"], volume["configMap"].get("name"), via)
        if volume.get("secret"):
            yield from _source_refs("Secret", volume["secret"], volume["secret"].get("secretName"), via)
        for source in (volume.get("projected") or {}).get("sources") or ():
            for kind, field in (("ConfigMap", "configMap"), ("Secret", "secret")):
                if source.get(field):
                    yield from _source_refs(kind, source[field], source[field].get("name"), via)


def refs(spec: dict) -> Iterator[Ref]:
    """The ConfigMaps and Secrets a pod spec needs; optional ones are left out."""
    containers = [*(spec.get("initContainers") or ()), *(spec.get("containers") or ()), *(spec.get("ephemeralContainers") or ())]
    for container in containers:
        via = f"container {container.get('name')!r}"
        for env in container.get("env") or ():
            source = env.get("valueFrom") or {}
            for kind, field in (("ConfigMap", "configMapKeyRef"), ("Secret", "secretKeyRef")):
                if source.get(field) and not _optional(source[field]):
                    yield Ref(kind, source[field].get("name"), source[field].get("key"), f"{via} env {env.get('name')!r}")
        for env in container.get("envFrom") or ():
            for kind, field in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
                if env.get(field) and not _optional(env[field]):
                    yield Ref(kind, env[field].get("name"), None, f"{via} envFrom")
    yield from _volume_refs(spec)
    for pull in spec.get("imagePullSecrets") or ():
        yield Ref("Secret", pull.get("name"), None, "imagePullSecrets")


# A missing object is one problem per referring object, not one per place that names it.
def _configmap(index: Index, ref: Ref, ns: str | None) -> Iterator[Finding]:
    found = index.get("ConfigMap", ns, ref.name)
    if found is None:
        yield "references.configmap", "error", f"ConfigMap {ref.name!r} not found in {ns}"
    elif ref.key is not None and ref.key not in {**(found.get("data") or {}), **(found.get("binaryData") or {})}:
        yield "references.configmap-key", "error", f"{ref.via}: ConfigMap {ref.name!r} has no key {ref.key!r}"


def _secret(secrets: Secrets, ref: Ref, ns: str | None) -> Iterator[Finding]:
    keys = secrets.keys.get((ns, ref.name))
    if keys is None:
        yield ("references.secret", "error",
               f"secret {ref.name!r} not found in {ns}; seal it with tools/seal.py --name {ref.name}")
    elif ref.key is not None and ref.key not in keys:
        yield ("references.secret-key", "error",
               f"{ref.via}: secret {ref.name!r} has no key {ref.key!r}; add it with tools/seal.py --name {ref.name} --merge")


def _ingress_secrets(secrets: Secrets, doc: dict) -> Iterator[Finding]:
    meta, spec = doc.get("metadata") or {}, doc.get("spec") or {}
    ns, annotations = meta.get("namespace"), meta.get("annotations") or {}
    auth_ns, _, auth_name = str(annotations.get(AUTH_SECRET, "")).rpartition("/")
    if auth_name and auth_ns in ("", ns):  # a secret in another namespace is beyond this render
        # ingress-nginx reads the htpasswd file from key `auth` unless the secret is an auth-map.
        key = "auth" if annotations.get(AUTH_SECRET_TYPE, "auth-file") == "auth-file" else None
        yield from _secret(secrets, Ref("Secret", auth_name, key, f"annotation {AUTH_SECRET}"), ns)
    if any(a in annotations for a in ISSUERS):
        return  # cert-manager's ingress-shim creates every spec.tls secret
    for tls in spec.get("tls") or ():
        name = tls.get("secretName")
        if not name or (ns, name) in secrets.certificates:
            continue
        kind = secrets.types.get((ns, name))
        if kind is None:
            yield ("references.secret", "error",
                   f"spec.tls secret {name!r} not found in {ns}; add a cert-manager.io/cluster-issuer annotation")
        elif kind != "kubernetes.io/tls":
            yield "references.secret", "error", f"spec.tls secret {name!r} has type {kind!r}; make it kubernetes.io/tls"
        else:
            for key in ("tls.crt", "tls.key"):
                yield from _secret(secrets, Ref("Secret", name, key, "spec.tls"), ns)


def _service_account(index: Index, pod: selectors.Pod) -> Iterator[Finding]:
    name = pod.spec.get("serviceAccountName") or pod.spec.get("serviceAccount") or "default"
    if name != "default" and index.get("ServiceAccount", pod.namespace, name) is None:
        yield "references.service-account", "error", f"serviceAccountName {name!r} not found in {pod.namespace}"


def _binding(index: Index, doc: dict) -> Iterator[Finding]:
    ns = (doc.get("metadata") or {}).get("namespace")
    rendered = index.namespaces
    for subject in doc.get("subjects") or ():
        subject_ns, name = subject.get("namespace") or ns, subject.get("name")
        if (subject.get("kind") == "ServiceAccount" and subject_ns in rendered and name != "default"
                and index.get("ServiceAccount", subject_ns, name) is None):
            yield "references.service-account", "error", f"subject ServiceAccount {name!r} not found in {subject_ns}"
    role = doc.get("roleRef") or {}
    if role.get("kind") == "Role" and index.get("Role", ns, role.get("name")) is None:
        yield "references.role", "error", f"roleRef Role {role.get('name')!r} not found in {ns}"
    # ClusterRoles usually come with the cluster; only judge when this render ships some.
    if (role.get("kind") == "ClusterRole" and index.kind("ClusterRole") and index.get("ClusterRole", None, role.get("name")) is None
            and role.get("name") not in BUILTIN_CLUSTER_ROLES and not str(role.get("name")).startswith("system:")):
        yield "references.role", "warning", f"roleRef ClusterRole {role.get('name')!r} is not rendered here"


def _pod_checks(index: Index, secrets: Secrets, pod: selectors.Pod, with_all: bool) -> Iterator[Finding]:
    for ref in refs(pod.spec):
        if ref.kind == "Secret":
            yield from _secret(secrets, ref, pod.namespace)
        elif with_all:
            yield from _configmap(index, ref, pod.namespace)
    if with_all:
        yield from _service_account(index, pod)


def _ingress_backends(index: Index, doc: dict) -> Iterator[Finding]:
    ns, spec = (doc.get("metadata") or {}).get("namespace"), doc.get("spec") or {}
    paths = [p for rule in spec.get("rules") or () for p in (rule.get("http") or {}).get("paths") or ()]
    for backend in [spec.get("defaultBackend") or {}, *(p.get("backend") or {} for p in paths)]:
        ref = backend.get("service")
        if not ref:
            continue  # a resource backend or none
        service = index.get("Service", ns, ref.get("name"))
        if service is None:
            yield "references.ingress-backend", "error", f"backend service {ref.get('name')!r} not found in {ns}"
            continue
        ports, port = (service.get("spec") or {}).get("ports") or (), ref.get("port") or {}
        field, wanted = ("port", port["number"]) if "number" in port else ("name", port.get("name"))
        if not any(p.get(field) == wanted for p in ports):
            have = ", ".join(f"{p.get('name', '-')} {p.get('port')}" for p in ports) or "none"
            yield ("references.ingress-backend", "error",
                   f"backend service {ref.get('name')!r} has no port {wanted!r} (it has: {have})")


# Every object-level check, by the kind it applies to; pod specs are checked by _pod_checks.
_CHECKS: dict[str, tuple[Callable[[Index, dict], Iterator[Finding]], ...]] = {
    "Service": (selectors.service,),
    "PodDisruptionBudget": (selectors.pdb,),
    "NetworkPolicy": (selectors.network_policy,),
    "HorizontalPodAutoscaler": (selectors.hpa,),
    "Ingress": (_ingress_backends,),
    "RoleBinding": (_binding,),
    "ClusterRoleBinding": (_binding,),
}


def _problems(where: str, items: Iterator[tuple[dict, Finding]]) -> list[Problem]:
    found = (Problem(f"{where}: {object_id(doc)}", rule, level, message) for doc, (rule, level, message) in items)
    return list(dict.fromkeys(found))  # one problem once, even when two containers repeat a reference


def _findings(index: Index, with_all: bool) -> Iterator[tuple[dict, Finding]]:
    secrets = Secrets.of(index)
    for pods in index.pods.values():
        for pod in pods:
            yield from ((pod.owner, f) for f in _pod_checks(index, secrets, pod, with_all))
    for doc in index.kind("Ingress"):
        yield from ((doc, f) for f in _ingress_secrets(secrets, doc))
    if with_all:
        for kind, checks in _CHECKS.items():
            for doc in index.kind(kind):
                yield from ((doc, f) for check_one in checks for f in check_one(index, doc))


def check(docs: list[dict], where: str) -> list[Problem]:
    """Every cross-resource reference in one rendered environment."""
    return _problems(where, _findings(Index.of(docs), with_all=True))


def check_secrets(docs: list[dict], where: str) -> list[Problem]:
    """Only that every secret and key that pods and ingresses use is sealed (seal.py --verify)."""
    return _problems(where, _findings(Index.of(docs), with_all=False))
