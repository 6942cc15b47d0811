"""The embedded Rego engine: OPA itself (PyPI opa-golib-python-bindings, the official Go library
behind a ctypes wrapper), evaluating policies the way `conftest test` does.

    bundle = load(Path("policy"))                     # parsed once per folder and change
    results = evaluate(bundle, documents, data)       # [Result(package, rule, message)], one query
    run = run_tests(load(Path("policy"), tests=True)) # TestRun(failing, coverage), OPA's test semantics

Rules named deny/violation/warn with an optional `_suffix` are checked; a package's
`exception` set drops a rule when one of its entries names the rule without its prefix,
as conftest does (docs/exceptions.md).
"""
from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from opa_bindings import OpaEngine, OpaError

from fks_gitops import rego_explain
from fks_gitops.errors import Refused
from fks_gitops.policy_engine import ENGINE  # noqa: F401 - rego.ENGINE: the embedded OPA
from fks_gitops.problem import Location

FAILURE = re.compile(r"^(deny|violation)(_[a-zA-Z0-9]+)*$")
WARNING = re.compile(r"^warn(_[a-zA-Z0-9]+)*$")
PREFIXES = ("violation_", "deny_", "warn_")
_WHERE = re.compile(r"(?P<file>[^\s:]+\.rego):(?P<line>\d+)(?::(?P<col>\d+))?: (?P<message>[^\n]+)")


class PolicyError(Refused):
    """A policy that does not parse or evaluate; `location` is the file (and line) when known."""

    def __init__(self, location: Location, message: str) -> None:
        super().__init__(f"{location}: {message}")
        self.location, self.detail = location, message


def _error(exc: OpaError, fallback: str) -> PolicyError:
    """OPA's "1 error occurred: policy/x.rego:8: rego_parse_error: ..." -> the file, line and message."""
    found = _WHERE.search(exc.message)
    if not found:
        return PolicyError(Location(fallback), exc.message.splitlines()[0] if exc.message else exc.code)
    line, col = found["line"], found["col"]
    return PolicyError(Location(found["file"], int(line), int(col) if col else None), found["message"].strip())


@dataclass(frozen=True)
class Bundle:
    engine: OpaEngine
    sources: dict[str, str]  # label -> Rego text
    rules: dict[str, tuple[str, ...]]  # package -> its deny/violation/warn rules
    exceptions: frozenset[str]  # packages that define `exception`
    tests: dict[str, tuple[tuple[str, str], ...]]  # package -> (file, test rule)


@dataclass(frozen=True)
class Result:
    package: str
    rule: str  # as named in the policy, e.g. deny_run_as_root
    message: str

    @property
    def level(self) -> str:
        return "error" if FAILURE.match(self.rule) else "warning"

    @property
    def rule_id(self) -> str:
        """`pod_security.run_as_root`: the package and the rule without its severity prefix."""
        return f"{self.package}.{suffix(self.rule)}"


@dataclass(frozen=True)
class TestRun:
    failing: list[tuple[str, str, str]]  # (file, data.package.test_rule, reason)
    coverage: float | None  # percent of the policies' lines the tests evaluate (OPA's cover tracer)


def suffix(rule: str) -> str:
    for prefix in PREFIXES:
        if rule.startswith(prefix):
            return rule[len(prefix):]
    return rule


def _rego_files(policy_dir: Path, tests: bool) -> list[Path]:
    if not policy_dir.is_dir():
        raise PolicyError(Location(str(policy_dir)), "policy folder not found")
    files = sorted(policy_dir.rglob("*.rego"))
    return files if tests else [f for f in files if not f.name.endswith("_test.rego")]


def engine_for(sources: dict[str, str]) -> OpaEngine:
    engine = OpaEngine()
    for label, text in sources.items():
        try:
            engine.add_policy(label, text)
        except OpaError as exc:
            raise _error(exc, label) from None
    return engine


_PACKAGE = re.compile(r"^package\s+([\w.]+)", re.MULTILINE)
# A rule head starts a line (opa fmt's layout): `deny_x contains msg if {`, `default allow := false`.
_HEAD = re.compile(r"^(?:default\s+)?([A-Za-z_]\w*)\b", re.MULTILINE)
_KEYWORDS = {"package", "import"}


def _heads(text: str) -> tuple[str, set[str]]:
    """(package, the names its rules define), read from the text OPA has just parsed: asking
    OPA for its AST (rego.parse_module) costs about 80 ms a run."""
    return _PACKAGE.search(text)[1], {name for name in _HEAD.findall(text) if name not in _KEYWORDS}


def _build(policy_dir: Path, files: list[Path]) -> Bundle:
    sources = {f"{policy_dir.name}/{p.relative_to(policy_dir).as_posix()}": p.read_text() for p in files}
    engine = engine_for(sources)
    rules: dict[str, set[str]] = {}
    tests: dict[str, set[tuple[str, str]]] = {}
    for label, text in sources.items():
        package, names = _heads(text)
        for name in names:
            rules.setdefault(package, set()).add(name)
            if name.startswith("test_"):  # OPA's test semantics: any package (todo_test_ rules are skipped)
                tests.setdefault(package, set()).add((label, name))
    return Bundle(
        engine=engine,
        sources=sources,
        rules={p: tuple(sorted(r for r in names if FAILURE.match(r) or WARNING.match(r))) for p, names in rules.items()},
        exceptions=frozenset(p for p, names in rules.items() if "exception" in names),
        tests={p: tuple(sorted(t)) for p, t in tests.items()},
    )


