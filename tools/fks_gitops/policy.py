"""Rego policies in policy/, checked against one input at a time: an environment's render,
the Argo CD manifests, or another folder an Application deploys (policy_inputs.py).

    problems = check(docs, "prod", "fks-trading", repo / "policy")
    problems = check(docs, "argocd", "argocd", repo / "policy", "argocd", {"AppProject/argocd/p": "argocd/p.yaml"})
    failures = run_tests(repo / "policy")      # the *_test.rego suites

Through `conftest` when it is on PATH, else through the embedded engine (rego.py); both see
the same input: conftest's --combine list of {"path", "contents"} and data.fks.environment.
"""
from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

from fks_gitops import rego
from fks_gitops.problem import Problem
from fks_gitops.proc import run
from fks_gitops.render import object_id

PARSE_RULE = "policy.invalid"
TEST_RULE = "policy.test"


def _data(env_name: str, namespace: str) -> dict:
    return {"fks": {"environment": {"name": env_name, "namespace": namespace}}}


def _problem(where: str, files: Mapping[str, str], rule: str, level: str, text: str) -> Problem:
    """A policy message "Kind/ns/name: what" -> Problem at that object, in its own file when known."""
    obj, sep, message = text.partition(": ")
    if not sep:
        return Problem(where, rule, level, text)
    return Problem(f"{files.get(obj, where)}: {obj}", rule, level, message)


def _invalid(error: rego.PolicyError) -> list[Problem]:
    return [Problem(error.where, PARSE_RULE, "error", error.detail)]


def check(docs: list[dict], env_name: str, namespace: str, policy_dir: Path,
          where: str | None = None, files: Mapping[str, str] | None = None) -> list[Problem]:
    """Problems the policies find in one input: an environment's rendered objects by default
    (reported at overlays/<env>), or any other set, reported at `where` or at the file that
    `files` names for an object id."""
    where, files = where or f"overlays/{env_name}", files or {}
    conftest = shutil.which("conftest")
    if conftest:
        return sorted(_conftest_check(conftest, docs, _data(env_name, namespace), policy_dir, where, files))
    try:
        bundle = rego.load(policy_dir)
        results = rego.evaluate(bundle, [{"path": object_id(d), "contents": d} for d in docs], _data(env_name, namespace))
    except rego.PolicyError as error:
        return _invalid(error)
    return sorted(_problem(where, files, r.rule_id, r.level, r.message) for r in results)


def run_tests(policy_dir: Path) -> list[Problem]:
    """One Problem per failing Rego test rule (`test_*` in a `*_test` package)."""
    conftest = shutil.which("conftest")
    if conftest:
        return _conftest_verify(conftest, policy_dir)
    try:
        failing = rego.failing_tests(rego.load(policy_dir, tests=True))
    except rego.PolicyError as error:
        return _invalid(error)
    return [Problem(file, TEST_RULE, "error", f"{name} {reason}") for file, name, reason in failing]


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
    return [Problem(policy_dir.name, PARSE_RULE, "error", f"conftest {what} failed: {detail}")]


def _conftest_check(conftest: str, docs: list[dict], data: dict, policy_dir: Path,
                    where: str, files: Mapping[str, str]) -> list[Problem]:
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
                problems.append(_problem(where, files, _conftest_rule(item, package), level, item.get("msg", "")))
    return problems


def _conftest_verify(conftest: str, policy_dir: Path) -> list[Problem]:
    proc = run([conftest, "verify", "--no-color", "--output", "json", "--policy", str(policy_dir)], check=False)
    results = _conftest_output(proc)
    if results is None:
        return _conftest_failure(proc, policy_dir, "verify")
    return [
        Problem(result.get("filename") or policy_dir.name, TEST_RULE, "error", f"{item.get('msg', '?')} failed")
        for result in results
        for item in result.get("failures") or []
    ]
