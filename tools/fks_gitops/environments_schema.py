"""The shape of environments.yaml, checked before anything reads it.

A typo there must stop the tools with one line, not switch a gate off: `days: [monday]` would
otherwise silently disable prod's market-hours freeze.

    check(raw)  # raises GitOpsError naming the field

A document that fitted is remembered (resultcache, keyed by the document, the schema and the
installed validator), so a run whose environments.yaml has not changed never loads jsonschema_rs
(about 16 ms of imports on every run).
"""
from __future__ import annotations

import functools
import json

from fks_gitops import resultcache
from fks_gitops.errors import GitOpsError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TEXT = {"type": "string", "minLength": 1}
_CLOCK = {"type": "string", "pattern": r"^\d{2}:\d{2}$"}
_MOMENT = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2})?([+-]\d{2}:\d{2}|Z)?)?$"}

_SESSIONS = {
    "type": "object",
    "additionalProperties": False,
    "required": ["sessions"],
    "properties": {"sessions": {"type": "string", "pattern": "^[1-9][0-9]{0,2}$"}, "calendar": _TEXT},
}
_NAME = {"type": "string", "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"}
_CHECK = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "query", "expect"],
    "properties": {"name": _NAME, "query": _TEXT, "expect": _TEXT},
}
# A promotion check may apply only when one of its components moves.
_PROMOTION_CHECK = {**_CHECK, "properties": {**_CHECK["properties"], "components": {"type": "array", "items": _TEXT}}}
_VERIFY = {
    "type": "object",
    "additionalProperties": False,
    "required": ["prometheus"],
    "properties": {
        "prometheus": {"type": "string", "pattern": "^https?://[^\\s/@]+(/[^\\s]*)?$"},  # no credentials in the URL
        "timeout": _TEXT,
        "credentials": {"type": "string", "pattern": "^[A-Z_][A-Z0-9_]*$"},  # an environment variable's name
        "checks": {"type": "array", "items": _PROMOTION_CHECK},
        "deploy": {"type": "array", "items": _CHECK},
    },
}
_FREEZE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["timezone"],
    "properties": {
        "timezone": _TEXT,
        "market_hours": {
            "type": "object",
            "additionalProperties": False,
            "required": ["days", "open", "close"],
            "properties": {"days": {"type": "array", "items": {"enum": list(DAYS)}}, "open": _CLOCK, "close": _CLOCK},
        },
        # Holidays and early closes come from this exchange calendar, never from a hand-kept list.
        "calendar": _TEXT,
        "adhoc": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["from", "to"],
                "properties": {"from": _MOMENT, "to": _MOMENT, "reason": {"type": "string"}},
            },
        },
    },
}
SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["environments"],
    "properties": {
        "repository": _TEXT,
        "revision": _TEXT,
        "argocd_project": _TEXT,
        "argocd_version": {"type": "string", "pattern": r"^v?\d+\.\d+(\.\d+)?$"},
        "platform_namespaces": {"type": "array", "items": {"type": "string", "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"}},
        "environments": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "namespace", "kubernetes", "application"],
                "properties": {
                    "name": {"type": "string", "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"},
                    "namespace": _TEXT,
                    "kubernetes": {"type": "string", "pattern": r"^\d+\.\d+$"},
                    "application": _TEXT,
                    "certificate": _TEXT,
                    # a duration (24h), or completed trading sessions of an exchange calendar
                    "soak": {"oneOf": [_TEXT, _SESSIONS]},
                    "freeze": _FREEZE,
                    # Sealed Secrets scopes allowed here; a wider one lets a copy decrypt elsewhere
                    "scopes": {"type": "array", "minItems": 1, "uniqueItems": True,
                               "items": {"enum": ["strict", "namespace-wide", "cluster-wide"]}},
                    "verify": _VERIFY,
                },
            },
        },
        "parity": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["kind", "path"],
                "properties": {"kind": _TEXT, "name": _TEXT, "path": {"type": "string"}},
            },
        },
        # the deploy checklist every environment's `verify:` runs (promote.py --verify ENV)
        "deploy_checks": {"type": "array", "items": _CHECK},
        "schema_allow": {"type": "object", "additionalProperties": {"type": "string"}},
        # component -> the repositories it may come from (image_refs.py)
        "images": {"type": "object", "additionalProperties": {"type": "array", "minItems": 1, "items": _TEXT}},
        "audit": {
            "type": "object",
            "additionalProperties": False,
            "required": ["since"],
            "properties": {
                # a commit (7 to 40 hex digits) or a date: the audit never guesses where to start
                "since": {"type": "string", "pattern": r"^([0-9a-f]{7,40}|\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?(Z|[+-]\d{2}:\d{2})?)?)$"},
                "accepted": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["commit", "reason"],
                        "properties": {"commit": {"type": "string", "pattern": "^[0-9a-f]{7,40}$"}, "reason": _TEXT},
                    },
                },
            },
        },
    },
}


@functools.cache
def _validator():
    import jsonschema_rs  # noqa: PLC0415 - only for a document not remembered

    return jsonschema_rs.validator_for(SCHEMA)


def check(raw: object, file: str) -> None:
    """Raise a GitOpsError for the first place `raw` does not fit the schema."""
    key = _key(raw)
    if key and resultcache.passed(key):
        return
    for error in _validator().iter_errors(raw):
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.instance_path).lstrip(".")
        raise GitOpsError(f"{file}: {where or 'top level'}: {error.message}")
    if key:
        resultcache.remember(key)


def _key(raw: object) -> str | None:
    package = _package()
    if package is None:
        return None
    try:
        document = json.dumps(raw, sort_keys=True)
    except (TypeError, ValueError):
        return None  # not plain data: validated every time
    return resultcache.digest("environments schema", json.dumps(SCHEMA, sort_keys=True), package, document)


@functools.cache
def _package() -> str | None:
    return resultcache.package_identity("jsonschema_rs")
