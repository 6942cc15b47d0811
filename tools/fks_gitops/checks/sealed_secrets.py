"""Each SealedSecret was sealed with its environment's certificate, in a scope that fits where
it renders and that environments.yaml allows, with no copied ciphertext, and is declared in
secrets.template.yaml (seal.py --verify checks 1 and 2; seal/verify.py holds them).

    problems = run(ctx)   # EnvContext
"""
from __future__ import annotations

from fks_gitops.checks.context import ENVIRONMENT, EnvContext
from fks_gitops.problem import Problem
from fks_gitops.seal import template

ID, SCOPE = "sealed-secrets", ENVIRONMENT


def run(ctx: EnvContext) -> list[Problem]:
    from fks_gitops.seal import verify  # noqa: PLC0415 - cryptography and ruamel.yaml load only for this check

    repo = ctx.config.repo
    declared = ctx.session.once(("secrets template", repo), lambda: template.load(repo))
    return verify.check_sealed(repo, ctx.env, ctx.docs, declared)
