"""The embedded Rego engine (regorus), evaluating policies the way `conftest test` does.

    bundle = load(Path("policy"))                     # parsed once per folder and thread
    results = evaluate(bundle, documents, data)       # [Result(package, rule, message)]
    failing = failing_tests(load(Path("policy"), tests=True))

Rules named deny/violation/warn with an optional `_suffix` are checked; a package's
`exception` set drops a rule when one of its entries names the rule without its prefix,
as conftest does (docs/exceptions.md).
"""
from __future__ import annotations

import json
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from fks_gitops import rego_explain
from fks_gitops.errors import Refused
from fks_gitops.problem import Location

# The engine panics with a Rust backtrace on stderr unless told otherwise.
os.environ["RUST_BACKTRACE"] = "0"
import regorus  # noqa: E402

FAILURE = re.compile(r"^(deny|violation)(_[a-zA-Z0-9]+)*$")
WARNING = re.compile(r"^warn(_[a-zA-Z0-9]+)*$")
PREFIXES = ("violation_", "deny_", "warn_")


class PolicyError(Refused):
    """A policy that does not parse or evaluate; `location` is the file (and line) when known."""

    def __init__(self, location: Location, message: str) -> None:
        super().__init__(f"{location}: {message}")
        self.location, self.detail = location, message


_WHERE = re.compile(r"^(?P<file>.+?)(?::(?P<line>\d+)(?::(?P<col>\d+))?)?$")


def _location(where: str) -> Location:
    """regorus' "policy/x.rego:12:5" -> Location("policy/x.rego", 12, 5)."""
    match = _WHERE.match(where)
    line, col = match.group("line"), match.group("col")
    return Location(match.group("file"), int(line) if line else None, int(col) if col else None)


@dataclass(frozen=True)
class Bundle:
    engine: regorus.Engine
    rules: dict[str, tuple[str, ...]]  # package -> its deny/violation/warn rules
    exceptions: frozenset[str]  # packages that define `exception`
    tests: dict[str, tuple[tuple[str, str], ...]]  # *_test package -> (file, test rule)


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


def _engine_failure(exc: BaseException) -> bool:
    """regorus raises RuntimeError, or pyo3's PanicException, which is not an Exception."""
    return isinstance(exc, Exception) or type(exc).__name__ == "PanicException"


def _engine_error(exc: BaseException, fallback: str) -> tuple[Location, str]:
    """regorus' multi-line message -> (its ` --> file:line:col`, the `error:` line)."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    where = next((ln[3:].strip() for ln in lines if ln.startswith("-->")), fallback)
    message = next((ln for ln in lines if ln.startswith("error:")), lines[0] if lines else type(exc).__name__)
    return _location(where), message.removeprefix("error:").strip()


def _head_name(rule: dict) -> str | None:
    """The name a rule defines, from regorus' AST (`x.y contains ...` defines x)."""
    kind, node = next(iter(rule.items()))
    ref = node.get("refr") if kind == "Default" else next(iter(node["head"].values())).get("refr")
    while isinstance(ref, dict) and "Var" not in ref:
        ref = next(iter(ref.values())).get("refr")
    return ref["Var"]["value"] if isinstance(ref, dict) else None


def _build(policy_dir: Path, files: list[Path]) -> Bundle:
    engine = regorus.Engine()
    packages: dict[str, str] = {}
    for path in files:
        label = f"{policy_dir.name}/{path.relative_to(policy_dir).as_posix()}"
        try:
            packages[label] = engine.add_policy(label, path.read_text()).removeprefix("data.")
        except BaseException as exc:
            if not _engine_failure(exc):
                raise
            raise PolicyError(*_engine_error(exc, label)) from None
    rules: dict[str, set[str]] = {}
    tests: dict[str, set[tuple[str, str]]] = {}
    for module in json.loads(engine.get_ast_as_json()):
        label, package = module["source"]["file"], packages[module["source"]["file"]]
        for name in filter(None, map(_head_name, module["ast"]["rules"])):
            rules.setdefault(package, set()).add(name)
            if package.endswith("_test") and name.startswith("test_"):
                tests.setdefault(package, set()).add((label, name))
    return Bundle(
        engine=engine,
        rules={p: tuple(sorted(r for r in names if FAILURE.match(r) or WARNING.match(r))) for p, names in rules.items()},
        exceptions=frozenset(p for p, names in rules.items() if "exception" in names),
        tests={p: tuple(sorted(t)) for p, t in tests.items()},
    )


