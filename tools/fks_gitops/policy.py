"""Rego policies in policy/, checked against one input at a time: an environment's render,
the Argo CD manifests, or another folder an Application deploys (policy_inputs.py).

    problems = check(docs, "prod", "fks-trading", repo / "policy")
    problems = check(docs, "argocd", "argocd", repo / "policy", {"AppProject/argocd/p": Location("argocd/p.yaml", 1)})
    failures = run_tests(repo / "policy")      # the *_test.rego suites
    failures, coverage = test_run(repo / "policy")  # and the policies' line coverage (percent)
    engine()                                   # "OPA v1.20.2", or conftest's own versions

A policy message "Kind/namespace/name: what" names an object of the input: the problem gets
that object and the text after the prefix.

Through `conftest` when it is on PATH, else through OPA embedded (rego.py); both see the same
input: conftest's --combine list of {"path", "contents"} and data.fks.environment.
"""
from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from fks_gitops import policy_pointer, problem, rego
from fks_gitops.policy_engine import engine  # noqa: F401 - policy.engine(), as callers know it
from fks_gitops.problem import Location, ObjectRef, Problem
from fks_gitops.proc import run
from fks_gitops.render import object_id

PARSE_RULE = "policy.invalid"
TEST_RULE = "policy.test"


def _data(env_name: str, namespace: str) -> dict:
    return {"fks": {"environment": {"name": env_name, "namespace": namespace}}}


@dataclass(frozen=True)
class _Input:
    objects: dict[str, dict]  # object id -> document
    files: Mapping[str, Location]  # object id -> where it is written, when it is not rendered
    fallback: Location | None  # for a message that names no object of the input

    def problem(self, rule: str, level: str, text: str) -> Problem:
        obj, sep, message = text.partition(": ")
        doc = self.objects.get(obj) if sep else None
        if doc is None:
            return Problem(rule, level, text, location=self.fallback)
        return Problem(rule, level, message, location=self.files.get(obj, self.fallback), object=ObjectRef.of(doc),
                       pointer=policy_pointer.find(doc, message))


def _order(p: Problem) -> tuple:
    loc, obj = p.location or Location(""), p.object
    where = (loc.file, loc.line or 0, loc.col or 0)
    return (where, (obj.kind, obj.namespace or "", obj.name) if obj else (), p.rule, p.level, p.message)


def _invalid(error: rego.PolicyError) -> list[Problem]:
    return [Problem(PARSE_RULE, "error", error.detail, location=error.location)]


def check(docs: list[dict], env_name: str, namespace: str, policy_dir: Path,
          files: Mapping[str, Location] | None = None, fallback: Location | None = None) -> list[Problem]:
    """Problems the policies find in one input. An environment's render by default: problems
    name their object and validate finds the line (or, without an object, places it at the
    overlay). Any other input: at the Location `files` gives for an object id, else `fallback`."""
    found = _Input({object_id(d): d for d in docs}, files or {}, fallback)
    conftest = shutil.which("conftest")
    if conftest:
        return sorted(_conftest_check(conftest, docs, _data(env_name, namespace), policy_dir, found), key=_order)
    try:
        bundle = rego.load(policy_dir)
        results = rego.evaluate(bundle, [{"path": object_id(d), "contents": d} for d in docs], _data(env_name, namespace))
    except rego.PolicyError as error:
        return _invalid(error)
    return sorted((found.problem(r.rule_id, r.level, r.message) for r in results), key=_order)


def warm_up(policy_dir: Path, env_name: str, namespace: str) -> None:
    """Load OPA and compile the policies and the query (about 0.15 s the first time in a
    process), so that `check` finds them ready; validate runs it while kustomize renders."""
    if not shutil.which("conftest"):
        rego.evaluate(rego.load(policy_dir), [], _data(env_name, namespace))


def _test_failed(file: Path, label: str, name: str, reason: str) -> Problem:
    """At the test rule's first line in `file` (shown as `label`), when it is found there."""
    rule = re.compile(rf"{re.escape(name.rpartition('.')[2])}\b")
    try:
        lines = file.read_text().splitlines()
    except OSError:
        lines = []
    line = next((i for i, text in enumerate(lines, 1) if rule.match(text)), None)
    return problem.in_file(label, TEST_RULE, "error", f"{name} {reason}", line, 1 if line else None)


