"""No file git tracks (or one `git add` away) holds a plaintext Secret, a private key or a
dotenv with values (seal.py --verify check 4; seal/verify.py holds the scan).

    problems = run(ctx)   # RepoContext
"""
from __future__ import annotations

from fks_gitops.checks.context import FILES, RepoContext
from fks_gitops.problem import Problem
from fks_gitops.seal import verify

ID, SCOPE = "plaintext-secrets", FILES


def run(ctx: RepoContext) -> list[Problem]:
    return verify.check_plaintext(ctx.config.repo, ctx.files())
