import json
from pathlib import Path

import pytest

from fks_gitops import deprecations, render
from fks_gitops.checks import schemas
from fks_gitops.errors import GitOpsError
from fks_gitops.problem import ObjectRef
from fks_gitops.render import parse

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
VALID = FIXTURES / "schemas" / "valid"
INVALID = FIXTURES / "schemas" / "invalid"
LOCATION = FIXTURES / "schemas-location"
UPSTREAM = REPO.parent / "shared" / "reference" / "crd-schemas"
OURS = sorted((REPO / "schemas").glob("*/*.json"))


def load(path: Path) -> list[dict]:
    return parse(path.read_text(), str(path))


def messages(problems) -> list[tuple[str, str, str, str | None]]:
    return [(p.rule, p.level, p.message, p.pointer) for p in problems]


# --- built-in kinds ---------------------------------------------------------


@pytest.mark.parametrize("name", ["execution.yaml", "argocd.yaml", "cluster.yaml"])
def test_valid_objects_pass(name):
    docs = load(VALID / name)
    assert docs
    assert schemas.check(docs, "1.31") == []


def test_unknown_field_in_a_deployment_container_is_an_error():
    problems = schemas.check(load(INVALID / "deployment-unknown-field.yaml"), "1.31")
    assert messages(problems) == [(
        "schemas.invalid", "error",
        "spec.template.spec.containers[0]: additional property 'imagePullPolice' is not allowed",
        "/spec/template/spec/containers/0/imagePullPolice",
    )]
    assert problems[0].object == ObjectRef("Deployment", "fks-execution", "fks-trading")
    assert problems[0].location is None and problems[0].environments == ()  # validate sets both


def test_unknown_fields_of_one_object_are_one_problem():
    [doc] = load(INVALID / "deployment-wrong-type.yaml")
    doc["spec"].update(replicas=2, paused=False, replica=2, minReady=1)
    assert messages(schemas.check([doc], "1.31")) == [
        ("schemas.invalid", "error", "spec: additional properties 'replica', 'minReady' are not allowed", "/spec/replica")]


def test_wrong_type_is_an_error():
    problems = schemas.check(load(INVALID / "deployment-wrong-type.yaml"), "1.31")
    assert messages(problems) == [("schemas.invalid", "error", 'spec.replicas: expected integer, got string "two"', "/spec/replicas")]


def test_int_or_string_fields_name_both_types():
    doc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "grafana"},
           "spec": {"ports": [{"port": 3000, "targetPort": [3000]}]}}
    assert messages(schemas.check([doc], "1.31")) == [
        ("schemas.invalid", "error", "spec.ports[0].targetPort: expected string or integer, got array [3000]",
         "/spec/ports/0/targetPort")]


def test_keys_that_are_not_identifiers_are_quoted_in_the_path():
    doc = load(VALID / "execution.yaml")[1]  # the ConfigMap
    doc["data"] = {"app.kubernetes.io/x": 3}
    [problem] = schemas.check([doc], "1.31")
    assert problem.message == 'data["app.kubernetes.io/x"]: expected string, got integer 3'
    assert problem.pointer == "/data/app.kubernetes.io~1x"


def test_yaml_dates_and_number_keys_are_checked_as_the_api_server_sees_them():
    docs = parse("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {since: 2026-01-01, 1: one, n: 3}\n", "t")
    assert messages(schemas.check(docs, "1.31")) == [
        ("schemas.invalid", "error", "data.n: expected string, got integer 3", "/data/n")]


def test_errors_are_capped_per_object():
    doc = load(INVALID / "deployment-unknown-field.yaml")[0]
    doc["spec"]["template"]["spec"]["containers"] *= 15  # each copy has the unknown field
    problems = schemas.check([doc], "1.31")
    assert len(problems) == schemas.MAX_ERRORS + 1
    assert (problems[-1].message, problems[-1].pointer) == ("5 more schema errors not shown", None)


