"""The promotion gates: one shape, one list. promote runs every gate at the real clock; the audit
(audit.py) re-runs the replayable ones at each promotion commit's time, from history alone.

    facts = Facts(config, target, changes, history)
    verdict = evaluate(GATES, facts, now, overrides=set())
    verdict.blocking        # [Refusal("soak", "fks-execution 1.4.3 has run in staging for 3h of 24h; ...", BREAK_GLASS)]

A gate takes facts and a time and returns refusals. An override names the gates it lets through:
`--break-glass` soak, freeze, the rolled-back hold and verification; `--allow-downgrade` the
downgrade gate; nothing ever overrides order, drift or validation. Verification asks the source
environment's Prometheus (verify.py), which history alone cannot answer, so it is not replayed
here: the audit checks the commit's Verified trailers and asks Prometheus again for recent
promotions (checks/promotions_verify.py).
"""
from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fks_gitops.environments import Config, Environment
from fks_gitops.promote import soak
from fks_gitops.promote.freeze import frozen
from fks_gitops.promote.images import Image
from fks_gitops.promote.versions import older

if TYPE_CHECKING:
    from fks_gitops.promote.history import History
    from fks_gitops.promote.plan import Change
    from fks_gitops.promote.verify import Verification
    from fks_gitops.problem import Problem

HINT = "or use --break-glass --reason TEXT"
BREAK_GLASS, ALLOW_DOWNGRADE = "break-glass", "allow-downgrade"


@dataclass(frozen=True)
class Refusal:
    gate: str
    message: str
    override: str | None  # the option that lets it through, if any

    @property
    def overridable(self) -> bool:
        return self.override is not None

    def __str__(self) -> str:
        return f"{self.gate}: {self.message}"


class Candidate:
    """The target rendered before and after the edit, and its validator: what promote alone has."""

    def __init__(self, before: Future, render_after: Callable[[], list[dict]],
                 validator: Callable[[list[dict]], list[Problem]]) -> None:
        self.before, self._render_after, self.validator = before, render_after, validator

    @functools.cached_property
    def after(self) -> list[dict]:
        return self._render_after()


@dataclass(frozen=True)
class Facts:
    config: Config
    target: Environment
    changes: tuple[Change, ...]
    history: History  # as it stood before the promotion
    rollback: bool = False
    candidate: Candidate | None = None  # None in the audit: history has no renders
    verification: Verification | None = None  # the source's checks; None when it has none, or in the audit

    @property
    def source(self) -> Environment | None:
        return self.config.previous(self.target)

    @property
    def moved(self) -> list[Image]:
        return [c.new for c in self.changes]


@dataclass(frozen=True)
class Gate:
    name: str
    override: str | None
    replayable: bool  # decidable from history alone, so the audit re-runs it
    check: Callable[[Facts, dt.datetime], list[str]]

    @property
    def overridable(self) -> bool:
        return self.override is not None

    def __call__(self, facts: Facts, now: dt.datetime) -> list[Refusal]:
        return [Refusal(self.name, m, self.override) for m in self.check(facts, now)]


@dataclass(frozen=True)
class Verdict:
    blocking: tuple[Refusal, ...]
    overridden: tuple[Refusal, ...]  # what --break-glass or --allow-downgrade let through


def evaluate(gates: Sequence[Gate], facts: Facts, now: dt.datetime, overrides: set[str],
             exhaustive: bool = False) -> Verdict:
    """Gates in order; unless `exhaustive` (a dry run), the ones that need renders are skipped
    once an earlier gate has refused: a refused promotion waits for no render."""
    blocking, overridden = [], []
    for gate in gates:
        if facts.candidate is None and not gate.replayable:
            continue
        if blocking and not gate.replayable and not exhaustive:
            break
        for refusal in gate(facts, now):
            (overridden if refusal.override in overrides else blocking).append(refusal)
    return Verdict(tuple(blocking), tuple(overridden))


