"""Cross-resource references in one rendered environment resolve (validate check 3).

    problems = check(render(repo / "overlays/prod"))
    problems = check_secrets(docs)  # secret coverage only, for seal.py --verify

Each problem names the referring object and points (`pointer`) at the field holding the
reference: an env entry's secretKeyRef, a Service's selector, an Ingress backend.

SealedSecrets count as the Secrets their controller will create, with the keys in
spec.encryptedData. ConfigMaps made by kustomize generators carry a hash suffix, but kustomize
rewrites every reference to match, so names compare as they are in the rendered output.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from fks_gitops import problem, selectors
from fks_gitops.pointer import join
from fks_gitops.checks.context import ENVIRONMENT, EnvContext
from fks_gitops.problem import Problem
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
    name_at: str  # JSON pointer to the field naming the object, relative to the pod spec
    key_at: str | None = None  # and to the field naming the key


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


def _source_refs(kind: str, source: dict, name_field: str, via: str, at: str) -> Iterator[Ref]:
    if _optional(source):
        return
    name = source.get(name_field)
    yield Ref(kind, name, None, via, join(at, name_field))
    for i, item in enumerate(source.get("items") or ()):
        yield Ref(kind, name, item.get("key"), via, join(at, name_field), join(at, "items", i, "key"))


def _volume_refs(spec: dict) -> Iterator[Ref]:
    for v, volume in enumerate(spec.get("volumes") or ()):
        via, at = f"volume {volume.get('name')!r}", join("/volumes", v)
        if volume.get("configMap"):
            yield from _source_refs("ConfigMap", volume["configMap"], "name", via, join(at, "configMap"))
        if volume.get("secret"):
            yield from _source_refs("Secret", volume["secret"], "secretName", via, join(at, "secret"))
        for s, source in enumerate((volume.get("projected") or {}).get("sources") or ()):
            for kind, field in (("ConfigMap", "configMap"), ("Secret", "secret")):
                if source.get(field):
                    yield from _source_refs(kind, source[field], "name", via, join(at, "projected", "sources", s, field))


def refs(spec: dict) -> Iterator[Ref]:
    """The ConfigMaps and Secrets a pod spec needs; optional ones are left out."""
    containers = [(group, i, c) for group in ("initContainers", "containers", "ephemeralContainers")
                  for i, c in enumerate(spec.get(group) or ())]
    for group, i, container in containers:
        via = f"container {container.get('name')!r}"
        for e, env in enumerate(container.get("env") or ()):
            source = env.get("valueFrom") or {}
            for kind, field in (("ConfigMap", "configMapKeyRef"), ("Secret", "secretKeyRef")):
                if source.get(field) and not _optional(source[field]):
                    at = join("", group, i, "env", e, "valueFrom", field)
                    yield Ref(kind, source[field].get("name"), source[field].get("key"), f"{via} env {env.get('name')!r}",
                              join(at, "name"), join(at, "key"))
        for e, env in enumerate(container.get("envFrom") or ()):
            for kind, field in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
                if env.get(field) and not _optional(env[field]):
                    yield Ref(kind, env[field].get("name"), None, f"{via} envFrom", join("", group, i, "envFrom", e, field, "name"))
    yield from _volume_refs(spec)
    for i, pull in enumerate(spec.get("imagePullSecrets") or ()):
        yield Ref("Secret", pull.get("name"), None, "imagePullSecrets", join("/imagePullSecrets", i, "name"))


# A missing object is one problem per referring object, not one per place that names it.
# Pointers in a Ref are relative to where it was found (the pod spec); `base` leads to that.
def _configmap(index: Index, ref: Ref, ns: str | None, base: str = "") -> Iterator[Finding]:
    found = index.get("ConfigMap", ns, ref.name)
    if found is None:
        yield "references.configmap", "error", f"ConfigMap {ref.name!r} not found", base + ref.name_at
    elif ref.key is not None and ref.key not in {**(found.get("data") or {}), **(found.get("binaryData") or {})}:
        yield ("references.configmap-key", "error", f"{ref.via}: ConfigMap {ref.name!r} has no key {ref.key!r}",
               base + (ref.key_at or ref.name_at))


def _secret(secrets: Secrets, ref: Ref, ns: str | None, base: str = "") -> Iterator[Finding]:
    keys = secrets.keys.get((ns, ref.name))
    if keys is None:
        yield ("references.secret", "error",
               f"secret {ref.name!r} not found; seal it with tools/seal.py --name {ref.name}", base + ref.name_at)
    elif ref.key is not None and ref.key not in keys:
        yield ("references.secret-key", "error",
               f"{ref.via}: secret {ref.name!r} has no key {ref.key!r}; add it with tools/seal.py --name {ref.name} --merge",
               base + (ref.key_at or ref.name_at))


def _ingress_secrets(secrets: Secrets, doc: dict) -> Iterator[Finding]:
    meta, spec = doc.get("metadata") or {}, doc.get("spec") or {}
    ns, annotations = meta.get("namespace"), meta.get("annotations") or {}
    auth_ns, _, auth_name = str(annotations.get(AUTH_SECRET, "")).rpartition("/")
    if auth_name and auth_ns in ("", ns):  # a secret in another namespace is beyond this render
        # ingress-nginx reads the htpasswd file from key `auth` unless the secret is an auth-map.
        key = "auth" if annotations.get(AUTH_SECRET_TYPE, "auth-file") == "auth-file" else None
        at = join("/metadata/annotations", AUTH_SECRET)
        yield from _secret(secrets, Ref("Secret", auth_name, key, f"annotation {AUTH_SECRET}", at), ns)
    if any(a in annotations for a in ISSUERS):
        return  # cert-manager's ingress-shim creates every spec.tls secret
    for i, tls in enumerate(spec.get("tls") or ()):
        name, at = tls.get("secretName"), join("/spec/tls", i, "secretName")
        if not name or (ns, name) in secrets.certificates:
            continue
        kind = secrets.types.get((ns, name))
        if kind is None:
            yield ("references.secret", "error",
                   f"spec.tls secret {name!r} not found; add a cert-manager.io/cluster-issuer annotation", at)
        elif kind != "kubernetes.io/tls":
            yield "references.secret", "error", f"spec.tls secret {name!r} has type {kind!r}; make it kubernetes.io/tls", at
        else:
            for key in ("tls.crt", "tls.key"):
                yield from _secret(secrets, Ref("Secret", name, key, "spec.tls", at), ns)


def _service_account(index: Index, pod: selectors.Pod) -> Iterator[Finding]:
    field = "serviceAccountName" if pod.spec.get("serviceAccountName") else "serviceAccount"
    name = pod.spec.get(field) or "default"
    if name != "default" and index.get("ServiceAccount", pod.namespace, name) is None:
        yield ("references.service-account", "error", f"{field} {name!r} not found", join(pod.path, field))


def _binding(index: Index, doc: dict) -> Iterator[Finding]:
    ns = (doc.get("metadata") or {}).get("namespace")
    rendered = index.namespaces
    for i, subject in enumerate(doc.get("subjects") or ()):
        subject_ns, name = subject.get("namespace") or ns, subject.get("name")
        if (subject.get("kind") == "ServiceAccount" and subject_ns in rendered and name != "default"
                and index.get("ServiceAccount", subject_ns, name) is None):
            # Another namespace than the binding's is named: it differs per environment, like the binding's.
            where = "" if subject_ns == ns else f" in namespace {subject.get('namespace')}"
            yield ("references.service-account", "error", f"subject ServiceAccount {name!r} not found{where}",
                   join("/subjects", i, "name"))
    role = doc.get("roleRef") or {}
    if role.get("kind") == "Role" and index.get("Role", ns, role.get("name")) is None:
        yield "references.role", "error", f"roleRef Role {role.get('name')!r} not found", "/roleRef/name"
    # ClusterRoles usually come with the cluster; only judge when this render ships some.
    if (role.get("kind") == "ClusterRole" and index.kind("ClusterRole") and index.get("ClusterRole", None, role.get("name")) is None
            and role.get("name") not in BUILTIN_CLUSTER_ROLES and not str(role.get("name")).startswith("system:")):
        yield "references.role", "warning", f"roleRef ClusterRole {role.get('name')!r} is not rendered here", "/roleRef/name"


def _pod_checks(index: Index, secrets: Secrets, pod: selectors.Pod, with_all: bool,
                with_secrets: bool = True) -> Iterator[Finding]:
    for ref in refs(pod.spec):
        if ref.kind == "Secret":
            if with_secrets:
                yield from _secret(secrets, ref, pod.namespace, pod.path)
        elif with_all:
            yield from _configmap(index, ref, pod.namespace, pod.path)
    if with_all:
        yield from _service_account(index, pod)


def _ingress_backends(index: Index, doc: dict) -> Iterator[Finding]:
    ns, spec = (doc.get("metadata") or {}).get("namespace"), doc.get("spec") or {}
    backends = [("/spec/defaultBackend", spec.get("defaultBackend") or {})]
    for r, rule in enumerate(spec.get("rules") or ()):
        for i, path in enumerate((rule.get("http") or {}).get("paths") or ()):
            backends.append((join("/spec/rules", r, "http", "paths", i, "backend"), path.get("backend") or {}))
    for at, backend in backends:
        ref = backend.get("service")
        if not ref:
            continue  # a resource backend or none
        service = index.get("Service", ns, ref.get("name"))
        if service is None:
            yield ("references.ingress-backend", "error", f"backend service {ref.get('name')!r} not found",
                   f"{at}/service/name")
            continue
        ports, port = (service.get("spec") or {}).get("ports") or (), ref.get("port") or {}
        field, wanted = ("port", port["number"]) if "number" in port else ("name", port.get("name"))
        if not any(p.get(field) == wanted for p in ports):
            have = ", ".join(f"{p.get('name', '-')} {p.get('port')}" for p in ports) or "none"
            yield ("references.ingress-backend", "error",
                   f"backend service {ref.get('name')!r} has no port {wanted!r} (it has: {have})",
                   f"{at}/service/port/{'number' if field == 'port' else 'name'}")


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


def _problems(items: Iterator[tuple[dict, Finding]]) -> list[Problem]:
    found: dict[tuple, Problem] = {}
    for doc, (rule, level, message, at) in items:
        p = problem.at(doc, rule, level, message, pointer=at)
        # One problem once, at the first place, even when two containers repeat a reference.
        found.setdefault((p.object, rule, level, message), p)
    return list(found.values())


def _findings(index: Index, with_all: bool, secrets: bool = True) -> Iterator[tuple[dict, Finding]]:
    known = Secrets.of(index)
    for pods in index.pods.values():
        for pod in pods:
            yield from ((pod.owner, f) for f in _pod_checks(index, known, pod, with_all, secrets))
    if secrets:
        for doc in index.kind("Ingress"):
            yield from ((doc, f) for f in _ingress_secrets(known, doc))
    if with_all:
        for kind, checks in _CHECKS.items():
            for doc in index.kind(kind):
                yield from ((doc, f) for check_one in checks for f in check_one(index, doc))


def check(docs: list[dict], secrets: bool = True) -> list[Problem]:
    """Every cross-resource reference in one rendered environment (without the secret ones:
    `secrets=False`; they are their own check, secret_references.py)."""
    return _problems(_findings(Index.of(docs), with_all=True, secrets=secrets))


def check_secrets(docs: list[dict]) -> list[Problem]:
    """Only that every secret and key that pods and ingresses use is sealed (seal.py --verify)."""
    return _problems(_findings(Index.of(docs), with_all=False))


ID, SCOPE = "references", ENVIRONMENT


def run(ctx: EnvContext) -> list[Problem]:
    return check(ctx.docs, secrets=False)
