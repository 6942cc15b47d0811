"""The policy engine's verdicts are unchanged: the problems found on every input tests/test_policy.py
breaks on purpose, and the test verdicts of the suites, against a fixture captured with the engine
before OPA (regorus 0.13, by gordon-to-regorus).

    python tests/test_policy_findings.py > tests/fixtures/policy_findings.json   # re-capture

Policies added since the capture are left out of the comparison (their packages are not in the
fixture), so a new policy needs no new capture. A policy that does not parse is compared by its
file and line: the wording of a parse error is the engine's own.
"""
from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))

from fks_gitops import policy  # noqa: E402
from test_policy import COMPLIANT, DEV, FIXTURES, POLICY, PROD, VIOLATIONS, no_conftest  # noqa: E402,F401

FIXTURE = FIXTURES / "policy_findings.json"


def _shown(problems) -> list[list]:
    return [[p.rule, p.level, p.message, str(p.location) if p.location else None,
             str(p.object) if p.object else None, p.pointer] for p in problems]


def findings() -> dict:
    """Case -> problems, for every input the fixture covers."""
    cases = {"compliant dev": (COMPLIANT, DEV, POLICY), "compliant prod": (COMPLIANT, PROD, POLICY)}
    for rule, mutate, env, _ in VIOLATIONS:
        docs = copy.deepcopy(COMPLIANT)
        mutate(docs)
        cases[rule] = (docs, env, POLICY)
    for env in (DEV, PROD):
        cases[f"exceptions {env[0]}"] = (COMPLIANT, env, FIXTURES / "policy_exception")
    cases["invalid"] = (COMPLIANT, DEV, FIXTURES / "policy_invalid")
    found = {name: _shown(policy.check(docs, *env, folder)) for name, (docs, env, folder) in cases.items()}
    for folder in (POLICY, FIXTURES / "policy_failing_test", FIXTURES / "policy_invalid"):
        found[f"tests {folder.name}"] = _shown(policy.run_tests(folder))
    return found


def _packages(found: dict) -> set[str]:
    return {p[0].partition(".")[0] for problems in found.values() for p in problems}


def _comparable(p: list) -> list:
    rule, level, _, where, obj, pointer = p
    return [rule, level, None, ":".join(where.split(":")[:2]), obj, pointer] if rule == policy.PARSE_RULE else p


def test_the_findings_are_those_of_the_engine_before():
    before = {case: list(map(_comparable, problems)) for case, problems in json.loads(FIXTURE.read_text()).items()}
    known = _packages(before)
    now = {case: [_comparable(p) for p in problems if p[0].partition(".")[0] in known]
           for case, problems in findings().items()}
    assert now == before


if __name__ == "__main__":
    print(json.dumps(findings(), indent=1))
