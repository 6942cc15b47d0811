"""Label selectors, the pod templates they pick, and the reference checks that rest on them.

    index = Index.of(docs)
    index.select("fks-trading", {"matchLabels": {"app.kubernetes.io/name": "grafana"}})  # [Pod]
    list(service(index, service_doc))  # [("references.target-port", "error", "...", "/spec/ports/0/targetPort")]
    # a named targetPort that no container declares is an error; a number, a warning

Check functions yield findings `(rule, level, message, pointer)`, the pointer (RFC 6901) to the
field holding the broken reference; references.check() adds the object they are in.
"""
from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from fks_gitops.pointer import join

Finding = tuple[str, str, str, str | None]

# Kinds whose pod template labels selectors can pick; CronJob nests its template one level deeper.
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job", "CronJob", "Pod")
# Kinds with a scale subresource: the only ones an HPA or a PDB's expected count can rely on.
SCALABLE = ("Deployment", "StatefulSet", "ReplicaSet")


def _expression(expr: dict, labels: dict) -> bool:
    key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or ()
    if op == "In":
        return key in labels and labels[key] in values
    if op == "NotIn":  # an absent label is "not in" the set, as in Kubernetes
        return key not in labels or labels[key] not in values
    if op == "Exists":
        return key in labels
    if op == "DoesNotExist":
        return key not in labels
    return False  # the API server rejects unknown operators; select nothing


def matches(selector: dict | None, labels: dict) -> bool:
    """A LabelSelector against labels: None selects nothing, {} selects everything."""
    if selector is None:
        return False
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    return all(_expression(e, labels) for e in selector.get("matchExpressions") or ())


def describe(selector: dict) -> str:
    """`app=web,tier In (a,b)`: a selector the way kubectl's -l prints it."""
    parts = [f"{k}={v}" for k, v in (selector.get("matchLabels") or {}).items()]
    for e in selector.get("matchExpressions") or ():
        values = f" ({','.join(map(str, e.get('values') or ()))})" if e.get("values") else ""
        parts.append(f"{e.get('key')} {e.get('operator')}{values}")
    return ",".join(parts) or "{}"


def template_path(doc: dict) -> str | None:
    """The JSON pointer to a workload's pod template ("" for a Pod), or None for other kinds."""
    kind = doc.get("kind")
    if kind == "Pod":
        return ""
    if kind == "CronJob":
        return "/spec/jobTemplate/spec/template"
    return "/spec/template" if kind in WORKLOADS else None


def template(doc: dict) -> dict | None:
    """The pod template (metadata + spec) of a workload, the Pod itself, or None."""
    kind, spec = doc.get("kind"), doc.get("spec") or {}
    if kind == "Pod":
        return doc
    if kind == "CronJob":
        spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    return spec.get("template") if kind in WORKLOADS else None


@dataclass(frozen=True, eq=False)
class Pod:
    owner: dict  # the workload the template belongs to
    namespace: str | None
    labels: dict
    spec: dict
    path: str  # JSON pointer to `spec` in the owner, e.g. /spec/template/spec


def _key(doc: dict) -> tuple[str, str | None, str]:
    meta = doc.get("metadata") or {}
    return doc.get("kind"), meta.get("namespace"), meta.get("name")


@dataclass(frozen=True)
class Index:
    """Every object by (kind, namespace, name), built once; lookups are then constant time."""

    objects: dict[tuple, dict]
    kinds: dict[str, list[dict]]
    pods: dict[str | None, list[Pod]]
    by_label: dict[tuple, list[Pod]]  # (namespace, key, value) -> pods, so selecting is not a scan
    scalers: dict[tuple, dict]  # the HPA's (kind, namespace, name) target -> HPA
    namespaces: frozenset[str | None]

    @classmethod
    def of(cls, docs: list[dict]) -> Index:
        objects, kinds, pods, by_label, scalers = {}, defaultdict(list), defaultdict(list), defaultdict(list), {}
        for doc in docs:
            key = _key(doc)
            objects[key] = doc
            kinds[key[0]].append(doc)
            tpl = template(doc)
            if tpl is not None:
                labels = (tpl.get("metadata") or {}).get("labels") or {}
                pod = Pod(doc, key[1], labels, tpl.get("spec") or {}, f"{template_path(doc)}/spec")
                pods[key[1]].append(pod)
                for name, value in labels.items():
                    by_label[(key[1], name, str(value))].append(pod)
            if key[0] == "HorizontalPodAutoscaler":
                ref = (doc.get("spec") or {}).get("scaleTargetRef") or {}
                scalers[(ref.get("kind"), key[1], ref.get("name"))] = doc
        return cls(objects, dict(kinds), dict(pods), dict(by_label), scalers, frozenset(ns for _, ns, _ in objects))

    def get(self, kind: str, namespace: str | None, name: str) -> dict | None:
        return self.objects.get((kind, namespace, name))

    def kind(self, kind: str) -> list[dict]:
        return self.kinds.get(kind, [])

    def select(self, namespace: str | None, selector: dict | None) -> list[Pod]:
        if selector is None:
            return []
        pools = [self.by_label.get((namespace, k, str(v)), []) for k, v in (selector.get("matchLabels") or {}).items()]
        pool = min(pools, key=len) if pools else self.pods.get(namespace, [])
        return [p for p in pool if matches(selector, p.labels)]


def _meta(doc: dict) -> tuple[str | None, str | None, dict]:
    meta = doc.get("metadata") or {}
    return meta.get("namespace"), meta.get("name"), doc.get("spec") or {}


def _no_pod(what: str, selector: dict, at: str, level: str = "error") -> Finding:
    return "references.selector", level, f"{what} {describe(selector)!r} matches no pod template", at


