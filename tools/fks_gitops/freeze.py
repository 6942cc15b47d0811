"""Freeze windows: when an environment takes no promotion (market hours, holidays, ad-hoc).

    window = frozen(config.get("prod").freeze, now)   # Window(reason, ends) or None
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from .environments import Freeze
from .environments_schema import DAYS


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
    if day in spec.holidays:
        return Window(f"exchange holiday {day}", dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tz))
    close = spec.early_closes.get(day, spec.close)
    if DAYS[local.weekday()] in spec.days and spec.open and close and spec.open <= local.time() < close:
        early = " (early close)" if day in spec.early_closes else ""
        return Window(f"market hours {spec.open:%H:%M}-{close:%H:%M}{early}", dt.datetime.combine(day, close, tz))
    return None
