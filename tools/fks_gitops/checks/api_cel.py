"""Custom resources against the CEL validation rules of their schemas (rule api.cel; cel_rules.py
says what is evaluated and what is not).

    problems = check(docs, "1.31", (Path("schemas"),), Session())
    # [Problem("api.cel", "error", "maxReplicas must not be below minReplicas", pointer="/spec", ...)]

Schemas are found as schemas.py finds them, once per kind and run; a schema without rules costs
nothing more.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from fks_gitops import problem
from fks_gitops.checks import schemas
from fks_gitops.checks.context import ENVIRONMENT, EnvContext, Session
from fks_gitops.problem import Problem

if TYPE_CHECKING:
    from fks_gitops.cel_rules import Rules


def check(docs: list[dict], kubernetes: str, locations: tuple[Path, ...], session: Session) -> list[Problem]:
    version = schemas.bundled_version(kubernetes)
    problems = []
    for doc in docs:
        api_version, kind = doc.get("apiVersion"), doc.get("kind")
        if not (isinstance(api_version, str) and isinstance(kind, str)):
            continue  # the schema check reports it
        rules = session.once(("cel", version, locations, api_version, kind),
                             lambda: _rules(version, locations, api_version, kind))
        if rules is not None:
            problems += [problem.at(doc, "api.cel", level, message, pointer=at)
                         for level, message, at in rules.check(schemas.jsonable(doc))]
    return problems


def _rules(version: str, locations: tuple[Path, ...], api_version: str, kind: str) -> Rules | None:
    from fks_gitops.cel_rules import Rules  # noqa: PLC0415 - celpy loads only when a schema has rules

    path = schemas.custom_schema(version, locations, api_version, kind)
    return Rules.load(path) if path else None


ID, SCOPE = "api-cel", ENVIRONMENT


def run(ctx: EnvContext) -> list[Problem]:
    locations = (*ctx.schema_locations, ctx.config.repo / "schemas")
    return check(ctx.docs, ctx.env.kubernetes, locations, ctx.session)