def _containers(spec: dict) -> list[dict]:
    # Native sidecars (init containers that keep running) serve ports too.
    sidecars = [c for c in spec.get("initContainers") or () if c.get("restartPolicy") == "Always"]
    return [*(spec.get("containers") or ()), *sidecars]


def service(index: Index, doc: dict) -> Iterator[Finding]:
    ns, _, spec = _meta(doc)
    if not spec.get("selector") or spec.get("type") == "ExternalName":
        return  # endpoints are managed by hand or by DNS
    selector = {"matchLabels": spec["selector"]}
    pods = index.select(ns, selector)
    if not pods:
        yield _no_pod("selector", selector, "/spec/selector")
        return
    declared = [p for pod in pods for c in _containers(pod.spec) for p in c.get("ports") or ()]
    for i, port in enumerate(spec.get("ports") or ()):
        target = port.get("targetPort", port.get("port"))
        field = "containerPort" if isinstance(target, int) else "name"
        if not any(p.get(field) == target for p in declared):
            have = ", ".join(sorted({f"{p.get('name', '-')} {p.get('containerPort')}" for p in declared})) or "none"
            # A number reaches the pod whether or not a container declares it (a container's `ports`
            # are informational: https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/);
            # a name must resolve.
            yield ("references.target-port", "warning" if field == "containerPort" else "error",
                   f"port {port.get('name') or port.get('port')!r}: targetPort {target!r} is no "
                   f"containerPort {'number' if field == 'containerPort' else 'name'} of the selected pods (they have: {have})",
                   join("/spec/ports", i, "targetPort" if "targetPort" in port else "port"))


def peers(spec: dict) -> Iterator[tuple[str, str, dict]]:
    """(direction, pointer, peer) for every peer of a NetworkPolicy's ingress `from` and egress `to`."""
    for direction, side in (("ingress", "from"), ("egress", "to")):
        for r, rule in enumerate(spec.get(direction) or ()):
            for p, peer in enumerate((rule or {}).get(side) or ()):
                if isinstance(peer, dict):
                    yield direction, join("/spec", direction, r, side, p), peer


def network_policy(index: Index, doc: dict) -> Iterator[Finding]:
    ns, _, spec = _meta(doc)
    selector = spec.get("podSelector")
    if selector and not index.select(ns, selector):  # an empty podSelector means every pod
        yield _no_pod("podSelector", selector, "/spec/podSelector")
    for direction, at, peer in peers(spec):
        peer_selector = peer.get("podSelector")
        # With a namespaceSelector the peer pods live elsewhere, beyond this render.
        if peer_selector and "namespaceSelector" not in peer and not index.select(ns, peer_selector):
            yield _no_pod(f"{direction} peer podSelector", peer_selector, join(at, "podSelector"), "warning")


def _group(api_version: str | None) -> str:
    return (api_version or "").rpartition("/")[0]


def hpa(index: Index, doc: dict) -> Iterator[Finding]:
    ns, _, spec = _meta(doc)
    ref = spec.get("scaleTargetRef") or {}
    target = index.get(ref.get("kind"), ns, ref.get("name"))
    if target is None or _group(target.get("apiVersion")) != _group(ref.get("apiVersion")):
        yield ("references.hpa-target", "error",
               f"scaleTargetRef {ref.get('kind')}/{ref.get('name')} ({ref.get('apiVersion')}) not found",
               "/spec/scaleTargetRef")
        return
    # The HPA counts the pods that the target's own selector picks.
    selector = (target.get("spec") or {}).get("selector")
    if not index.select(ns, selector):
        yield _no_pod(f"target {ref.get('kind')}/{ref.get('name')} selector", selector or {}, "/spec/scaleTargetRef")


def _replicas(index: Index, workload: dict) -> int:
    scaler = index.scalers.get(_key(workload))
    if scaler is not None:
        return (scaler.get("spec") or {}).get("minReplicas", 1)
    return (workload.get("spec") or {}).get("replicas", 1)


def _scaled(value: int | str, total: int) -> int | None:
    """An int-or-percent against a pod count; percentages round up, as the disruption controller does."""
    try:
        if isinstance(value, str) and value.endswith("%"):
            return math.ceil(int(value[:-1]) * total / 100)
        return int(value)
    except ValueError:
        return None  # malformed: the schema check reports it


def _disruptions(spec: dict, total: int) -> tuple[int | None, str, str]:
    """(evictions allowed, the budget as set, the pointer to it)."""
    if "maxUnavailable" in spec:
        unavailable = _scaled(spec["maxUnavailable"], total)
        return ((None if unavailable is None else min(unavailable, total)), f"maxUnavailable {spec['maxUnavailable']}",
                "/spec/maxUnavailable")
    if "minAvailable" in spec:
        healthy = _scaled(spec["minAvailable"], total)
        return (None if healthy is None else total - healthy), f"minAvailable {spec['minAvailable']}", "/spec/minAvailable"
    return total, "", "/spec"


def pdb(index: Index, doc: dict) -> Iterator[Finding]:
    ns, name, spec = _meta(doc)
    pods = index.select(ns, spec.get("selector"))
    if not pods:
        yield _no_pod("selector", spec.get("selector") or {}, "/spec/selector")
        return
    total = sum(_replicas(index, p.owner) for p in pods if p.owner.get("kind") in SCALABLE)
    allowed, budget, at = _disruptions(spec, total)
    if total > 0 and allowed is not None and allowed < 1:
        yield ("references.pdb-eviction", "error",
               f"PDB {name} allows no eviction at {total} replica{'s' * (total != 1)} ({budget}); use maxUnavailable: 1", at)
