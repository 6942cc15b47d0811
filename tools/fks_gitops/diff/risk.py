"""The risk classes of a rendered change, most severe first, and which ones a change falls in.

    classify(old_doc, new_doc, [("data", "TRADING_MODE")])   # [("trading-mode", "TRADING_MODE paper -> live")]

A change may fall in several (a Deployment's image and its replicas: image, other). `old_doc` is
None for an added object, `new_doc` None for a removed one.
"""
from __future__ import annotations

import fnmatch
import json
import re


TRADING_MODE, RISK_LIMITS, NETWORK, RBAC = "trading-mode", "risk-limits", "network-wider", "rbac"
DELETION, SELECTOR, IMAGE, OTHER = "deletion", "service-selector", "image", "other"
CLASSES = (TRADING_MODE, RISK_LIMITS, NETWORK, RBAC, DELETION, SELECTOR, IMAGE, OTHER)
TITLES = {
    TRADING_MODE: "TRADING_MODE", RISK_LIMITS: "risk limits and circuit breaker", NETWORK: "wider egress or ingress",
    RBAC: "RBAC", DELETION: "deletion", SELECTOR: "Service selector", IMAGE: "image", OTHER: "other",
}
# The execution ConfigMap's limits (base/execution/configmap.yaml): how much, how fast, when to stop.
EXECUTION_CONFIG = "fks-execution-config"
RISK_KEYS = ("CIRCUIT_BREAKER_*", "RATE_LIMIT_*", "MAX_*", "MIN_SIGNAL_CONFIDENCE")
RBAC_KINDS = ("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding")
_POD_RBAC = ("serviceAccountName", "serviceAccount", "automountServiceAccountToken")
_CONTAINERS = re.compile(r"^(initContainers|containers|ephemeralContainers)$")


def rank(name: str) -> int:
    return CLASSES.index(name)


def classify(old: dict | None, new: dict | None, paths: list[tuple]) -> list[tuple[str, str | None]]:
    """(class, note) pairs, each class once, most severe first; a note quotes a value that matters."""
    doc = new or old or {}
    kind = doc.get("kind", "")
    found: dict[str, str | None] = {}

    def add(name: str, note: str | None = None) -> None:
        if found.get(name) is None:
            found[name] = note

    if new is None:
        add(DELETION)
    if kind in RBAC_KINDS:
        add(RBAC)
    if kind == "NetworkPolicy":
        wider = _wider(old, new)
        if wider:
            add(NETWORK, wider)
    for name, note in _settings(old, new):
        add(name, note)
    for note in _images(old, new):
        add(IMAGE, note)
    if old is None or new is None:
        return _ordered(found or {OTHER: None})
    for path in paths:
        add(*_field(old, new, path, found))
    return _ordered(found)


def _ordered(found: dict[str, str | None]) -> list[tuple[str, str | None]]:
    return sorted(found.items(), key=lambda item: rank(item[0]))


def _field(old: dict, new: dict, path: tuple, found: dict) -> tuple[str, str | None]:
    """The class of one changed field that the object-wide checks above did not explain."""
    kind = new.get("kind", "")
    if kind == "ConfigMap" and path[:1] == ("data",) and len(path) > 1 and _setting_class(new, str(path[1])):
        return _setting_class(new, str(path[1])), None
    if kind in RBAC_KINDS or (path and path[-1] in _POD_RBAC):
        return RBAC, None
    if kind == "NetworkPolicy" and NETWORK in found:
        return NETWORK, None
    if kind == "Service" and path[:2] == ("spec", "selector"):
        return SELECTOR, None
    if path and path[-1] == "image" and any(isinstance(t, str) and _CONTAINERS.match(t) for t in path):
        return IMAGE, None
    if "env" in path:
        return _env_field(old, new, path), None
    return OTHER, None


def _env_field(old: dict, new: dict, path: tuple) -> str:
    """A container env change is TRADING_MODE or a risk limit when every variable it touches is one."""
    a, b = _values(old), _values(new)
    at = path.index("env")
    if at + 1 < len(path):  # one entry: its name, on either side
        index = int(str(path[at + 1]).strip("[]"))
        names = {e.get("name") for doc in (old, new) for e in _env_list(doc, path[:at]) [index:index + 1]}
    else:
        names = {k for k in a.keys() | b.keys() if a.get(k) != b.get(k)}
    classes = {_setting_class(new, str(n)) for n in names}
    return OTHER if None in classes or not classes else min(classes, key=rank)


