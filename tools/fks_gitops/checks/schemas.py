"""Strict schema check: every document against its kind's JSON schema, unknown fields are errors.

    problems = check(docs, "1.31", extra_locations=[Path("vendor/schemas")],
                     allow={"example.com/Widget": "vendor ships no schema"})

Each problem names its object and points (`pointer`) at the field the schema rejects: for an
unknown field, the field itself.

Built-in kinds use the strict schemas bundled in kubernetes-validate (used as data only), for the
closest bundled Kubernetes version at or below the target. Custom resources use schemas/ and any
extra locations, in kubeconform's `{group}/{kind}_{version}.json` layout (kind lowercased).
"""
from __future__ import annotations

import base64
import datetime as dt
import functools
import importlib.util
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import jsonschema_rs

from fks_gitops import deprecations
from fks_gitops.errors import GitOpsError
from fks_gitops import problem
from fks_gitops.pointer import join
from fks_gitops.problem import Problem
from fks_gitops.checks.context import ENVIRONMENT, EnvContext

SCHEMAS = Path(__file__).resolve().parents[3] / "schemas"
# Located without importing the package, which would pull in jsonschema for nothing.
BUNDLE = Path(importlib.util.find_spec("kubernetes_validate").origin).parent / "kubernetes-json-schema"
MAX_ERRORS = 10
_DEFINITIONS = "https://kubernetes.io/api/_definitions.json"  # the $id every bundled kind file refers to


def check(docs: list[dict], kubernetes: str, extra_locations: Sequence[Path] = (),
          allow: Mapping[str, str] | None = None, repo_schemas: Path = SCHEMAS) -> list[Problem]:
    """`repo_schemas`: the checked repository's schemas/ (default: this toolchain's own)."""
    version = bundled_version(kubernetes)
    locations = (*(Path(p) for p in extra_locations), repo_schemas)
    problems: list[Problem] = []
    for doc in docs:
        problems += _check_one(doc, kubernetes, version, locations, allow or {})
    return problems


def _check_one(doc: dict, target: str, version: str, locations: tuple[Path, ...],
               allow: Mapping[str, str]) -> list[Problem]:
    api_version, kind = doc.get("apiVersion"), doc.get("kind")
    if not (isinstance(api_version, str) and isinstance(kind, str)):
        return [problem.at(doc, "schemas.invalid", "error", "no apiVersion or kind; every object needs both")]
    problems = []
    entry = deprecations.find(api_version, kind)
    state = entry.state(target) if entry else None
    if state:
        level = "error" if state == "removed" else "warning"
        problems.append(problem.at(doc, "schemas.deprecated-api", level, entry.message(target, kind), "/apiVersion"))
    if state == "removed":
        return problems  # the target serves no schema for it; the replacement is the fix
    validator = _validator(version, locations, api_version, kind)
    if validator is None:
        message = _missing(api_version, kind, version, allow)
        return problems + ([problem.at(doc, "schemas.missing", "error", message, "/kind")] if message else [])
    try:
        valid = validator.is_valid(doc)
    except ValueError:  # YAML gave a date, bytes or a non-string key, which JSON has not
        doc = jsonable(doc)
        valid = validator.is_valid(doc)
    return problems if valid else problems + _invalid(validator, doc)