# regorus engines may only be used on the thread that made them, so the cache is per thread.
_cache = threading.local()


def load(policy_dir: Path, tests: bool = False) -> Bundle:
    """The parsed policies of `policy_dir`, reparsed only when a file changed."""
    files = _rego_files(policy_dir, tests)
    key = (str(policy_dir.resolve()), tests)
    signature = tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files)
    bundles = _cache.__dict__.setdefault("bundles", {})
    if key not in bundles or bundles[key][0] != signature:
        bundles[key] = (signature, _build(policy_dir, files))
    return bundles[key][1]


def _targets(bundle: Bundle) -> list[tuple[str, str]]:
    return [
        (package, rule)
        for package, rules in sorted(bundle.rules.items())
        if rules
        for rule in (*rules, *(["exception"] if package in bundle.exceptions else []))
    ]


def _values(engine: regorus.Engine, targets: list[tuple[str, str]]) -> dict[tuple[str, str], list]:
    """Every target's value in one query, so helpers shared by rules are computed once.

    An undefined target would make the whole object undefined; then each is asked alone."""
    query = "{" + ",\n".join(f'"{p}|{r}": data.{p}.{r}' for p, r in targets) + "}"
    answer = json.loads(engine.eval_query_as_json(query))
    if answer.get("result"):
        rows = answer["result"][0]["expressions"][0]["value"]
        return {tuple(key.split("|", 1)): value for key, value in rows.items()}
    values = {}
    for package, rule in targets:
        value = json.loads(engine.eval_rule_as_json(f"data.{package}.{rule}"))
        if isinstance(value, list):
            values[(package, rule)] = value
    return values


def _excepted(values: dict[tuple[str, str], list], package: str) -> set[str]:
    """The rule suffixes a package's exception set names (conftest: exception[_][_] == suffix)."""
    return {n for names in values.get((package, "exception"), []) if isinstance(names, list) for n in names}


def evaluate(bundle: Bundle, documents: list[dict], data: dict) -> list[Result]:
    """Every deny/violation/warn message for `documents` (conftest's --combine input), exceptions applied."""
    engine = bundle.engine.clone()
    engine.add_data(data)
    engine.set_input_json(json.dumps(documents, default=str))
    try:
        values = _values(engine, _targets(bundle))
    except BaseException as exc:
        if not _engine_failure(exc):
            raise
        raise PolicyError(*_engine_error(exc, "policy")) from None
    results = []
    for (package, rule), messages in sorted(values.items()):
        if rule == "exception" or suffix(rule) in _excepted(values, package):
            continue
        for item in messages:
            message = item.get("msg", json.dumps(item)) if isinstance(item, dict) else str(item)
            results.append(Result(package, rule, message))
    return results


def failing_tests(bundle: Bundle) -> list[tuple[str, str, str]]:
    """(file, data.package.test_rule, reason) for every test rule that is not true."""
    failing = []
    for package, tests in sorted(bundle.tests.items()):
        for label, rule in tests:
            name = f"data.{package}.{rule}"
            try:
                passed = bundle.engine.eval_rule(name) is True
                reason = "" if passed else _why_failed(bundle.engine, label, rule)
            except BaseException as exc:
                if not _engine_failure(exc):
                    raise
                passed, reason = False, "error: " + _engine_error(exc, label)[1]
            if not passed:
                failing.append((label, name, reason))
    return failing


def _why_failed(engine: regorus.Engine, label: str, rule: str) -> str:
    """"failed: data.x.deny_y is {...}, expected {...}" when the test's shape is known (rego_explain.py)."""
    module = next(m for m in json.loads(engine.get_ast_as_json()) if m["source"]["file"] == label)
    for node in module["ast"]["rules"]:
        if _head_name(node) == rule:
            try:
                why = rego_explain.explain(engine, module, node)
            except BaseException as exc:
                if not _engine_failure(exc):
                    raise
                why = None  # the probe itself failed: the plain verdict still stands
            return f"failed: {why}" if why else "failed"
    return "failed"