def _env_list(doc: dict, path: tuple) -> list[dict]:
    for token in path:
        if isinstance(token, str) and token.startswith("[") and isinstance(doc, list):
            doc = doc[int(token[1:-1])] if int(token[1:-1]) < len(doc) else {}
        elif isinstance(doc, dict):
            doc = doc.get(token) or {}
    env = doc.get("env") if isinstance(doc, dict) else None
    return [e for e in env or () if isinstance(e, dict)]


def _setting_class(doc: dict, key: str) -> str | None:
    if key == "TRADING_MODE":
        return TRADING_MODE
    name = (doc.get("metadata") or {}).get("name", "")
    if doc.get("kind") == "ConfigMap" and not name.startswith(EXECUTION_CONFIG):
        return None
    return RISK_LIMITS if any(fnmatch.fnmatchcase(key, p) for p in RISK_KEYS) else None


def _settings(old: dict | None, new: dict | None) -> list[tuple[str, str]]:
    """TRADING_MODE and the risk limits, whether a ConfigMap's data or a container's env sets them."""
    a, b = _values(old), _values(new)
    notes = []
    for key in sorted(a.keys() | b.keys()):
        name = _setting_class(new or old, key)
        if name and a.get(key) != b.get(key):
            notes.append((name, f"{key} {_said(a.get(key))} -> {_said(b.get(key))}"))
    return notes


def _values(doc: dict | None) -> dict[str, object]:
    if not doc:
        return {}
    if doc.get("kind") == "ConfigMap":
        return dict(doc.get("data") or {})
    return {e["name"]: e.get("value", e.get("valueFrom")) for c in _containers(doc) for e in c.get("env") or ()
            if isinstance(e, dict) and "name" in e}


def _images(old: dict | None, new: dict | None) -> list[str]:
    a = {c.get("name"): c.get("image") for c in _containers(old)}
    b = {c.get("name"): c.get("image") for c in _containers(new)}
    return [f"{name}: {_image_change(a.get(name), b.get(name))}"
            for name in sorted(a.keys() | b.keys(), key=str) if a.get(name) != b.get(name)]


def _image_change(old: str | None, new: str | None) -> str:
    """`repo 1.4.2 -> 1.4.3` when only the tag or digest moved, else both references in full."""
    (repo_a, version_a), (repo_b, version_b) = _split_ref(old), _split_ref(new)
    if old and new and repo_a == repo_b:
        return f"{repo_a} {version_a or '(untagged)'} -> {version_b or '(untagged)'}"
    return f"{_said(old)} -> {_said(new)}"


def _split_ref(ref: str | None) -> tuple[str, str]:
    """`host:5000/app:1.2@sha256:ab` -> (`host:5000/app`, `1.2@sha256:ab`)."""
    name, at, digest = (ref or "").partition("@")
    slash = name.rfind("/")
    repo, colon, tag = name.rpartition(":") if name.rfind(":") > slash else (name, "", "")
    return repo, tag + (at + digest if at else "")


def _containers(doc: dict | None) -> list[dict]:
    spec = (doc or {}).get("spec") or {}
    pod = ((spec.get("jobTemplate") or {}).get("spec") or spec).get("template", {}).get("spec") or {}
    found = [c for key in ("initContainers", "containers", "ephemeralContainers") for c in pod.get(key) or ()]
    return [c for c in found if isinstance(c, dict)]


def _wider(old: dict | None, new: dict | None) -> str | None:
    """What the new NetworkPolicy lets through that the old did not; None when it allows no more.
    Rules are allow-lists: a rule not in the old policy may admit new traffic; a policy removed,
    or a direction dropped from policyTypes, stops restricting that traffic at all."""
    if new is None:
        return "removed: the pods it selected lose its restrictions"
    spec_a, spec_b = (old or {}).get("spec") or {}, new.get("spec") or {}
    if old is not None and spec_a.get("podSelector") != spec_b.get("podSelector"):
        return f"podSelector {_said(spec_a.get('podSelector'))} -> {_said(spec_b.get('podSelector'))}"
    dropped = set(spec_a.get("policyTypes") or ()) - set(spec_b.get("policyTypes") or ())
    if dropped:
        return f"policyTypes no longer restrict {', '.join(sorted(dropped))}"
    for direction in ("ingress", "egress"):
        before = {_canonical(r) for r in spec_a.get(direction) or ()}
        added = [r for r in spec_b.get(direction) or () if _canonical(r) not in before]
        if added:
            return f"{direction} allows {_said(added[0])}{f' and {len(added) - 1} more rules' if len(added) > 1 else ''}"
    return None


def _canonical(value: object) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _said(value: object, limit: int = 80) -> str:
    plain = isinstance(value, str) and value.isprintable() and value.strip() == value and value
    text = "(none)" if value is None else (value if plain else json.dumps(value, default=str))
    return text if len(text) <= limit else text[: limit - 3] + "..."
