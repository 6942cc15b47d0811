"""Every Secret and key a pod or ingress reads exists, as a Secret or a SealedSecret (seal.py
--verify check 3; the other references are references.py's).

    problems = run(ctx)   # EnvContext
"""
from __future__ import annotations

from fks_gitops.checks import references
from fks_gitops.checks.context import ENVIRONMENT, EnvContext
from fks_gitops.problem import Problem

ID, SCOPE = "secret-references", ENVIRONMENT


def run(ctx: EnvContext) -> list[Problem]:
    return references.check_secrets(ctx.docs)