_lock = threading.Lock()
_bundles: dict[tuple, tuple] = {}  # (folder, tests) -> (file signature, Bundle): one engine per folder and process


def load(policy_dir: Path, tests: bool = False) -> Bundle:
    """The parsed policies of `policy_dir`, reparsed only when a file changed."""
    files = _rego_files(policy_dir, tests)
    key = (str(policy_dir.resolve()), tests)
    signature = tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files)
    with _lock:
        if key not in _bundles or _bundles[key][0] != signature:
            _bundles[key] = (signature, _build(policy_dir, files))
        return _bundles[key][1]


def _targets(bundle: Bundle) -> list[tuple[str, str]]:
    return [
        (package, rule)
        for package, rules in sorted(bundle.rules.items())
        if rules
        for rule in (*rules, *(["exception"] if package in bundle.exceptions else []))
    ]


def _query(refs: dict[str, str], data_keys: tuple[str, ...] = ()) -> str:
    """`x := {key: [v | v := ref], ...}`: an undefined ref is [], not the whole answer. With
    `data_keys`, the input is {"documents", "data"}, so every environment asks the same query
    (OPA prepares it once): `... with data.k as input.data.k with input as input.documents`."""
    withs = "".join(f" with data.{k} as input.data.{k}" for k in data_keys)
    withs += " with input as input.documents" if data_keys else ""
    return "x := {" + ", ".join(f"{json.dumps(k)}: [v | v := {ref}]" for k, ref in refs.items()) + "}" + withs


def _values(bundle: Bundle, documents: list, data: dict) -> dict[tuple[str, str], list]:
    """Every target's value in one query, so helpers shared by rules are computed once."""
    refs = {f"{p}|{r}": f"data.{p}.{r}" for p, r in _targets(bundle)}
    try:
        rows = bundle.engine.eval_query(_query(refs, tuple(sorted(data))), {"documents": documents, "data": data})
    except OpaError as exc:
        raise _error(exc, "policy") from None
    answer = rows[0]["x"] if rows else {}
    return {tuple(key.split("|", 1)): value[0] for key, value in answer.items() if value and isinstance(value[0], list)}


def _excepted(values: dict[tuple[str, str], list], package: str) -> set[str]:
    """The rule suffixes a package's exception set names (conftest: exception[_][_] == suffix)."""
    return {n for names in values.get((package, "exception"), []) if isinstance(names, list) for n in names}


def evaluate(bundle: Bundle, documents: list[dict], data: dict) -> list[Result]:
    """Every deny/violation/warn message for `documents` (conftest's --combine input), exceptions applied."""
    values = _values(bundle, json.loads(json.dumps(documents, default=str)), data)
    results = []
    for (package, rule), messages in sorted(values.items()):
        if rule == "exception" or suffix(rule) in _excepted(values, package):
            continue
        for item in messages:
            message = item.get("msg", json.dumps(item)) if isinstance(item, dict) else str(item)
            results.append(Result(package, rule, message))
    return results


def _policy_coverage(report: dict | None) -> float | None:
    files = [f for label, f in ((report or {}).get("files") or {}).items() if not label.endswith("_test.rego")]
    lines = sum(f.get("covered_lines", 0) + f.get("not_covered_lines", 0) for f in files)
    return 100 * sum(f.get("covered_lines", 0) for f in files) / lines if lines else None


def run_tests(bundle: Bundle) -> TestRun:
    """Every test_* rule in one query with OPA's cover tracer; a test passes when it is true.
    A query that errors is asked again one test at a time, to say whose error it is."""
    tests = [(label, f"data.{package}.{rule}") for package, found in sorted(bundle.tests.items()) for label, rule in found]
    try:
        rows = bundle.engine.eval_query(_query({name: name for _, name in tests}), coverage=True)
        verdicts, coverage = rows[0]["x"], _policy_coverage(bundle.engine.last_coverage)
    except OpaError:
        verdicts, coverage = {name: _alone(bundle.engine, name) for _, name in tests}, None
    failing = []
    for label, name in tests:
        verdict = verdicts.get(name)
        if verdict != [True]:
            reason = verdict if isinstance(verdict, str) else _why_failed(bundle, label, name)
            failing.append((label, name, reason))
    return TestRun(failing, coverage)


def _alone(engine: OpaEngine, name: str) -> list | str:
    try:
        return engine.eval_query(_query({name: name}))[0]["x"][name]
    except OpaError as exc:
        return f"error: {_error(exc, name).detail}"


def _why_failed(bundle: Bundle, label: str, name: str) -> str:
    """"failed: data.x.deny_y is {...}, expected {...}" when the test's shape is known (rego_explain.py)."""
    why = rego_explain.explain(bundle.sources, label, name.rpartition(".")[2], engine_for)
    return f"failed: {why}" if why else "failed"
