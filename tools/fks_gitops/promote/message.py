"""The promotion commit message: what promote writes and what history and the audit read back.

    commit_message("promote", "prod", changes, "staging@<sha>", break_glass=None)
    # promote(prod): fks-execution 1.4.2 -> 1.4.3 ... Promoted-From: staging@<sha> / Image: <ref> / Soak: 26h
    # / Verified: staging/no-critical-alerts (empty) / ...
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from fks_gitops.promote.durations import hours

if TYPE_CHECKING:
    from fks_gitops.promote.plan import Change


def commit_message(kind: str, env: str, changes: Sequence[Change], source: str | None, break_glass: str | None,
                   downgrades: Sequence[Change] = (), verified: Sequence[tuple[str, str]] = ()) -> str:
    """Subject, one body line per image, trailers last; `downgrades`: what --allow-downgrade let
    through; `verified`: the verification's (key, value) trailers (verify.trailers)."""
    pairs = ", ".join(f"{c.new.component} {c.old.short_version} -> {c.new.short_version}" for c in changes)
    subject = f"{kind}({env}): {pairs}"
    if len(subject) > 72:
        subject = f"{kind}({env}): {len(changes)} image{'s' if len(changes) > 1 else ''}"
    body = "\n".join(f"- {c.new.name}: {c.old.version} -> {c.new.version}" for c in changes)
    trailers = [f"Promoted-From: {source}"] if source else []
    trailers += [f"Image: {c.new.ref}" for c in changes]
    sessions = [c.sessions for c in changes if c.sessions is not None]
    soaks = [c.soaked for c in changes if c.soaked is not None]
    if sessions:
        trailers.append(f"Soak: {min(sessions)} session{'' if min(sessions) == 1 else 's'}")
    elif soaks:
        trailers.append(f"Soak: {hours(min(soaks))}")
    trailers += [f"{key}: {' '.join(value.split())}" for key, value in verified]
    if break_glass:
        trailers.append(f"Break-Glass: {' '.join(break_glass.split())}")
    trailers += [f"Allow-Downgrade: {c.new.component} {c.old.version} -> {c.new.version}" for c in downgrades]
    if kind == "rollback":
        trailers += [f"Rollback: {c.new.component} {c.old.version} -> {c.new.version}" for c in changes]
    return f"{subject}\n\n{body}\n\n" + "\n".join(trailers) + "\n"