def jsonable(value: object) -> object:
    """What the API server sees once kubectl turns YAML into JSON: timestamps and keys become strings."""
    if isinstance(value, dict):
        return {k if isinstance(k, str) else json.dumps(k, default=str).strip('"'): jsonable(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def _invalid(validator: jsonschema_rs.Validator, doc: dict) -> list[Problem]:
    # sorted so the report is stable and reads top-down
    errors = sorted((path(e.instance_path), describe(e), pointer(e)) for e in validator.iter_errors(doc))
    problems = [problem.at(doc, "schemas.invalid", "error", f"{where}: {why}", at)
                for where, why, at in errors[:MAX_ERRORS]]
    if len(errors) > MAX_ERRORS:
        hidden = f"{len(errors) - MAX_ERRORS} more schema errors not shown"
        problems.append(problem.at(doc, "schemas.invalid", "error", hidden))
    return problems


def pointer(error: jsonschema_rs.ValidationError) -> str:
    """The JSON pointer to the rejected field; for unknown fields, the first unknown one."""
    at = join("", *error.instance_path)
    if error.kind.name == "additionalProperties" and error.kind.unexpected:
        return join(at, error.kind.unexpected[0])
    return at


def split(api_version: str) -> tuple[str, str]:
    """"apps/v1" -> ("apps", "v1"); "v1" -> ("", "v1")."""
    group, _, version = api_version.rpartition("/")
    return group, version


def _is_kubernetes_group(group: str) -> bool:
    return "." not in group or group.endswith(".k8s.io")


def _missing(api_version: str, kind: str, version: str, allow: Mapping[str, str]) -> str | None:
    group, ver = split(api_version)
    key = f"{group}/{kind}" if group else kind
    reason = allow.get(key, allow.get(kind))
    if reason is not None and str(reason).strip():
        return None
    if reason is not None:
        return f"schema_allow entry {key!r} has no reason; say why {kind} needs no schema"
    if _is_kubernetes_group(group):
        return (f"Kubernetes {version} has no {api_version} {kind}; check apiVersion and kind, "
                f"or add {key!r} with a reason to schema_allow")
    return (f"no schema for {api_version} {kind}; add schemas/{group}/{kind.lower()}_{ver}.json "
            f"(or pass --schema-location), or add {key!r} with a reason to schema_allow")


# --- schema lookup and compilation, cached process-wide (this is the hot path) ---


@functools.cache
def bundled_version(kubernetes: str) -> str:
    """The newest bundled schema version at or below the target: "1.31.4" -> "1.31"."""
    target = deprecations.minor(kubernetes)
    bundled = sorted(deprecations.minor(d.name.split("-")[0]) for d in BUNDLE.glob("v*-local-strict"))
    usable = [v for v in bundled if v <= target]
    if not usable:
        oldest = ".".join(map(str, bundled[0])) if bundled else "none"
        raise GitOpsError(f"Kubernetes {kubernetes} is older than the oldest bundled schemas ({oldest}); "
                          "raise `kubernetes:` in environments.yaml")
    return "%d.%d" % usable[-1]


@functools.cache
def _validator(version: str, locations: tuple[Path, ...], api_version: str, kind: str):
    group, _ = split(api_version)
    if _is_kubernetes_group(group):
        built_in = _builtin(version, api_version, kind)
        if built_in is not None:
            return built_in
    found = _custom_path(locations, api_version, kind)
    return _custom(found) if found else None


def custom_schema(version: str, locations: tuple[Path, ...], api_version: str, kind: str) -> Path | None:
    """The schema file a custom resource is checked against; None for a built-in kind or none found."""
    group, _ = split(api_version)
    if _is_kubernetes_group(group) and _builtin_schema(version, api_version, kind) is not None:
        return None
    return _custom_path(locations, api_version, kind)


def _custom_path(locations: tuple[Path, ...], api_version: str, kind: str) -> Path | None:
    group, ver = split(api_version)
    for location in locations if group else ():
        candidate = location / group / f"{kind.lower()}_{ver}.json"
        if candidate.is_file():
            return candidate.resolve()
    return None


@functools.cache
def _registry(version: str) -> jsonschema_rs.Registry:
    return jsonschema_rs.Registry([(_DEFINITIONS, _definitions_doc(version))])


def _definitions(version: str) -> Path:
    return BUNDLE / f"v{version}.0-local-strict" / "_definitions.json"


@functools.cache
def _definitions_doc(version: str) -> dict:
    return json.loads(_definitions(version).read_text())


@functools.cache
def _builtin_schema(version: str, api_version: str, kind: str) -> dict | None:
    """The bundled schema of a built-in kind, when its file serves this group and version."""
    group, ver = split(api_version)
    # kubernetes-validate names files <kind>-<first label of the group>-<version>.json ("v1" alone for core)
    suffix = f"{group.split('.')[0]}-{ver}" if group else ver
    path = BUNDLE / f"v{version}.0-local-strict" / f"{kind.lower()}-{suffix}.json"
    if not path.is_file():
        return None
    schema = json.loads(path.read_text())
    served = schema.get("x-kubernetes-group-version-kind") or []
    if not any(g.get("group") == group and g.get("version") == ver and g.get("kind") == kind for g in served):
        return None  # same file name, different group (e.g. a CRD group sharing a first label)
    return schema


@functools.cache
def _builtin(version: str, api_version: str, kind: str):
    schema = _builtin_schema(version, api_version, kind)
    if schema is None:
        return None
    whole = _standalone(version, schema)
    if whole is not None:
        try:
            return jsonschema_rs.validator_for(whole, offline=True)
        except (ValueError, jsonschema_rs.ReferencingError):
            pass  # a damaged kept entry: the registry's way
    return jsonschema_rs.validator_for(schema, registry=_registry(version), offline=True)


def _standalone(version: str, schema: dict) -> dict | None:
    """The kind's schema with the definitions it reaches under its own $defs, its references to
    the bundle's definitions made local: the same schema without a registry of all of them
    (loading that is about 12 ms of a run that checks one changed object). Kept by the kind's
    schema, the definitions file and the check code; None when the cache is off or a reference
    is not one to the definitions file (then the registry it is)."""
    from fks_gitops import resultcache, runcache  # noqa: PLC0415

    if not resultcache.enabled():
        return None  # nothing kept: one registry serves every kind
    definitions = _definitions(version)
    key = resultcache.digest("standalone schema", runcache.code(), resultcache.binary_identity(str(definitions)),
                             json.dumps(schema, sort_keys=True))
    try:
        kept = json.loads(resultcache.read(f"schema-{key}.json") or "null")
    except ValueError:
        kept = None  # a damaged entry is a miss
    if isinstance(kept, dict):
        return kept
    local = _localised(schema)
    if local is None:
        return None
    defs = _definitions_doc(version).get("$defs") or {}
    reached, todo = {}, [*_references(local)]
    while todo:
        name = todo.pop()
        if name not in reached:
            if name not in defs:
                return None
            reached[name] = defs[name]
            todo += _references(defs[name])
    whole = {**local, "$defs": reached}
    resultcache.write(f"schema-{key}.json", json.dumps(whole))
    return whole


_LOCAL = "#/$defs/"


def _localised(value: object) -> object:
    """`value` with each reference into the definitions file made a local one; None when a
    reference is of another form."""
    if isinstance(value, list):
        items = [_localised(v) for v in value]
        return None if any(i is None for i in items) else items
    if not isinstance(value, dict):
        return value
    out = {}
    for k, v in value.items():
        if k == "$ref":
            base, _, fragment = str(v).partition("#")
            if base not in ("/api/_definitions.json", _DEFINITIONS) or not f"#{fragment}".startswith(_LOCAL):
                return None
            out[k] = f"#{fragment}"
        else:
            out[k] = _localised(v)
            if out[k] is None and v is not None:
                return None
    return out


def _references(value: object) -> list[str]:
    """The definitions `value` names ("#/$defs/<name>")."""
    if isinstance(value, list):
        return [n for v in value for n in _references(v)]
    if not isinstance(value, dict):
        return []
    found = [str(v)[len(_LOCAL):] for k, v in value.items() if k == "$ref" and str(v).startswith(_LOCAL)]
    return found + [n for k, v in value.items() if k != "$ref" for n in _references(v)]


@functools.cache
def _custom(path: Path):
    try:
        return jsonschema_rs.validator_for(json.loads(path.read_text()), offline=True)
    except (ValueError, jsonschema_rs.ReferencingError) as exc:
        raise GitOpsError(f"{path}: not a usable JSON schema: {str(exc).splitlines()[0]}") from None


# --- error messages: the JSON path and a short reason, like kubeconform ---


def path(parts: Sequence[str | int]) -> str:
    """["spec", "containers", 0, "env"] -> spec.containers[0].env; ["data", "a.b/c"] -> data["a.b/c"]"""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.replace("_", "a").replace("-", "a").isalnum():
            out += f".{part}" if out else part
        else:
            out += f"[{json.dumps(part)}]"
    return out or "(root)"


def _short(value: object) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 40 else text[:37] + "..."


_JSON_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "object"}


def _expected(types: Sequence[str], value: object) -> str:
    wanted = " or ".join(t for t in dict.fromkeys(types) if t != "null") or "null"
    return f"expected {wanted}, got {_JSON_TYPES.get(type(value), 'null')} {_short(value)}"


def describe(error: jsonschema_rs.ValidationError) -> str:
    kind, name, value = error.kind, error.kind.name, error.instance
    if name == "additionalProperties":
        names = ", ".join(f"'{u}'" for u in kind.unexpected)
        return f"additional properties {names} are not allowed" if len(kind.unexpected) > 1 else \
            f"additional property {names} is not allowed"
    if name == "type":
        return _expected(kind.types, value)
    if name == "required":
        return f"missing required field '{kind.property}'"
    if name == "enum":
        return f"{_short(value)} is not one of {', '.join(map(_short, kind.options))}"
    if name == "const":
        return f"expected {_short(kind.expected_value)}, got {_short(value)}"
    if name in ("oneOf", "anyOf") and all(e.kind.name == "type" for branch in kind.context for e in branch):
        return _expected([t for branch in kind.context for e in branch for t in e.kind.types], value)
    if name == "maxProperties" and isinstance(value, dict):
        return f"at most {kind.limit} of these may be set, found {len(value)}: {', '.join(value)}"
    return error.message.splitlines()[0][:120]


ID, SCOPE = "schemas", ENVIRONMENT


def run(ctx: EnvContext) -> list[Problem]:
    return check(ctx.docs, ctx.env.kubernetes, ctx.schema_locations, ctx.config.schema_allow,
                 repo_schemas=ctx.config.repo / "schemas")
