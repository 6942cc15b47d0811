"""The CEL check finds a custom resource's schema as the schema check does and reports each
broken rule at the object's field; the repository's own schemas carry no rules."""
from pathlib import Path

from fks_gitops.checks import api_cel
from fks_gitops.checks.context import EnvContext, Session
from fks_gitops.problem import ObjectRef, Problem

LOCATION = Path(__file__).parent / "fixtures" / "cel"
REPO_SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"


def pool(max_workers: int) -> dict:
    return {"apiVersion": "example.com/v1", "kind": "Pool", "metadata": {"name": "orders", "namespace": "shop"},
            "spec": {"minWorkers": 2, "maxWorkers": max_workers}}


def test_a_custom_resource_that_keeps_its_rules_passes():
    assert api_cel.check([pool(2)], "1.31", (LOCATION,), Session()) == []


def test_a_broken_rule_is_an_error_at_the_object_and_field():
    assert api_cel.check([pool(1)], "1.31", (LOCATION, REPO_SCHEMAS), Session()) == [
        Problem("api.cel", "error", "minWorkers must not exceed maxWorkers", object=ObjectRef("Pool", "orders", "shop"),
                pointer="/spec/minWorkers")]


def test_built_in_kinds_and_kinds_without_a_schema_are_left_to_the_schema_check():
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}, "spec": {}}
    other = {**pool(1), "apiVersion": "example.com/v2"}
    assert api_cel.check([service, other, {"kind": "Pool"}], "1.31", (LOCATION,), Session()) == []


def test_the_repository_renders_pass(config, rendered):
    for env in config.environments:
        assert api_cel.check(rendered[env.name], env.kubernetes, (REPO_SCHEMAS,), Session()) == []


def test_validate_runs_it_with_the_schema_locations_it_was_given(config):
    ctx = EnvContext(config, config.get("prod"), [pool(1), pool(3)], (LOCATION,))
    assert [(p.rule, p.message) for p in api_cel.run(ctx)] == [("api.cel", "minWorkers must not exceed maxWorkers")]
