"""validate --diff for a terminal: per environment, one line per object, then its unified diff.

    print(text(diff, report_lines))

    == prod: 2 objects differ from origin/main (abc1234): 0 added, 0 removed, 2 changed ==
    ~ ConfigMap/fks-trading/fks-execution-config: changed data.TRADING_MODE [trading-mode] TRADING_MODE live -> paper
"""
from __future__ import annotations

from collections import Counter

from fks_gitops.diff.compare import ADDED, REMOVED, ObjectChange
from fks_gitops.diff.tree import Diff, EnvDiff

SIGN = {ADDED: "+", REMOVED: "-"}
FIELDS_SHOWN = 6


def fields_said(change: ObjectChange, limit: int = FIELDS_SHOWN) -> str:
    """`data.A, data.B and 3 more`; empty for an added or removed object."""
    shown = ", ".join(change.fields[:limit])
    more = len(change.fields) - limit
    return f"{shown} and {more} more" if more > 0 else shown


def summary(change: ObjectChange) -> str:
    """One line: what happened to the object, which fields, its risk classes and the values that matter."""
    fields = fields_said(change)
    notes = "; ".join(change.notes)
    return (f"{SIGN.get(change.action, '~')} {change.ref}: {change.action}{' ' + fields if fields else ''}"
            f" [{', '.join(change.risks)}]{' ' + notes if notes else ''}")


def counts(env: EnvDiff) -> str:
    found = Counter(c.action for c in env.changes)
    return ", ".join(f"{found[a]} {a}" for a in ("added", "removed", "changed"))


def heading(env: EnvDiff, diff: Diff) -> str:
    against = f"{diff.base} ({diff.sha[:7]})"
    if not env.changes:
        return f"{env.env}: {env.note or 'no change against ' + against}"
    n = len(env.changes)
    note = f"; {env.note}" if env.note else ""
    return f"{env.env}: {n} object{'s' * (n != 1)} differ{'s' * (n == 1)} from {against}: {counts(env)}{note}"


def text(diff: Diff, report_lines: list[str] = ()) -> str:
    out = []
    for env in diff.envs:
        out.append(f"== {heading(env, diff)} ==")
        out += [summary(c) for c in env.changes]
        for change in env.changes:
            out.append("")
            out.append(change.diff.rstrip("\n"))
        out.append("")
    return "\n".join([*out, *report_lines])