def test_object_without_kind_is_an_error():
    problems = schemas.check([{"metadata": {"name": "x"}}], "1.31")
    assert messages(problems) == [("schemas.invalid", "error", "no apiVersion or kind; every object needs both", None)]
    assert problems[0].object == ObjectRef("?", "x")


def test_unknown_builtin_kind_is_missing():
    doc = {"apiVersion": "apps/v1", "kind": "Deploymnet", "metadata": {"name": "x"}}
    assert messages(schemas.check([doc], "1.31")) == [(
        "schemas.missing", "error",
        "Kubernetes 1.31 has no apps/v1 Deploymnet; check apiVersion and kind, "
        "or add 'apps/Deploymnet' with a reason to schema_allow", "/kind",
    )]


# --- versions and deprecated APIs ------------------------------------------


@pytest.mark.parametrize("target, bundled", [("1.31", "1.31"), ("v1.31.4", "1.31"), ("1.25", "1.25"), ("1.99", "1.37")])
def test_closest_bundled_version_at_or_below_the_target(target, bundled):
    assert schemas.bundled_version(target) == bundled


@pytest.mark.parametrize("target, error", [("1.24", "older than the oldest bundled schemas (1.25)"),
                                           ("latest", "is not like '1.31'")])
def test_unusable_target_version_is_an_input_error(target, error):
    with pytest.raises(GitOpsError, match=error.replace("(", r"\(").replace(")", r"\)")):
        schemas.check([], target)


def test_removed_api_is_an_error_naming_the_replacement():
    problems = schemas.check(load(INVALID / "removed-api.yaml"), "1.31")
    assert messages(problems) == [(
        "schemas.deprecated-api", "error", "policy/v1beta1 PodDisruptionBudget was removed in 1.25; use policy/v1",
        "/apiVersion")]


@pytest.mark.parametrize("target, expected", [
    ("1.28", []),
    ("1.31", [("schemas.deprecated-api", "warning",
               "flowcontrol.apiserver.k8s.io/v1beta3 FlowSchema is deprecated since 1.29, removed in 1.32; "
               "use flowcontrol.apiserver.k8s.io/v1", "/apiVersion")]),
    ("1.32", [("schemas.deprecated-api", "error",
               "flowcontrol.apiserver.k8s.io/v1beta3 FlowSchema was removed in 1.32; "
               "use flowcontrol.apiserver.k8s.io/v1", "/apiVersion")]),
])
def test_deprecation_depends_on_the_target_version(target, expected):
    assert messages(schemas.check(load(INVALID / "deprecated-api.yaml"), target)) == expected


def test_whole_group_version_entries_name_the_objects_kind():
    doc = {"apiVersion": "apps/v1beta2", "kind": "StatefulSet", "metadata": {"name": "x"}}
    [problem] = schemas.check([doc], "1.31")
    assert problem.message == "apps/v1beta2 StatefulSet was removed in 1.16; use apps/v1"


def test_every_replacement_is_served_by_the_bundled_schemas():
    for entry in deprecations.TABLE:
        replacement = entry.replacement.split()[0]
        if "/" in replacement and entry.kind != "*" and "EndpointSlice" not in entry.replacement:
            assert schemas._builtin("1.37", replacement, entry.kind) is not None, entry


# --- custom resources -------------------------------------------------------


def test_unknown_field_in_an_application_is_an_error():
    problems = schemas.check(load(INVALID / "application-unknown-field.yaml"), "1.31")
    assert messages(problems) == [
        ("schemas.invalid", "error", "spec.source: additional property 'targetRevison' is not allowed",
         "/spec/source/targetRevison")]


def test_clusterissuer_sets_exactly_one_issuer_type():
    problems = schemas.check(load(INVALID / "issuer-two-types.yaml"), "1.31")
    assert messages(problems) == [
        ("schemas.invalid", "error", "spec: at most 1 of these may be set, found 2: acme, selfSigned", "/spec")]


def test_kind_without_schema_is_missing_and_says_how_to_fix():
    problems = schemas.check(load(INVALID / "widget.yaml"), "1.31")
    assert messages(problems) == [(
        "schemas.missing", "error",
        "no schema for example.com/v1 Widget; add schemas/example.com/widget_v1.json "
        "(or pass --schema-location), or add 'example.com/Widget' with a reason to schema_allow", "/kind",
    )]


