"""Soak: how long a version has run in an environment, in the unit that environment counts:
hours (`soak: 24h`), or completed regular trading sessions (`soak: {sessions: 2}`, sessions.py).

    p = progress(config.get("staging"), image, history, now)   # None: the version has no commit there
    p.done, p.text, p.until     # False, "1 of 2 NYSE sessions", when the second session closes
    p.trailer                   # "26h" or "2 sessions": the Soak trailer; claims_more() reads it back
    window(staging, now)        # the soak as a span ending at `now`: a verify query's {soak}

Hours count from the commit that put the version in the overlay (history.py gives its trusted
time); sessions count those that opened after that commit and have closed.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fks_gitops.environments import Environment
from fks_gitops.promote import sessions as calendar
from fks_gitops.promote.durations import hours, parse_hours
from fks_gitops.promote.images import Image

if TYPE_CHECKING:
    from fks_gitops.promote.history import History

_SESSIONS = re.compile(r"^(\d+) sessions?$")


@dataclass(frozen=True)
class Progress:
    env: Environment
    entered: dt.datetime
    ran: dt.timedelta
    sessions: int | None  # completed sessions; None when the environment counts hours
    until: dt.datetime | None  # when the soak completes; None once it has

    @property
    def done(self) -> bool:
        return self.until is None

    @property
    def amount(self) -> float:
        """What the environment counts, comparable between images of one environment."""
        return self.ran.total_seconds() if self.sessions is None else self.sessions

    @property
    def text(self) -> str:
        """`20h of 24h`, `1 of 2 NYSE sessions`."""
        if self.sessions is None:
            return f"{hours(self.ran)} of {hours(self.env.soak)}"
        spec = self.env.sessions
        return f"{self.sessions} of {spec.count} {spec.calendar} session{'s' if spec.count > 1 else ''}"

    @property
    def short(self) -> str:
        """The status table's `20h/24h` or `1/2 sessions`, capped at what is required."""
        if self.sessions is None:
            return f"{hours(min(self.ran, self.env.soak))}/{hours(self.env.soak)}"
        return f"{min(self.sessions, self.env.sessions.count)}/{self.env.sessions.count} sessions"

    @property
    def trailer(self) -> str:
        if self.sessions is None:
            return hours(self.ran)
        return f"{self.sessions} session{'' if self.sessions == 1 else 's'}"


def required(env: Environment) -> bool:
    """Whether the environment holds a version back at all."""
    return env.sessions is not None or env.soak > dt.timedelta(0)


def progress(env: Environment, image: Image, history: History, now: dt.datetime) -> Progress | None:
    entered = history.entered(env.overlay, image)
    if entered is None:
        return None
    ran = max(now - entered.when, dt.timedelta(0))
    spec = env.sessions
    if spec is None:
        return Progress(env, entered.when, ran, None, None if ran >= env.soak else now + env.soak - ran)
    done = len(calendar.completed(spec.calendar, entered.when, now))
    until = None if done >= spec.count else calendar.nth(spec.calendar, entered.when, spec.count).closes
    return Progress(env, entered.when, ran, done, until)


def window(env: Environment, now: dt.datetime) -> dt.timedelta:
    """The soak as a span ending at `now`: the hours, or back to the opening of the earliest of
    the last N completed sessions."""
    spec = env.sessions
    return env.soak if spec is None else now - calendar.back(spec.calendar, now, spec.count).opens


def claims_more(trailer: str, shown: Progress) -> bool:
    """Whether a Soak trailer claims more than history shows (a minute of slack for hours)."""
    if shown.sessions is None:
        claimed = parse_hours(trailer)
        return claimed is None or claimed > shown.ran + dt.timedelta(minutes=1)
    match = _SESSIONS.match(trailer.strip())
    return match is None or int(match[1]) > shown.sessions
