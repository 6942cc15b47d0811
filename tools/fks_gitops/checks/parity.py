"""Environment parity: rendered environments may differ only where environments.yaml allows.

    problems = check(RepoContext(config, {"dev": docs, "prod": docs}))

Each environment is normalised (its namespace and kustomize's generated-name hashes taken out)
and compared with the first environment of the chain that rendered. A problem names the
differing environment's object (in `environments`: validate cannot tell which one it is) and
points at the differing path.
"""
from __future__ import annotations

import json
import re

from fks_gitops import problem
from fks_gitops.docdiff import Tokens, diff, show
from fks_gitops.environments import ParityRule
from fks_gitops.pointer import join
from fks_gitops.problem import Problem
from fks_gitops.checks.context import REPOSITORY

# kustomize appends a 10-character hash to generated ConfigMap and Secret names.
_HASHED = re.compile(r"^(?P<base>.+)-[2456789bcdfghkmt]{10}$")
_TOKEN = re.compile(r"\[(\*|\d+)\]|((?:\\\.|[^.\[])+)")
_SHOWN = 60
_NAMESPACE_KEYS = {"namespace", "kubernetes.io/metadata.name"}


def split_path(path: str) -> list[str]:
    """'spec.tls[*].hosts' -> ['spec', 'tls', '[*]', 'hosts']; '\\.' keeps a dot in a key."""
    tokens = []
    for index, key in _TOKEN.findall(path):
        tokens.append(f"[{index}]" if index else key.replace("\\.", "."))
    return tokens


def _matches(pattern: list[str], path: list[str]) -> bool:
    if len(pattern) > len(path):
        return False
    for want, got in zip(pattern, path):
        if want == "[*]" and got.startswith("["):
            continue
        if want == "*" and not got.startswith("["):
            continue
        if want != got:
            return False
    return True


def _allowed(rules: list[tuple[str, str, list[str]]], kind: str, name: str, path: list[str]) -> bool:
    return any(
        k in ("*", kind) and n in ("*", name) and _matches(p, path) for k, n, p in rules
    )


def _normalise(value: object, renames: dict[str, str], namespace: str, key: str = "") -> object:
    if isinstance(value, dict):
        return {k: _normalise(v, renames, namespace, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v, renames, namespace, key) for v in value]
    if isinstance(value, str):
        # Only fields that name a namespace: prod's namespace "fks-trading" is also a label value.
        if value == namespace and key in _NAMESPACE_KEYS:
            return "<namespace>"
        return renames.get(value, value)
    return value


def _index(docs: list[dict], namespace: str) -> dict[tuple[str, str], tuple[dict, dict]]:
    """(kind, normalised name) -> (normalised object, the object as rendered)."""
    renames: dict[str, str] = {}
    for doc in docs:
        name = (doc.get("metadata") or {}).get("name", "")
        match = _HASHED.match(name)
        if doc.get("kind") in ("ConfigMap", "Secret") and match:
            renames[name] = match.group("base")
    objects = {}
    for doc in docs:
        norm = _normalise(doc, renames, namespace)
        objects[(norm.get("kind", "?"), (norm.get("metadata") or {}).get("name", "?"))] = (norm, doc)
    return objects


_ABSENT = object()


def _get(doc: object, path: Tokens) -> object:
    """The value at a diff path, or _ABSENT: docdiff gives None for a missing key, as for null."""
    for token in path:
        if isinstance(doc, dict) and token in doc:
            doc = doc[token]
        elif isinstance(doc, list) and str(token).strip("[]").isdigit() and int(str(token)[1:-1]) < len(doc):
            doc = doc[int(str(token)[1:-1])]
        else:
            return _ABSENT
    return doc


def _clip(value: object) -> str:
    if value is _ABSENT:
        return "absent"
    text = json.dumps(value, default=str, sort_keys=True)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def _pointer(path: Tokens) -> str:
    return join("", *(int(t[1:-1]) if isinstance(t, str) and t.startswith("[") else t for t in path))


def compare(
    reference: str, ref_docs: list[dict], ref_ns: str, other: str, docs: list[dict], ns: str,
    allow: tuple[ParityRule, ...],
) -> list[Problem]:
    rules = [(r.kind, r.name, split_path(r.path)) for r in allow]
    mine, theirs = _index(docs, ns), _index(ref_docs, ref_ns)
    problems = []
    for kind, name in sorted(set(mine) | set(theirs)):
        if (kind, name) not in theirs or (kind, name) not in mine:
            present, absent = (other, reference) if (kind, name) in mine else (reference, other)
            if not _allowed(rules, kind, name, []):
                doc = (mine.get((kind, name)) or theirs[(kind, name)])[1]
                problems.append(problem.at(
                    doc, "parity.object", "error",
                    f"renders in {present} but not in {absent}; "
                    f"add it to both overlays or allow it under parity in environments.yaml", env=present,
                ))
            continue
        (ref_norm, _), (norm, doc) = theirs[(kind, name)], mine[(kind, name)]
        for path, _, _ in diff(ref_norm, norm):
            if _allowed(rules, kind, name, path):
                continue
            problems.append(problem.at(
                doc, "parity.drift", "error",
                f"{show(path)} is {_clip(_get(norm, path))} here but {_clip(_get(ref_norm, path))} in {reference}; "
                f"make the overlays agree, or allow the path under parity in environments.yaml",
                pointer=_pointer(path), env=other,
            ))
    return problems


def check(ctx) -> list[Problem]:
    envs = [e for e in ctx.config.environments if e.name in ctx.rendered]
    if len(envs) < 2:
        return []
    ref = envs[0]
    problems = []
    for env in envs[1:]:
        problems += compare(
            ref.name, ctx.rendered[ref.name], ref.namespace,
            env.name, ctx.rendered[env.name], env.namespace, ctx.config.parity,
        )
    return problems


ID, SCOPE = "parity", REPOSITORY
run = check
