"""Each SealedSecret was sealed with its environment's certificate, in a scope that fits where
it renders (seal.py --verify checks 1 and 2; seal/verify.py holds them).

    problems = run(ctx)   # EnvContext
"""
from __future__ import annotations

from fks_gitops.checks.context import ENVIRONMENT, EnvContext
from fks_gitops.problem import Problem
from fks_gitops.seal import verify

ID, SCOPE = "sealed-secrets", ENVIRONMENT


def run(ctx: EnvContext) -> list[Problem]:
    return verify.check_sealed(ctx.config.repo, ctx.env, ctx.docs)
