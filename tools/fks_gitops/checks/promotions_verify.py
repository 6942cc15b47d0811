"""The promotion audit's view of verification: a promotion from an environment with `verify:`
checks must carry the record promote writes, and CI asks the source's Prometheus again.

    replay = replayed(commit, now, fresh=sha in pull_request, skew=SKEW)
    for rule, level, message in audited(ledger, parent, commit, facts, glass, replay): ...

The record is checked against environments.yaml as the promotion's parent held it (the checks
promote ran under): one `Verified: staging/ready-pods (>= 2)` per check it ran, with the
expectation written there; `Unverified` ones only with Break-Glass. Trailers are claims, so in
CI (promotions.asks_prometheus), for promotions of the last REPLAY and every one a pull request
brings whatever its date, the checks run again against the source's Prometheus at the commit's
trusted time; one it contradicts is an error. When that Prometheus cannot be asked (no
credentials, unreachable) the audit says so as a warning, never silently.
"""
from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterator, Sequence

import yaml

from fks_gitops import yamldepth
from fks_gitops.environments import FILE
from fks_gitops.environments_verify import PROMOTION_PLACEHOLDERS, Check, checks
from fks_gitops.errors import GitOpsError
from fks_gitops.promote import verify
from fks_gitops.promote.gates import Facts
from fks_gitops.promote.ledger import Commit, Ledger

# Prometheus keeps 15 days by default, and a check reads its soak before the promotion.
REPLAY = dt.timedelta(days=7)
_RECORD = re.compile(r"^(?P<label>\S+) \((?P<expect>.*)\)$")


def audited(ledger: Ledger, parent: Commit, commit: Commit, facts: Facts, glass: str,
            replay: bool) -> Iterator[tuple[str, str, str]]:
    """(rule, level, message) about the promotion's verification record; nothing when its source
    had no checks for what moved. `replay`: ask Prometheus again (replayed() says when)."""
    source, target = facts.source, facts.target
    wanted, recorded = expected(ledger, parent, facts), _records(commit)
    missing = [label for label in wanted if label not in recorded]
    if missing and not glass:
        more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        yield ("verify", "error", f"no Verified trailer for {', '.join(missing[:3])}{more}: {source.name}'s verify "
                                  f"checks are not on record as passed; revert it and use tools/promote.py --to {target.name}")
    for label, expect in recorded.items():
        if label in wanted and expect != wanted[label]:
            yield ("verify", "error", f"Verified: {label} ({expect}) records another expectation than the "
                                      f"{FILE} it was promoted under ({wanted[label]})")
    if not glass:
        for value in commit.trailer("Unverified"):
            yield ("verify", "error", f"Unverified: {value}, without Break-Glass: a failed check lets a promotion "
                                      f"through only with --break-glass")
    claimed = [label for label in recorded if label in wanted]
    if claimed and source.verify and replay:
        yield from _replayed(facts, commit, claimed)


def replayed(commit: Commit, now: dt.datetime, fresh: bool, skew: dt.timedelta) -> bool:
    """Whether the audit asks Prometheus again: a promotion of the last REPLAY, or one under review
    (`fresh`: a pull request's) whatever its date, since a date is the committer's to set; never
    one dated beyond `now` and `skew` (the audit reports it)."""
    return (fresh or now - REPLAY <= commit.when) and commit.when <= now + skew


def expected(ledger: Ledger, parent: Commit, facts: Facts) -> dict[str, str]:
    """label -> expectation of each check the promotion had to pass."""
    held = _held(ledger, parent, facts.source)
    return {label: check.expect.text for label, check, _ in verify.planned(facts.source.name, held, facts.changes)}


def unrecorded(ledger: Ledger, parent: Commit, facts: Facts, commit: Commit) -> list[str]:
    """The labels of the checks the commit records no pass of."""
    recorded = _records(commit)
    return [label for label in expected(ledger, parent, facts) if label not in recorded]


def _replayed(facts: Facts, commit: Commit, claimed: Sequence[str]) -> Iterator[tuple[str, str, str]]:
    source = facts.source
    outcome = verify.Verification(source, facts.changes, facts.history).run(commit.when)
    if outcome.unreachable:
        yield ("verify-not-replayed", "warning", f"its Verified trailers are not re-derived: {outcome.unreachable}; "
                                                 f"CI must reach {source.name}'s Prometheus (README: Verification)")
        return
    at = commit.when.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    for result in outcome.results:
        if result.item.label in claimed and not result.passed:
            yield ("verify-replayed", "error", f"Verified: {result.item.label}, but {source.name}'s Prometheus at "
                                               f"{at} answers {result.shown}; expected {result.item.expect.text}")


def _records(commit: Commit) -> dict[str, str]:
    """label -> expectation of each `Verified: staging/ready-pods (>= 2)` trailer."""
    found = {}
    for value in commit.trailer("Verified"):
        match = _RECORD.match(value.strip())
        label, expect = (match["label"], " ".join(match["expect"].split())) if match else (value.strip(), "")
        found[label] = expect
    return found


def _held(ledger: Ledger, parent: Commit, source) -> tuple[Check, ...]:
    """The source's promotion checks in the parent's environments.yaml; today's when that file
    cannot be read there (a promotion never changes it, so both are what promote ran under)."""
    held = _parsed(ledger.config_text(parent), source.name)
    if held is not None:
        return held
    return source.verify.checks if source.verify else ()


@functools.lru_cache(maxsize=64)
def _parsed(text: bytes | None, name: str) -> tuple[Check, ...] | None:
    if text is None:
        return None
    try:
        raw = yaml.load(text.decode(), Loader=yamldepth.CSafeLoader)
        env = next(e for e in raw["environments"] if e.get("name") == name)
        return checks((env.get("verify") or {}).get("checks") or (), PROMOTION_PLACEHOLDERS, FILE)
    except (UnicodeDecodeError, yaml.YAMLError, GitOpsError, LookupError, StopIteration, TypeError, AttributeError):
        return None
