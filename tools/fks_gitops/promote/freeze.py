"""Freeze windows: when an environment takes no promotion (ad-hoc, exchange holidays, market hours).

    window = frozen(config.get("prod").freeze, now)   # Window(reason, ends) or None
    start, window = upcoming(config.get("prod").freeze, now)   # the next one to begin after now

Holidays and early closes come from the freeze's exchange calendar (see exchange.py).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from fks_gitops.promote import exchange
from fks_gitops.environments import Freeze
from fks_gitops.environments_schema import DAYS


@dataclass(frozen=True)
class Window:
    reason: str
    ends: dt.datetime


def frozen(spec: Freeze | None, now: dt.datetime) -> Window | None:
    """The freeze window `now` falls in: ad-hoc first, then holidays, then market hours."""
    if spec is None:
        return None
    tz = ZoneInfo(spec.timezone)
    local = now.astimezone(tz)
    for window in spec.adhoc:
        if window.start <= local < window.end:
            return Window(f"ad-hoc freeze '{window.reason}'", window.end)
    day = local.date()
    if spec.calendar and day in exchange.closed(spec.calendar, day.year):
        return Window(f"exchange holiday {day}", dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tz))
    return _market_hours(spec, local)


def upcoming(spec: Freeze | None, now: dt.datetime, days: int = 31) -> tuple[dt.datetime, Window] | None:
    """(start, window) of the first freeze window to begin after `now`, looking `days` ahead
    (the status board's "next freeze"); None when there is none in that time."""
    if spec is None:
        return None
    tz = ZoneInfo(spec.timezone)
    found = [(w.start, Window(f"ad-hoc freeze '{w.reason}'", w.end)) for w in spec.adhoc if w.start > now]
    today = now.astimezone(tz).date()
    for offset in range(days + 1):
        day = today + dt.timedelta(days=offset)
        start = dt.datetime.combine(day, dt.time(), tz)
        if spec.calendar and day in exchange.closed(spec.calendar, day.year):
            found.append((start, Window(f"exchange holiday {day}", start + dt.timedelta(days=1))))
        elif (hours := session(spec, day, tz)) is not None:
            found.append(hours)
        found = [f for f in found if f[0] > now]
        if any(f[0] < start + dt.timedelta(days=1) for f in found):
            break
    return min(found, key=lambda f: f[0]) if found else None


def session(spec: Freeze, day: dt.date, tz: dt.tzinfo) -> tuple[dt.datetime, Window] | None:
    """The day's market-hours window (start, window), early closes applied; None on a day without one."""
    if DAYS[day.weekday()] not in spec.days or not (spec.open and spec.close):
        return None
    close, early = spec.close, ""
    if spec.calendar and day in (closes := exchange.early_closes(spec.calendar, day.year)):
        # A half day whose name gives no time stays frozen to the normal close: never too early.
        close, early = closes[day] or spec.close, " (early close)"
    window = Window(f"market hours {spec.open:%H:%M}-{close:%H:%M}{early}", dt.datetime.combine(day, close, tz))
    return dt.datetime.combine(day, spec.open, tz), window


def _market_hours(spec: Freeze, local: dt.datetime) -> Window | None:
    today = session(spec, local.date(), local.tzinfo)
    if today is not None and today[0] <= local < today[1].ends:
        return today[1]
    return None