def _order(facts: Facts, now: dt.datetime) -> list[str]:
    """A version reaches an environment only after every earlier one ran it."""
    if facts.rollback:
        return []
    earlier = [e for e in facts.config.environments if e.order < facts.target.order - 1]
    return [
        f"{new.component} {new.version} never ran in {env.name}; promote it through {env.name} first"
        for new in facts.moved
        for env in earlier
        if not facts.history.ever(env.overlay, new)
    ]


def _soak(facts: Facts, now: dt.datetime) -> list[str]:
    source = facts.source
    if facts.rollback or source is None:
        return []
    messages = []
    for new in facts.moved:
        ran = soak.progress(source, new, facts.history, now)
        if ran is None:
            messages.append(f"{new.component} {new.version} has no commit in {source.overlay}; commit it there first")
        elif not ran.done:
            until = ran.until.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
            messages.append(f"{new.component} {new.version} has run in {source.name} for {ran.text}; "
                            f"wait until {until} {HINT}")
    return messages


def _freeze(facts: Facts, now: dt.datetime) -> list[str]:
    window = None if facts.rollback else frozen(facts.target.freeze, now)
    if window is None:
        return []
    ends = f"{window.ends:%Y-%m-%d %H:%M} {window.ends.tzinfo}"
    return [f"{facts.target.name} is frozen for {window.reason} until {ends}; wait {HINT}"]


def _rolled_back(facts: Facts, now: dt.datetime) -> list[str]:
    """Never silently undo a rollback: a version rolled back here needs --break-glass to return."""
    if facts.rollback:
        return []
    messages = []
    for new in facts.moved:
        commit = facts.history.blocked(facts.target.overlay, new.name).get(new.key)
        if commit is not None:
            messages.append(f"{new.component} {new.version} was rolled back in {facts.target.name} by "
                            f"{commit.sha[:12]}; re-promote it only with --break-glass --reason TEXT")
    return messages


def downgrades(facts: Facts) -> list[Change]:
    """Changes to a lower version: semver order, else the target's own history (a tag it ran
    before the current one is older). Rollback is the way back in a gated environment."""
    if facts.rollback:
        return []
    found = []
    for change in facts.changes:
        old, new = change.old, change.new
        lower = older(new.tag, old.tag)
        if lower is None:  # not both semver: older if the target ran it before
            lower = new.tag != old.tag and facts.history.ever(facts.target.overlay, new)
        if lower:
            found.append(change)
    return found


def _downgrade(facts: Facts, now: dt.datetime) -> list[str]:
    how = ("roll back with --rollback, or give --allow-downgrade" if facts.target.order > 0
           else "give --allow-downgrade if you mean it")
    return [f"{c.new.component} {c.new.version} is older than the {c.old.version} {facts.target.name} runs; {how}"
            for c in downgrades(facts)]


def _verify(facts: Facts, now: dt.datetime) -> list[str]:
    """The source environment's checks against its Prometheus: one line per failing check."""
    return [] if facts.rollback or facts.verification is None else facts.verification.run(now).failures


def _drift(facts: Facts, now: dt.datetime) -> list[str]:
    from fks_gitops.promote.rendered import drift  # renders exist only in promote

    return [f"the promotion would change {path}, not only images; the overlays have drifted apart"
            for path in drift(facts.candidate.before.result(), facts.candidate.after)]


def _validation(facts: Facts, now: dt.datetime) -> list[str]:
    return [str(p) for p in facts.candidate.validator(facts.candidate.after)]


GATES = (
    Gate("order", override=None, replayable=True, check=_order),
    Gate("downgrade", override=ALLOW_DOWNGRADE, replayable=True, check=_downgrade),
    Gate("soak", override=BREAK_GLASS, replayable=True, check=_soak),
    Gate("freeze", override=BREAK_GLASS, replayable=True, check=_freeze),
    Gate("rollback", override=BREAK_GLASS, replayable=True, check=_rolled_back),
    Gate("verify", override=BREAK_GLASS, replayable=False, check=_verify),
    Gate("drift", override=None, replayable=False, check=_drift),
    Gate("validation", override=None, replayable=False, check=_validation),
)
