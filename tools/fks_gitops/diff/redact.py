"""Secret values never leave the renders: each value becomes a marker that says only whether it changed.

    old, new = redact(before_doc, after_doc)
    new["data"]   # {"API_KEY": "<redacted, changed>", "USER": "<redacted>"}

Secrets carry values in `data` and `stringData`; a SealedSecret carries ciphertext in
`spec.encryptedData`, and its `spec.template` is a Secret-like template with `data` of its own.
Ciphertext is redacted too: it changes on every re-seal, and a reviewer can do nothing with it.
"""
from __future__ import annotations

import copy

REDACTED, CHANGED, ADDED = "<redacted>", "<redacted, changed>", "<redacted, added>"
FIELDS = {
    "Secret": (("data",), ("stringData",)),
    "SealedSecret": (("spec", "encryptedData"), ("spec", "template", "data"), ("spec", "template", "stringData")),
}


def is_secret(doc: dict | None) -> bool:
    return bool(doc) and doc.get("kind") in FIELDS


def secret_path(kind: str, path: tuple) -> bool:
    """Whether a field path (docdiff tokens) lies inside one of the kind's secret fields."""
    return any(path[: len(f)] == f for f in FIELDS.get(kind, ()))


def redact(old: dict | None, new: dict | None) -> tuple[dict | None, dict | None]:
    """Copies of both sides with every secret value replaced, so a diff shows which keys changed."""
    kind = (new or old or {}).get("kind")
    old, new = copy.deepcopy(old), copy.deepcopy(new)
    for path in FIELDS.get(kind, ()):
        a, b = _get(old, path), _get(new, path)
        if a is not None:
            _set(old, path, _markers(a, None))
        if b is not None:
            _set(new, path, _markers(b, a if old is not None else None, new_side=True))
    return old, new


def _markers(values: object, other: object, new_side: bool = False) -> object:
    if not isinstance(values, dict):  # malformed (a list, a string): say only that it is there
        return REDACTED if not new_side or values == other else CHANGED
    if not new_side:
        return {k: REDACTED for k in values}
    other = other if isinstance(other, dict) else {}
    return {k: REDACTED if other.get(k, object()) == v else (CHANGED if k in other else ADDED)
            for k, v in values.items()}


def _get(doc: dict | None, path: tuple) -> object:
    for key in path:
        if not isinstance(doc, dict):
            return None
        doc = doc.get(key)
    return doc


def _set(doc: dict, path: tuple, value: object) -> None:
    for key in path[:-1]:
        doc = doc[key]
    doc[path[-1]] = value
