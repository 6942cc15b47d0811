"""Checks against an environment's Prometheus, all at one evaluation time and in parallel: the
verification gate's work (the source environment's `checks`, filled in for the moved images) and
the deploy checklist's (checklist.py).

    outcome = run("staging", spec, [Item("staging/no-critical-alerts", query, expect)], now)
    outcome.passed, outcome.failures      # ["staging/no-critical-alerts: ALERTS{...} 1; expected empty"]
    outcome = Verification(source, changes, history).run(now)   # once per run: gate and trailers share it
    trailers(outcome)                     # [("Verified", "staging/no-critical-alerts (empty)"), ...]

The whole run is bounded by the environment's timeout (default 10 s): a Prometheus that does not
answer in time is one failure naming its URL and the timeout, never a hang.
"""
from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fks_gitops.environments import Environment
from fks_gitops.environments_verify import Check, Expectation, Verify, fill
from fks_gitops.prometheus import Client, QueryFailed, Sample, Unreachable
from fks_gitops.promote import soak
from fks_gitops.promote.durations import promql

if TYPE_CHECKING:
    from fks_gitops.promote.history import History
    from fks_gitops.promote.images import Image
    from fks_gitops.promote.plan import Change


@dataclass(frozen=True)
class Item:
    label: str  # "staging/ready-pods", "staging/ready-pods[grafana]" when it runs per moved image
    query: str  # placeholders filled in
    expect: Expectation


@dataclass(frozen=True)
class Result:
    item: Item
    samples: tuple[Sample, ...] = ()
    error: str | None = None  # Prometheus refused the query

    @property
    def passed(self) -> bool:
        return self.error is None and self.item.expect.holds([s.value for s in self.samples])

    @property
    def shown(self) -> str:
        """The error, `no series`, or the series (those failing the expectation, up to three)."""
        if self.error:
            return f"query failed: {self.error}"
        if not self.samples:
            return "no series"
        picked = self.samples if self.passed else [self.samples[i] for i in
                                                   self.item.expect.failing([s.value for s in self.samples])]
        more = f" and {len(picked) - 3} more" if len(picked) > 3 else ""
        return ", ".join(str(s) for s in picked[:3]) + more

    @property
    def line(self) -> str:
        return f"{self.item.label}: {self.shown}; expected {self.item.expect.text}"


@dataclass(frozen=True)
class Outcome:
    env: str
    url: str
    at: dt.datetime
    results: tuple[Result, ...] = ()
    unreachable: str | None = None

    @property
    def passed(self) -> bool:
        return self.unreachable is None and all(r.passed for r in self.results)

    @property
    def failures(self) -> list[str]:
        if self.unreachable:
            return [f"{self.env}: {self.unreachable}"]
        return [r.line for r in self.results if not r.passed]


def run(env: str, spec: Verify, items: Sequence[Item], at: dt.datetime) -> Outcome:
    auth = os.environ.get(spec.credentials, "") if spec.credentials else None
    if not items:
        return Outcome(env, spec.prometheus, at)
    if auth is not None and ":" not in auth:  # refused, not a usage error: --break-glass must still get through
        return Outcome(env, spec.prometheus, at, unreachable=(
            f"verify.credentials names {spec.credentials}, which is not set to user:password for {spec.prometheus}; "
            f"export it (in CI, from a secret)"))
    client = Client(spec.prometheus, spec.timeout, auth)
    deadline = time.monotonic() + spec.timeout
    pool = ThreadPoolExecutor(max_workers=min(len(items), 16), thread_name_prefix="verify")
    try:
        futures = [pool.submit(_one, client, item, at) for item in items]
        results = tuple(f.result(timeout=max(0.0, deadline - time.monotonic())) for f in futures)
    except Unreachable as exc:
        return Outcome(env, spec.prometheus, at, unreachable=str(exc))
    except FutureTimeout:
        return Outcome(env, spec.prometheus, at, unreachable=str(client.unreachable("no answer to every query in time")))
    finally:
        pool.shutdown(wait=False, cancel_futures=True)  # a straggler ends at its own socket timeout
    return Outcome(env, spec.prometheus, at, results)


def _one(client: Client, item: Item, at: dt.datetime) -> Result:
    try:
        return Result(item, tuple(client.query(item.query, at)))
    except QueryFailed as exc:
        return Result(item, error=str(exc))


class Verification:
    """The source environment's checks for one promotion, run once (the gate asks, the commit
    message and a dry run read the same outcome)."""

    def __init__(self, source: Environment, changes: Sequence[Change], history: History) -> None:
        self.source, self.changes, self.history = source, tuple(changes), history
        self._outcomes: dict[dt.datetime, Outcome] = {}

    def run(self, now: dt.datetime) -> Outcome:
        if now not in self._outcomes:
            self._outcomes[now] = run(self.source.name, self.source.verify, self.items(now), now)
        return self._outcomes[now]

    def items(self, now: dt.datetime) -> list[Item]:
        source = self.source
        base = {"namespace": source.namespace, "application": source.application,
                "soak": promql(max(soak.window(source, now), dt.timedelta(minutes=1)))}
        entered = {c.new.name: self.history.entered(source.overlay, c.new) for c in self.changes}
        since = {name: int((commit.when if commit else now).timestamp()) for name, commit in entered.items()}
        items = []
        for label, check, moved in planned(source.name, source.verify.checks, self.changes):
            values = {**base, "since": str(max(since[image.name] for image in moved))}  # the last to arrive
            if check.per_image:
                (image,) = moved
                values |= {"component": image.component, "version": image.version, "image": image.ref}
            items.append(Item(label, fill(check.query, values), check.expect))
        return items


def planned(source: str, checks: Sequence[Check], changes: Sequence[Change]) -> Iterator[tuple[str, Check, list[Image]]]:
    """(label, check, the moved images it runs for) of each query a promotion runs: a check once
    for the images it applies to, or once per image when its query names one."""
    for check in checks:
        moved = [c.new for c in changes if not check.components or c.new.component in check.components]
        label = f"{source}/{check.name}"
        if moved and not check.per_image:
            yield label, check, moved
        for image in moved if check.per_image else ():
            yield label + (f"[{image.component}]" if len(moved) > 1 else ""), check, [image]


def trailers(outcome: Outcome) -> list[tuple[str, str]]:
    """`Verified` for each passing check; `Unverified` for what --break-glass let through."""
    found = [("Verified", f"{r.item.label} ({r.item.expect.text})") for r in outcome.results if r.passed]
    return found + [("Unverified", line) for line in outcome.failures]