@pytest.mark.parametrize("key", ["example.com/Widget", "Widget"])
def test_allow_listed_kind_passes(key):
    allow = {key: "vendor publishes no schema"}
    assert schemas.check(load(INVALID / "widget.yaml"), "1.31", allow=allow) == []


def test_allow_entry_needs_a_reason():
    problems = schemas.check(load(INVALID / "widget.yaml"), "1.31", allow={"example.com/Widget": " "})
    assert messages(problems) == [(
        "schemas.missing", "error",
        "schema_allow entry 'example.com/Widget' has no reason; say why Widget needs no schema", "/kind")]


def test_schema_location_adds_custom_kinds():
    [widget] = load(INVALID / "widget.yaml")
    assert schemas.check([widget], "1.31", extra_locations=[LOCATION]) == []
    widget["spec"] = {"size": "large", "colour": "red"}
    assert messages(schemas.check([widget], "1.31", extra_locations=[LOCATION])) == [
        ("schemas.invalid", "error", "spec: additional property 'colour' is not allowed", "/spec/colour"),
        ("schemas.invalid", "error", 'spec.size: expected integer, got string "large"', "/spec/size"),
    ]  # sorted by path


def test_extra_locations_are_searched_before_ours(tmp_path):
    loose = tmp_path / "argoproj.io" / "application_v1alpha1.json"
    loose.parent.mkdir()
    loose.write_text(json.dumps({"type": "object"}))
    docs = load(INVALID / "application-unknown-field.yaml")
    assert schemas.check(docs, "1.31", extra_locations=[tmp_path]) == []


def test_broken_schema_file_is_an_input_error(tmp_path):
    broken = tmp_path / "example.com" / "widget_v1.json"
    broken.parent.mkdir()
    broken.write_text("{not json")
    with pytest.raises(GitOpsError, match="widget_v1.json: not a usable JSON schema"):
        schemas.check(load(INVALID / "widget.yaml"), "1.31", extra_locations=[tmp_path])


def test_validators_are_compiled_once_per_kind():
    docs = load(VALID / "execution.yaml")
    schemas.check(docs, "1.30")
    before = schemas._builtin.cache_info()
    schemas.check(docs * 3, "1.30")
    after = schemas._builtin.cache_info()
    assert after.misses == before.misses and after.hits == before.hits  # _validator's cache answered


def _errors(validator, doc: dict) -> list[tuple[str, str, str]]:
    return sorted((schemas.path(e.instance_path), schemas.describe(e), schemas.pointer(e)) for e in validator.iter_errors(doc))


def _broken(doc: dict) -> list[dict]:
    """The object with an unknown field, a wrong type and a wrong enum value deep inside."""
    found = [json.loads(json.dumps(doc)) for _ in range(3)]
    found[0].setdefault("spec", {})["unknownField"] = 1
    found[1]["metadata"]["labels"] = {"app": 7}
    pod = (found[2].get("spec") or {}).get("template", {}).get("spec")
    if pod:
        pod["containers"][0]["imagePullPolicy"] = "Sometimes"
        pod["containers"][0]["ports"] = [{"containerPort": "http"}]
    return found


