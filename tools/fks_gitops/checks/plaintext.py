"""No file git tracks (or one `git add` away) holds a plaintext Secret, a private key or a
dotenv with values (seal.py --verify check 4; seal/plaintext.py holds the scan), and detect-secrets
finds no secret in those files or in any commit since audit.since (seal/leaks.py) that
`.secrets.baseline` does not list.

    problems = run(ctx)   # RepoContext
"""
from __future__ import annotations

from fks_gitops.checks.context import FILES, RepoContext
from fks_gitops.errors import GitOpsError
from fks_gitops.problem import Problem, in_file
from fks_gitops.seal import plaintext

ID, SCOPE = "plaintext-secrets", FILES


def run(ctx: RepoContext) -> list[Problem]:
    from fks_gitops import envcache  # noqa: PLC0415 - envcache imports the render machinery
    from fks_gitops.seal import detect, leaks  # noqa: PLC0415 - detect-secrets loads only for this check

    repo, files, contents = ctx.config.repo, ctx.files(), envcache.contents(ctx)
    problems = plaintext.check_plaintext(repo, files, contents)
    try:
        scanner = ctx.session.once("detect-secrets", lambda: detect.Scanner.load(repo))
    except GitOpsError as exc:
        return [*problems, in_file(detect.BASELINE, "secrets.baseline", "error", str(exc).partition(": ")[2])]
    with scanner.active():
        found, tree = leaks.in_files(scanner, repo, files, {(p.location.file, p.location.line) for p in problems}, contents)
        history = leaks.in_history(scanner, ctx.git, ctx.config.audit_since, tree)
    return [*problems, *found, *history]
