"""CEL validation rules of a custom resource's schema, evaluated where they sit
(tests/fixtures/cel/example.com/pool_v1.json, written from the CRD validation-rules docs)."""
import copy
from pathlib import Path

import pytest

from fks_gitops.cel_rules import Rules

SCHEMA = Path(__file__).parent / "fixtures" / "cel" / "example.com" / "pool_v1.json"
POOL = {
    "apiVersion": "example.com/v1", "kind": "Pool", "metadata": {"name": "orders"},
    "spec": {"minWorkers": 1, "maxWorkers": 3, "mode": "paper", "endpoints": [{"name": "a", "port": 8080}],
             "tags": {"team": "trading"}, "weights": {"primary": 2}},
}


@pytest.fixture(scope="module")
def rules() -> Rules:
    return Rules.load(SCHEMA)


def pool(**spec) -> dict:
    doc = copy.deepcopy(POOL)
    doc["spec"].update(spec)
    return doc


def test_a_valid_object_passes_every_rule_and_the_transition_rule_is_skipped(rules):
    assert rules.check(POOL) == []


def test_a_schema_without_rules_loads_as_none(tmp_path):
    (tmp_path / "plain.json").write_text('{"type": "object"}')
    assert Rules.load(tmp_path / "plain.json") is None


@pytest.mark.parametrize(("doc", "expected"), [
    ({**POOL, "metadata": {"name": "orders-and-fills-and-more"}}, ("error", "name must be at most 20 characters", "")),
    (pool(minWorkers=5), ("error", "minWorkers must not exceed maxWorkers", "/spec/minWorkers")),  # at its fieldPath
    (pool(mode="demo"), ("error", "failed rule: self in ['paper', 'live']", "/spec/mode")),  # no message: the rule
    (pool(endpoints=[{"name": "a", "port": 8080}, {"name": "b", "port": 0}]),
     ("error", "port must be 1 to 65535", "/spec/endpoints/1")),  # each item, through a $ref
    (pool(tags={"team": "trading", "owner": "-ops"}), ("error", "a tag may not start with '-'", "/spec/tags/owner")),
    (pool(weights={"secondary": 1}),
     ("error", "rule 'self.primary > 0' could not be evaluated: no such member in mapping: 'primary'", "/spec/weights")),
    (pool(shards=["b", "a"]), ("warning", "rule 'self.isSorted()' not checked: cel-python has no 'isSorted'", "/spec/shards")),
])
def test_each_broken_rule_is_reported_at_its_value(rules, doc, expected):
    assert rules.check(doc) == [expected]


def test_an_absent_or_null_field_runs_no_rule(rules):
    assert rules.check(pool(mode=None, endpoints=None)) == []
    doc = pool()
    del doc["spec"]["mode"]
    assert rules.check(doc) == []


def test_a_rule_that_does_not_compile_or_gives_no_bool_is_an_error(tmp_path):
    (tmp_path / "bad.json").write_text('{"x-kubernetes-validations": [{"rule": "self.a +"}, {"rule": "self.a"}]}')
    assert Rules.load(tmp_path / "bad.json").check({"a": 1}) == [
        ("error", "rule 'self.a +' does not compile (column 8)", ""),
        ("error", "rule 'self.a' gives IntType, not a bool", ""),
    ]
