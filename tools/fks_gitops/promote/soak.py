"""How far a version has soaked toward its environment's soak, in the soak's own unit.

    progress(env.soak, since, now)                 # Progress(done=6.5, needed=24.0, unit="h")
    progress(Sessions(2), since, now, prod.freeze) # Progress(done=1, needed=2, unit="sessions")

environments.yaml gives an environment's soak as a duration (`soak: 24h`, a timedelta on the
Environment), or in trading sessions (`soak: {sessions: N}`): any soak with a `sessions` count,
an attribute or a mapping key. A session counts once the version ran through all of it, open to
close, on the market-hours calendar of `market` (prod's freeze: the exchange the platform trades).
UNITS lists the units in one place; a new unit is one entry.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from fks_gitops.environments import Freeze
from fks_gitops.promote import exchange
from fks_gitops.promote.freeze import session


@dataclass(frozen=True)
class Progress:
    done: float
    needed: float
    unit: str  # "h" or "sessions"

    @property
    def fraction(self) -> float:
        return 1.0 if self.needed <= 0 else max(0.0, min(self.done / self.needed, 1.0))

    @property
    def complete(self) -> bool:
        return self.done >= self.needed


@dataclass(frozen=True)
class Unit:
    name: str
    needed: Callable[[object], float | None]  # the soak's size in this unit; None: not this unit
    done: Callable[[dt.datetime, dt.datetime, Freeze | None], float]


def sessions_of(soak: object) -> int | None:
    count = soak.get("sessions") if isinstance(soak, dict) else getattr(soak, "sessions", None)
    return count if isinstance(count, int) and not isinstance(count, bool) else None


def _hours(since: dt.datetime, now: dt.datetime, market: Freeze | None) -> float:
    return max((now - since).total_seconds(), 0) / 3600


def sessions(since: dt.datetime, now: dt.datetime, market: Freeze | None) -> int:
    """Whole market sessions between `since` and `now` (0 without a market-hours calendar)."""
    if market is None or not (market.open and market.close):
        return 0
    tz = ZoneInfo(market.timezone)
    day, last, count = since.astimezone(tz).date(), now.astimezone(tz).date(), 0
    while day <= last:
        held = None if market.calendar and day in exchange.closed(market.calendar, day.year) else session(market, day, tz)
        if held is not None and since <= held[0] and held[1].ends <= now:
            count += 1
        day += dt.timedelta(days=1)
    return count


UNITS = (
    Unit("h", lambda soak: soak.total_seconds() / 3600 if isinstance(soak, dt.timedelta) else None, _hours),
    Unit("sessions", sessions_of, sessions),
)


def progress(soak: object, since: dt.datetime | None, now: dt.datetime, market: Freeze | None = None) -> Progress | None:
    """None when the environment asks for no soak, or the version has no commit to count from."""
    for unit in UNITS:
        needed = unit.needed(soak)
        if needed is not None:
            if needed <= 0 or since is None:
                return None
            return Progress(unit.done(since, now, market), needed, unit.name)
    raise TypeError(f"soak {soak!r} is in no unit of soak.UNITS")
