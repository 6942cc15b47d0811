"""Regular trading sessions of an exchange calendar: what `soak: {sessions: N}` counts.

    completed("NYSE", since, now)   # [Session(opens, closes), ...]: opened after `since`, closed by `now`
    nth("NYSE", since, 2).closes    # when the second session after `since` closes
    back("NYSE", now, 2).opens      # when the earlier of the last two completed sessions opened

A session counts when the version was in place before it opened and it has closed: a weekend
or an exchange holiday adds none, and a version that arrived mid-session waits for the next
one. Holidays and early closes come from the exchange calendar (exchange.py); a half day whose
name gives no time counts as closing at the regular close, never too early.
"""
from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from fks_gitops.promote import exchange


@dataclass(frozen=True)
class Session:
    opens: dt.datetime
    closes: dt.datetime


def on(calendar: str, day: dt.date) -> Session | None:
    """The day's regular session, or None on a weekend or an exchange holiday."""
    zone, opens, closes = exchange.REGULAR_HOURS[calendar]
    if day.weekday() >= 5 or day in exchange.closed(calendar, day.year):
        return None
    closes = exchange.early_closes(calendar, day.year).get(day) or closes
    tz = ZoneInfo(zone)
    return Session(dt.datetime.combine(day, opens, tz), dt.datetime.combine(day, closes, tz))


def after(calendar: str, since: dt.datetime) -> Iterator[Session]:
    """Every session that opens at or after `since`, in order, without end."""
    day = since.astimezone(ZoneInfo(exchange.REGULAR_HOURS[calendar][0])).date()
    for offset in itertools.count():
        session = on(calendar, day + dt.timedelta(days=offset))
        if session is not None and session.opens >= since:
            yield session


def completed(calendar: str, since: dt.datetime, now: dt.datetime) -> list[Session]:
    return list(itertools.takewhile(lambda s: s.closes <= now, after(calendar, since)))


def nth(calendar: str, since: dt.datetime, n: int) -> Session:
    """The n-th session (1-based) that opens at or after `since`."""
    return next(itertools.islice(after(calendar, since), n - 1, None))


def back(calendar: str, now: dt.datetime, n: int) -> Session:
    """The n-th completed session counting back from `now` (1: the latest)."""
    day = now.astimezone(ZoneInfo(exchange.REGULAR_HOURS[calendar][0])).date()
    found = []
    while len(found) < n:
        session = on(calendar, day)
        if session is not None and session.closes <= now:
            found.append(session)
        day -= dt.timedelta(days=1)
    return found[-1]
