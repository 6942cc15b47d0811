"""The Rego policies in policy/ on one rendered environment (policy.py runs them).

    problems = run(ctx)   # EnvContext
"""
from __future__ import annotations

from fks_gitops import policy
from fks_gitops.checks.context import ENVIRONMENT, EnvContext
from fks_gitops.problem import Problem

ID, SCOPE = "policies", ENVIRONMENT


def run(ctx: EnvContext) -> list[Problem]:
    return policy.check(ctx.docs, ctx.env.name, ctx.env.namespace, ctx.config.repo / "policy")