def run_tests(policy_dir: Path) -> list[Problem]:
    """One Problem per failing Rego test rule (`test_*`, OPA's test semantics)."""
    return test_run(policy_dir)[0]


def test_run(policy_dir: Path) -> tuple[list[Problem], float | None]:
    """The failing test rules, and the share of the policies' lines the tests evaluate (None
    through conftest, whose verify reports no coverage)."""
    conftest = shutil.which("conftest")
    if conftest:
        return _conftest_verify(conftest, policy_dir), None
    try:
        run = rego.run_tests(rego.load(policy_dir, tests=True))
    except rego.PolicyError as error:
        return _invalid(error), None
    # Labels are policy_dir's name and the file below it (rego.py).
    return [_test_failed(policy_dir.parent / file, file, name, reason) for file, name, reason in run.failing], run.coverage


# conftest --------------------------------------------------------------------------------


def _file_names(docs: list[dict]) -> list[str]:
    """<Kind>_<namespace>_<name>.yaml per document, unique even if an id repeats."""
    names, seen = [], set()
    for doc in docs:
        base = object_id(doc).replace("/", "_").replace(":", "_")
        name, n = f"{base}.yaml", 1
        while name in seen:
            n += 1
            name = f"{base}.{n}.yaml"
        seen.add(name)
        names.append(name)
    return names


def _conftest_rule(result: dict, namespace: str) -> str:
    """conftest names the rule in metadata.query ("data.pod_security.deny_run_as_root")."""
    query = str((result.get("metadata") or {}).get("query", ""))
    package, _, rule = query.removeprefix("data.").rpartition(".")
    return f"{package}.{rego.suffix(rule)}" if package else f"{namespace}.unknown"


def _conftest_output(proc) -> list | None:
    """conftest exits 1 when policies fail; anything else, or no JSON, is its own failure."""
    if proc.returncode in (0, 1):
        try:
            results = json.loads(proc.stdout)
            return results if isinstance(results, list) else None
        except json.JSONDecodeError:
            pass
    return None


def _conftest_failure(proc, policy_dir: Path, what: str) -> list[Problem]:
    lines = [ln for ln in (proc.stderr or proc.stdout).splitlines() if ln.strip()]
    detail = lines[0].strip() if lines else f"exit {proc.returncode}"
    return [problem.in_file(policy_dir.name, PARSE_RULE, "error", f"conftest {what} failed: {detail}")]


def _conftest_check(conftest: str, docs: list[dict], data: dict, policy_dir: Path, found: _Input) -> list[Problem]:
    with tempfile.TemporaryDirectory(prefix="fks-policy-") as tmp:
        folder = Path(tmp)
        data_file = folder / "data.json"
        data_file.write_text(json.dumps(data))
        (folder / "objects").mkdir()
        paths = []
        for name, doc in zip(_file_names(docs), docs):
            paths.append(folder / "objects" / name)
            paths[-1].write_text(json.dumps(doc, default=str))  # JSON is YAML; faster to write
        argv = [conftest, "test", "--combine", "--all-namespaces", "--no-color", "--output", "json",
                "--policy", str(policy_dir), "--data", str(data_file), *map(str, paths)]
        proc = run(argv, check=False)
    results = _conftest_output(proc)
    if results is None:
        return _conftest_failure(proc, policy_dir, "test")
    problems = []
    for result in results:
        package = result.get("namespace", "main")
        for level, key in (("error", "failures"), ("warning", "warnings")):
            for item in result.get(key) or []:
                problems.append(found.problem(_conftest_rule(item, package), level, item.get("msg", "")))
    return problems


def _conftest_verify(conftest: str, policy_dir: Path) -> list[Problem]:
    proc = run([conftest, "verify", "--no-color", "--output", "json", "--policy", str(policy_dir)], check=False)
    results = _conftest_output(proc)
    if results is None:
        return _conftest_failure(proc, policy_dir, "verify")
    return [
        _test_failed(policy_dir.parent / file, file, item.get("msg", "?"), "failed")
        for result in results
        for file in [result.get("filename") or policy_dir.name]
        for item in result.get("failures") or []
    ]