def test_a_built_in_kind_checked_without_the_registry_finds_what_the_registry_finds(rendered, tmp_path, monkeypatch):
    """_builtin checks against the kind's schema with the definitions it reaches copied in; every
    rendered object, and each broken three ways, gets the same errors as through the registry of
    all definitions (and again from the kept copy)."""
    import jsonschema_rs

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("FKS_GITOPS_NO_CACHE", "0")
    version = schemas.bundled_version("1.31")
    docs = {(d["apiVersion"], d["kind"]): d for env in rendered.values() for d in env}
    checked = 0
    for (api_version, kind), doc in sorted(docs.items()):
        schema = schemas._builtin_schema(version, api_version, kind)
        if schema is None:
            continue
        by_registry = jsonschema_rs.validator_for(schema, registry=schemas._registry(version), offline=True)
        for standalone in (schemas._standalone(version, schema), schemas._standalone(version, schema)):
            assert standalone is not None and "$defs" in standalone
            validator = jsonschema_rs.validator_for(standalone, offline=True)
            for case in (doc, *_broken(doc)):
                assert _errors(validator, case) == _errors(by_registry, case), (kind, case)
        checked += 1
    assert checked >= 8 and len(list(tmp_path.glob("fks-gitops/schema-*.json"))) == checked
    assert _errors(schemas._builtin(version, "apps/v1", "Deployment"), _broken(docs[("apps/v1", "Deployment")])[2])
    for kept in tmp_path.glob("fks-gitops/schema-*.json"):  # damaged: the registry's way, the same errors
        kept.write_text(json.dumps({"$defs": {}, "$ref": "#/$defs/gone"}))
    schemas._builtin.cache_clear()
    broken = _broken(docs[("apps/v1", "Deployment")])[2]
    by_registry = jsonschema_rs.validator_for(schemas._builtin_schema(version, "apps/v1", "Deployment"),
                                              registry=schemas._registry(version), offline=True)
    assert _errors(schemas._builtin(version, "apps/v1", "Deployment"), broken) == _errors(by_registry, broken) != []


# --- our schemas themselves -------------------------------------------------


