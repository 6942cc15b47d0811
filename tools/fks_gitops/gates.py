"""The promotion gates: order, soak, freeze and rollback, as functions of facts and the clock.

    refusals = [*order(config, target, changes, history), *soak(source, changes, history, now),
                *freeze(target, now), *rolled_back(target, changes, history)]

Each returns Refusals; `--break-glass` overrides those marked overridable (soak, freeze, rolled
back), never order and never validation.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .environments import Config, Environment
from .freeze import frozen
from .images import Image

if TYPE_CHECKING:
    from .history import History

HINT = "or use --break-glass --reason TEXT"


@dataclass(frozen=True)
class Refusal:
    gate: str
    message: str
    overridable: bool

    def __str__(self) -> str:
        return f"{self.gate}: {self.message}"


def order(config: Config, target: Environment, changes: list[tuple[Image, Image]], history: History) -> list[Refusal]:
    """A version reaches an environment only after every earlier one ran it."""
    earlier = [e for e in config.environments if e.order < target.order - 1]
    return [
        Refusal("order", f"{new.component} {new.version} never ran in {env.name}; promote it through {env.name} first", False)
        for _, new in changes
        for env in earlier
        if not history.ever(env.overlay, new)
    ]


def soak(source: Environment, changes: list[tuple[Image, Image]], history: History, now: dt.datetime) -> list[Refusal]:
    refusals = []
    for _, new in changes:
        ran = soaked(source, new, history, now)
        if ran is None:
            msg = f"{new.component} {new.version} has no commit in {source.overlay}; commit it there first"
            refusals.append(Refusal("soak", msg, True))
        elif ran < source.soak:
            until = (now + source.soak - ran).astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
            msg = f"{new.component} {new.version} has run in {source.name} for {hours(ran)} of {hours(source.soak)}; wait until {until} {HINT}"
            refusals.append(Refusal("soak", msg, True))
    return refusals


def soaked(source: Environment, image: Image, history: History, now: dt.datetime) -> dt.timedelta | None:
    """How long the image's version has been in the source overlay, from the commit that put it there."""
    snap = history.entered(source.overlay, image)
    return None if snap is None else max(now - snap.when, dt.timedelta(0))


def freeze(target: Environment, now: dt.datetime) -> list[Refusal]:
    window = frozen(target.freeze, now)
    if window is None:
        return []
    ends = f"{window.ends:%Y-%m-%d %H:%M} {window.ends.tzinfo}"
    return [Refusal("freeze", f"{target.name} is frozen for {window.reason} until {ends}; wait {HINT}", True)]


def rolled_back(target: Environment, changes: list[tuple[Image, Image]], history: History) -> list[Refusal]:
    """Never silently undo a rollback: a version rolled back here needs --break-glass to return."""
    refusals = []
    for _, new in changes:
        snap = history.blocked(target.overlay, new.name).get(new.key)
        if snap is not None:
            msg = f"{new.component} {new.version} was rolled back in {target.name} by {snap.sha[:12]}; re-promote it only with --break-glass --reason TEXT"
            refusals.append(Refusal("rollback", msg, True))
    return refusals


def hours(delta: dt.timedelta) -> str:
    """`26h`, or `45m` under an hour: the Soak trailer's unit."""
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60}h" if minutes >= 60 or minutes == 0 else f"{minutes}m"


def age(delta: dt.timedelta) -> str:
    """`3d 4h`, `4h 12m`, `12m`: how long a version has been somewhere."""
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    if days:
        return f"{days}d {rest // 60}h"
    return f"{rest // 60}h {rest % 60}m" if rest >= 60 else f"{rest}m"
