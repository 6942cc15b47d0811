#!/usr/bin/env python3
"""Promote image versions dev -> staging -> prod as gated, validated git commits.

    tools/promote.py --to dev --image ghcr.io/fks-trading/fks-execution:1.4.3 --push
    tools/promote.py --to prod --dry-run
    tools/promote.py --to prod --rollback --component fks-execution --push
    tools/promote.py --status [--format json]
    tools/promote.py --status --format html --output status.html   # the board: one self-contained page
    tools/promote.py --history [--env prod]
    tools/promote.py --abort                 # undo what a killed promotion left
    tools/promote.py --verify staging        # the deploy checklist against staging's Prometheus
    tools/promote.py --to prod --push --wait-verified 10m

The gates (order, downgrade, soak, freeze, rolled-back hold, verification, drift, validation) run at
the real clock, and the commit is dated then. --at TIME (ISO 8601; without an offset, UTC) plans
only: it goes with --dry-run, --status or --verify ("what would the gates say at 16:05?"), never
with anything that writes. Soak counts from the commit that put the version in the source overlay,
on main's first-parent history, and never from a date earlier than that commit's parent; in hours,
or in completed trading sessions (soak: {sessions: N}). Verification runs the source environment's
`verify:` checks against its Prometheus (each passing one a Verified trailer); a failing check, or a
Prometheus that does not answer within its timeout, refuses unless --break-glass. --verify ENV runs
ENV's deploy checklist (exit 0 all passed, 1 otherwise); --wait-verified DURATION polls the target's
after --push until it passes, and prints the rollback command if it never does. CI re-runs the
same gates for every promotion commit (validate's promotions audit), so a bypass here is caught
where it lands.
Refused up front: uncommitted changes to tracked files, untracked files under overlays/ (they
can reach a render; untracked files elsewhere cannot), a detached HEAD, and with --push a branch
holding commits the freshly fetched remote lacks. --push retries while the remote moves on,
starting over from its new tip each time, for up to 3 minutes; each fetch and push is bounded by
--git-timeout. A lower version than the environment runs is refused unless --allow-downgrade
(recorded in the commit); in staging and prod --rollback is the way back. A promotion killed
midway is recognised by the next run, and --abort restores the branch and the overlay it left.
--branch commits on a new branch, pushes it and switches back to the
branch you were on, which stays untouched (as Kargo and image-updater leave main alone).
--dry-run with --push or --branch shows what would be committed and pushes nothing.
Exit codes: 0 done or nothing to promote, 1 refused by a gate, validation or the remote, 2 usage,
3 bug (130 interrupted; the file is restored either way).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
if __name__ == "__main__":  # started as a script, maybe by the system Python: use .venv
    from fks_gitops.venv import use_repository_venv

    use_repository_venv()

from fks_gitops import atomic  # noqa: E402
from fks_gitops.checks import promotions as audit
from fks_gitops.promote import checklist, promotion, recovery  # noqa: E402
from fks_gitops.promote.durations import age  # noqa: E402
from fks_gitops.cli import guarded, repo_from  # noqa: E402
from fks_gitops.environments import load, parse_duration  # noqa: E402
from fks_gitops.errors import GitOpsError  # noqa: E402
from fks_gitops.promote.board import board  # noqa: E402
from fks_gitops.promote.board_format import as_dict  # noqa: E402
from fks_gitops.promote.history import History  # noqa: E402
from fks_gitops.promote.status_html import page  # noqa: E402
from fks_gitops.promote.status import Cell, status  # noqa: E402
from fks_gitops.repo_git import Git  # noqa: E402


def parser() -> argparse.ArgumentParser:
    head, _, rest = __doc__.partition("\n\n")
    p = argparse.ArgumentParser(
        prog="promote.py", description=head, epilog=rest, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--to", metavar="ENV", help="environment to promote into")
    mode.add_argument("--status", action="store_true", help="table of environment x image")
    mode.add_argument("--history", action="store_true", help="promotions read from commit trailers")
    mode.add_argument("--abort", action="store_true", help="undo what a killed promotion left in this working tree")
    mode.add_argument("--verify", metavar="ENV", help="run ENV's deploy checklist against its Prometheus")
    p.add_argument("--image", action="append", default=[], metavar="[NAME=]NEWNAME[:TAG][@DIGEST]",
                   help="with --to dev: set this image (pinned: a tag other than latest, or a digest)")
    p.add_argument("--component", action="append", default=[], metavar="NAME",
                   help="only this image (component like fks-execution, or the full name)")
    p.add_argument("--rollback", action="store_true", help="back to each image's version before its last promotion")
    p.add_argument("--dry-run", action="store_true", help="print the diffs and the verdict; write nothing")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--push", action="store_true", help="push to the upstream branch, retrying if it moved")
    where.add_argument("--branch", metavar="NAME", help="commit on a new branch and push it for review")
    p.add_argument("--wait-verified", metavar="DURATION", help="with --push: poll the target's deploy checklist "
                   "until it passes, for up to DURATION (like 10m)")
    p.add_argument("--break-glass", action="store_true", help="override soak, freeze and verification (never validation)")
    p.add_argument("--reason", help="why --break-glass; recorded in the commit")
    p.add_argument("--allow-downgrade", action="store_true",
                   help="let a lower version than the target runs through (recorded in the commit)")
    p.add_argument("--git-timeout", type=_seconds, default=promotion.NETWORK_TIMEOUT, metavar="SECONDS",
                   help="limit for each git fetch and push (default: %(default)g)")
    p.add_argument("--env", help="with --history: only this environment")
    p.add_argument("--format", choices=("text", "json", "html"), default="text",
                   help="html: with --status, the status board as one self-contained page")
    p.add_argument("--output", metavar="FILE", help="with --status: write it here instead of stdout")
    p.add_argument("--at", metavar="TIME", help="with --dry-run, --status or --verify: as if it were TIME (ISO 8601)")
    p.add_argument("--repo", metavar="PATH", help="repository root (default: found from the current folder)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    return guarded(lambda: _main(parser().parse_args(argv)))


def _main(args: argparse.Namespace) -> int:
    repo = repo_from(args.repo).resolve()
    if args.at and not (args.status or args.dry_run or args.verify):
        raise GitOpsError("--at plans only: use it with --dry-run, --status or --verify; a promotion runs at the real clock")
    if args.wait_verified and not (args.push and not args.dry_run):
        raise GitOpsError("--wait-verified checks a deploy: use it with --push, without --dry-run")
    now = _now(args.at)
    if (args.format == "html" or args.output) and not args.status:
        raise GitOpsError(f"{'--format html' if args.format == 'html' else '--output'} goes with --status")
    if args.status:
        return _status(repo, now, args.format, args.output, live=not args.at)
    if args.verify:
        outcome = checklist.checklist(load(repo).get(args.verify), now)
        print("\n".join(checklist.report(outcome, "deploy checklist")))
        return 0 if outcome.passed else 1
    if args.history:
        return _history(repo, args.env, args.format)
    if args.abort:
        for line in recovery.abort(Git.open(repo)):
            print(line)
        return 0
    if args.reason and not args.break_glass:
        raise GitOpsError("--reason goes with --break-glass")
    return _promote(repo, args, now)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds between 0 and 3600")
    return value


def _now(text: str | None) -> dt.datetime:
    if not text:
        return dt.datetime.now(dt.timezone.utc)
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise GitOpsError(f"time {text!r} is not ISO 8601, like 2026-03-10T15:00:00-05:00") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def _promote(repo: Path, args: argparse.Namespace, now: dt.datetime) -> int:
    waiting = parse_duration(args.wait_verified, "--wait-verified") if args.wait_verified else None
    if waiting is not None:
        checklist.spec(load(repo).get(args.to))  # before promoting: a target without verify: cannot be waited on
    request = promotion.Request(
        target=args.to,
        images=tuple(args.image),
        components=tuple(args.component),
        rollback=args.rollback,
        break_glass=(args.reason or "") if args.break_glass else None,
        dry_run=args.dry_run,
        push=args.push,
        branch=args.branch,
        allow_downgrade=args.allow_downgrade,
        git_timeout=args.git_timeout,
        now=now if args.dry_run else None,
    )
    result = promotion.promote(repo, request)
    if result.took_over:
        print(f"note: {result.took_over}", file=sys.stderr)
    if not result.changes:
        print("nothing to promote")
        return 0
    if args.dry_run:
        print(result.kustomization_diff + result.rendered_diff, end="")
        print(result.message.splitlines()[0] + " (dry run, nothing written)")
    else:
        print(f"{result.message.splitlines()[0]}\ncommitted {result.commit[:12]}")
    for refusal in result.overridden:
        print(f"{refusal.override} overrides {refusal}")
    if result.branch:
        print(f"branch {result.branch} pushed; open a pull request from it")
    elif result.pushed:
        print(f"pushed after {result.attempts} attempt{'s' if result.attempts > 1 else ''}")
    if args.dry_run and result.verification:
        print("\n".join(checklist.report(result.verification, f"verification of {result.target}'s versions")))
    verdict = [str(r) for r in result.refusals]
    for line in verdict:
        print(line, file=sys.stderr)
    if waiting is not None and result.pushed:
        return _wait_verified(repo, result, waiting, args.wait_verified)
    return 1 if verdict else 0


def _wait_verified(repo: Path, result: promotion.Promotion, waiting: dt.timedelta, given: str) -> int:
    outcome = checklist.wait(load(repo).get(result.target), waiting, dt.datetime.now(dt.timezone.utc))
    print("\n".join(checklist.report(outcome, "deploy checklist")))
    if outcome.passed:
        return 0
    print(f"error: {result.target} did not pass its deploy checklist within {given}; roll back with:\n"
          f"  {checklist.rollback_command(result)}", file=sys.stderr)
    return 1


def _status(repo: Path, now: dt.datetime, fmt: str, output: str | None, live: bool) -> int:
    """`live`: the page's countdowns follow the viewer's clock; with --at they stay at that time."""
    if fmt == "text":
        envs, rows = status(repo, now)
        table = [["IMAGE", *envs]] + [[r.component, *(_cell_text(r.cells[e], now) for e in envs)] for r in rows]
        widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
        lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in table]
        text = "\n".join([*lines, "* differs from the environment before it"])
    else:
        found = board(repo, now)
        text = page(found, live=live) if fmt == "html" else json.dumps(as_dict(found), indent=2)
    if output is None:
        print(text.rstrip("\n"))
    else:
        atomic.write(Path(output), text.rstrip("\n") + "\n")
        print(f"wrote {output}")
    return 0


def _cell_text(cell: Cell | None, now: dt.datetime) -> str:
    if cell is None:
        return "-"
    since = age(now - cell.since) if cell.since else "uncommitted"
    soaked = f", soak {cell.soak.short}" if cell.soak else ""
    return f"{cell.version} ({since}{soaked}){' *' if cell.differs else ''}"


def _history(repo: Path, env: str | None, fmt: str) -> int:
    """Promotions as their commits claim them, each with what the audit says of the claim: a
    hand-written commit with promotion trailers never reads like a real promotion."""
    config = load(repo)
    if env:
        config.get(env)  # an unknown name is a usage error, not an empty list
    history = History(repo, [e.overlay for e in config.environments])
    records = history.promotions(env)
    verdicts: dict[str, list] = {}
    for finding in audit.audit(config, history.ledger, list(config.environments[1:])):
        verdicts.setdefault(finding.commit, []).append(finding)
    if fmt == "json":
        data = [{"commit": r.sha, "date": r.when.isoformat(), "author": r.commit.author, "env": r.env,
                 "kind": r.kind, "subject": r.subject, "trailers": [{"key": k, "value": v} for k, v in r.trailers],
                 "audit": [{"rule": f"{audit.ID}.{f.rule}", "level": f.level, "message": f.message}
                           for f in verdicts.get(r.sha, [])]}
                for r in records]
        print(json.dumps(data, indent=2))
        return 0
    if not records:
        print(f"no promotions recorded{' for ' + env if env else ''}")
    for r in records:
        extra = [f"{k}: {v}" for k, v in r.trailers if k in ("Promoted-From", "Soak", "Break-Glass", "Verified")]
        print(f"{r.when:%Y-%m-%d %H:%M} {r.sha[:12]} {r.commit.author}: {r.subject}"
              + (f"  [{'; '.join(extra)}]" if extra else ""))
        for finding in verdicts.get(r.sha, []):
            print(f"    audit {finding.level}: {finding.message.partition(r.subject + ': ')[2] or finding.message}")
    return 0

if __name__ == "__main__":
    sys.exit(main())
