"""Two renders of one environment -> one ObjectChange per object that differs, riskiest first.

    changes = compare(before_docs, after_docs, "prod")
    changes[0].ref, changes[0].action, changes[0].fields, changes[0].risks
    print(changes[0].diff)     # unified diff of the object's YAML, secret values redacted

Objects are matched by kind, namespace and name. `fields` are the changed paths (docdiff's
form); inside a Secret's or SealedSecret's values they name the key, never the value.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

import yaml

from fks_gitops.diff import redact, risk
from fks_gitops.docdiff import diff, show
from fks_gitops.render import object_id

ADDED, REMOVED, CHANGED = "added", "removed", "changed"
_HASH = re.compile(r"-[a-z0-9]{10}$")  # kustomize's generator suffix, e.g. prometheus-config-k4c54g4c84


@dataclass(frozen=True)
class ObjectChange:
    ref: str  # Kind/namespace/name
    action: str  # added | removed | changed
    fields: tuple[str, ...]
    risks: tuple[str, ...]  # risk classes, most severe first
    notes: tuple[str, ...]  # values that matter, e.g. "TRADING_MODE paper -> live"
    diff: str

    @property
    def risk(self) -> str:
        return self.risks[0]


def compare(before: list[dict], after: list[dict], env: str) -> tuple[ObjectChange, ...]:
    old = {object_id(d): d for d in before}
    new = {object_id(d): d for d in after}
    pairs = [(ref, ref) for ref in old.keys() | new.keys()]
    pairs = _renamed(pairs, old, new)
    changes = [c for a, b in pairs if (c := _change(b or a, old.get(a), new.get(b), env, a if a != b else None))]
    return tuple(sorted(changes, key=lambda c: (risk.rank(c.risk), c.ref)))


def _renamed(pairs: list[tuple[str, str]], old: dict, new: dict) -> list[tuple[str | None, str | None]]:
    """A generated ConfigMap or Secret whose content changed gets a new hash suffix (kustomize's
    generators): the same object under a new name, compared as one, not as a deletion."""
    gone = {_unhashed(r): r for r in old.keys() - new.keys() if _unhashed(r)}
    came = {_unhashed(r): r for r in new.keys() - old.keys() if _unhashed(r)}
    moved = {gone[k]: came[k] for k in gone.keys() & came.keys()}
    kept = [(a, b) for a, b in pairs if a not in moved and b not in moved.values()]
    return kept + list(moved.items())


def _unhashed(ref: str) -> str | None:
    stem = _HASH.sub("", ref)
    return stem if stem != ref else None


def _change(ref: str, old: dict | None, new: dict | None, env: str, was: str | None = None) -> ObjectChange | None:
    if old == new:
        return None
    action = ADDED if old is None else REMOVED if new is None else CHANGED
    paths = [p for p, _, _ in diff(old, new)] if action == CHANGED else []
    found = risk.classify(old, new, paths)
    secret = redact.is_secret(old) or redact.is_secret(new)
    shown_old, shown_new = redact.redact(old, new) if secret else (old, new)
    return ObjectChange(
        ref=ref,
        action=action,
        fields=tuple(show(p) for p in paths),
        risks=tuple(name for name, _ in found),
        notes=() if secret else tuple(note for _, note in found if note),
        diff=unified(shown_old, shown_new, f"{env}/{was or ref}", f"{env}/{ref}"),
    )


def unified(old: dict | None, new: dict | None, label: str, new_label: str | None = None) -> str:
    a, b = _lines(old), _lines(new)
    return "".join(difflib.unified_diff(a, b, f"a/{label}" if old else "/dev/null",
                                        f"b/{new_label or label}" if new else "/dev/null"))


class _Dumper(yaml.CSafeDumper):
    """Multi-line strings (a prometheus.yml in a ConfigMap) as literal blocks: a diff of lines, not of one escaped string."""


def _string(dumper: yaml.Dumper, value: str) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_Dumper.add_representer(str, _string)


def _lines(doc: dict | None) -> list[str]:
    if doc is None:
        return []
    return yaml.dump(doc, Dumper=_Dumper, sort_keys=False, width=4096).splitlines(keepends=True)