@pytest.mark.parametrize("path", OURS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_schema_file_name_matches_its_kind(path):
    schema = json.loads(path.read_text())
    group, version = schema["properties"]["apiVersion"]["const"].split("/")
    kind = schema["properties"]["kind"]["const"]
    assert path.relative_to(REPO / "schemas").as_posix() == f"{group}/{kind.lower()}_{version}.json"


def test_schemas_share_one_objectmeta():
    metas = {json.dumps(json.loads(p.read_text())["$defs"]["ObjectMeta"], sort_keys=True) for p in OURS}
    assert len(metas) == 1, "keep $defs.ObjectMeta identical in every file in schemas/"


def test_objects_that_set_status_are_rejected():
    [app] = load(VALID / "argocd.yaml")[1:2]
    app["status"] = {"sync": {"status": "Synced"}}
    assert messages(schemas.check([app], "1.31")) == [
        ("schemas.invalid", "error", "(root): additional property 'status' is not allowed", "/status")]


def test_sync_windows_and_namespace_metadata_are_checked_strictly(repo):
    project = load(repo / "argocd/projects/fks-trading.yaml")
    assert schemas.check(project, "1.31") == []
    project[0]["spec"]["syncWindows"][0]["timezone"] = "America/New_York"  # Argo CD spells it timeZone
    [app] = load(repo / "argocd/apps/prod.yaml")
    app["spec"]["syncPolicy"]["managedNamespaceMetadata"]["label"] = {}
    assert messages(schemas.check(project + [app], "1.31")) == [
        ("schemas.invalid", "error", "spec.syncWindows[0]: additional property 'timezone' is not allowed",
         "/spec/syncWindows/0/timezone"),
        ("schemas.invalid", "error", "spec.syncPolicy.managedNamespaceMetadata: additional property 'label' is not allowed",
         "/spec/syncPolicy/managedNamespaceMetadata/label")]


# --- cross-check against the upstream CRD schemas --------------------------

# Levels where upstream declares no fields, so ours cannot be compared: the catalog leaves
# ObjectMeta to the API server.
UNMODELLED_UPSTREAM = {"metadata"}
# Fields upstream requires that ours do not, with the reason.
NOT_REQUIRED = {}


def _resolve(node: dict, root: dict) -> dict:
    while "$ref" in node:
        node = root["$defs"][node["$ref"].removeprefix("#/$defs/")]
    return node


def _types(node: dict) -> set[str] | None:
    """The JSON types a node allows; None when it allows anything."""
    if "type" in node:
        types = node["type"] if isinstance(node["type"], list) else [node["type"]]
        return set(types) | ({"null"} if node.get("nullable") else set())
    branches = node.get("anyOf") or node.get("oneOf")
    if branches:
        return set().union(*(_types(b) or set() for b in branches))
    return None


def _compare(ours: dict, theirs: dict, at: str, root: dict, found: list[str]) -> None:
    """Append to `found` every way `ours` disagrees with `theirs` (both JSON schemas)."""
    ours, label = _resolve(ours, root), at or "(root)"
    mine, upstream = _types(ours), _types(theirs)
    if mine is not None and upstream is not None and not mine - {"null"} <= upstream - {"null"} <= mine:
        found.append(f"{label}: type {sorted(mine)} but upstream {sorted(upstream)}")
    if "null" in (mine or set()) - (upstream or {"null"}):
        found.append(f"{label}: allows null but upstream does not")
    if "properties" in ours:
        if "properties" not in theirs:
            if at not in UNMODELLED_UPSTREAM:
                found.append(f"{label}: upstream declares no fields here")
            return
        for name, sub in ours["properties"].items():
            here = f"{at}.{name}" if at else name
            if name not in theirs["properties"]:
                found.append(f"{here}: not in upstream")
            else:
                _compare(sub, theirs["properties"][name], here, root, found)
        missing = set(theirs.get("required", ())) - set(ours.get("required", ())) - NOT_REQUIRED.get(at, set())
        found.extend(f"{label}: upstream requires {name!r}" for name in sorted(missing))
    for key in ("items", "additionalProperties"):
        if isinstance(ours.get(key), dict) and isinstance(theirs.get(key), dict):
            _compare(ours[key], theirs[key], f"{at}[]" if key == "items" else f"{at}.*", root, found)


def test_cross_check_reports_every_kind_of_disagreement():
    theirs = {"type": "object", "required": ["a"], "properties": {
        "a": {"type": "string"}, "m": {"type": "object"}, "n": {"x-kubernetes-int-or-string": True,
                                                             "anyOf": [{"type": "integer"}, {"type": "string"}]},
        "l": {"type": "array", "items": {"type": "object", "properties": {"k": {"type": "string"}}}}}}
    ours = {"type": "object", "$defs": {"A": {"type": ["integer", "null"]}}, "properties": {
        "a": {"$ref": "#/$defs/A"}, "b": {"type": "string"}, "n": {"type": ["integer", "string"]},
        "m": {"type": "object", "properties": {"x": {"type": "string"}}},
        "l": {"type": "array", "items": {"type": "object", "properties": {"k": {"type": "boolean"}}}}}}
    found = []
    _compare(ours, theirs, "", ours, found)
    assert found == [
        "a: type ['integer', 'null'] but upstream ['string']",
        "a: allows null but upstream does not",
        "b: not in upstream",
        "m: upstream declares no fields here",
        "l[].k: type ['boolean'] but upstream ['string']",
        "(root): upstream requires 'a'",
    ]


def test_our_schemas_agree_with_upstream():
    if not UPSTREAM.is_dir():
        pytest.skip(f"no upstream CRD schemas at {UPSTREAM}; the cross-check needs ../shared/reference/crd-schemas")
    compared, found = 0, []
    for path in OURS:
        counterpart = UPSTREAM / path.relative_to(REPO / "schemas")
        if counterpart.is_file():
            ours, file_found = json.loads(path.read_text()), []
            _compare(ours, json.loads(counterpart.read_text()), "", ours, file_found)
            found += [f"{path.name}: {f}" for f in file_found]
            compared += 1
    assert compared >= 5
    assert found == []


# --- the repository itself ---------------------------------------------------


def test_the_repository_passes(config, rendered, repo):
    problems = []
    for env in config.environments:
        docs = rendered[env.name]
        assert isinstance(docs, list) and docs, f"{env.overlay} did not render: {docs}"
        problems += schemas.check(docs, env.kubernetes)
    for path in sorted(p for p in (repo / "argocd").rglob("*.yaml") if p.name != "kustomization.yaml"):
        problems += schemas.check(load(path), "1.31")
    problems += schemas.check(render.render(repo / "base" / "cluster"), "1.31")
    assert [str(p) for p in problems] == []
