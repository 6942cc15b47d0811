"""Freeze windows: when an environment takes no promotion (ad-hoc, exchange holidays, market hours).

    window = frozen(config.get("prod").freeze, now)   # Window(reason, ends) or None

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


def _market_hours(spec: Freeze, local: dt.datetime) -> Window | None:
    if DAYS[local.weekday()] not in spec.days or not (spec.open and spec.close):
        return None
    day, close, early = local.date(), spec.close, ""
    if spec.calendar and day in (closes := exchange.early_closes(spec.calendar, day.year)):
        # A half day whose name gives no time stays frozen to the normal close: never too early.
        close, early = closes[day] or spec.close, " (early close)"
    if spec.open <= local.time() < close:
        return Window(f"market hours {spec.open:%H:%M}-{close:%H:%M}{early}", dt.datetime.combine(day, close, local.tzinfo))
    return None
