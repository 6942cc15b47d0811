"""Argo CD syncWindows that enforce environments.yaml's freezes in the cluster.

    windows = generate(config, dt.date(2026, 12, 1))  # [{"kind": "deny", "schedule": "30 9 * * 1-5", ...}, ...]
    horizon(dt.date(2026, 12, 1))                     # dt.date(2027, 12, 1)

A cron schedule has no year, so each holiday window would recur on the same date next year:
the windows cover one year from a recorded start date, and validate asks for a regeneration
well before that year ends.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from fks_gitops.promote import exchange
from fks_gitops.environments import Adhoc, Config, Environment
from fks_gitops.environments_schema import DAYS

FROM = "gitops.fks/sync-windows-from"
UNTIL = "gitops.fks/sync-windows-until"
COMMAND = "tools/sync_windows.py"
_CRON_DAY = {day: (i + 1) % 7 for i, day in enumerate(DAYS)}  # cron counts from Sunday = 0


def horizon(start: dt.date) -> dt.date:
    """One year after `start` (28 February for a 29 February start)."""
    try:
        return start.replace(year=start.year + 1)
    except ValueError:
        return start.replace(year=start.year + 1, day=28)


def generate(config: Config, start: dt.date) -> list[dict]:
    """Every deny window for every environment with a freeze, from `start` to horizon(start)."""
    return [w for env in config.environments if env.freeze for w in _windows(env, start, horizon(start))]


def _windows(env: Environment, start: dt.date, until: dt.date) -> list[dict]:
    spec, found = env.freeze, []
    if spec.days and spec.open and spec.close:
        days = ",".join(str(_CRON_DAY[d]) for d in DAYS if d in spec.days)
        found.append(_deny(env, f"{spec.open.minute} {spec.open.hour} * * {_ranges(days)}",
                           _datetime(spec.close) - _datetime(spec.open),
                           f"{env.name}: market hours {spec.open:%H:%M}-{spec.close:%H:%M} (early closes stay frozen to "
                           f"{spec.close:%H:%M})"))
    if spec.calendar:
        for day, name in _holidays(spec.calendar, start, until):
            found.append(_deny(env, f"0 0 {day.day} {day.month} *", dt.timedelta(days=1),
                               f"{env.name}: {spec.calendar} holiday {day} ({name})"))
    tz = ZoneInfo(spec.timezone)
    found += [_adhoc(env, w, tz) for w in spec.adhoc if w.end.date() >= start and w.start.date() < until]
    return found


def _holidays(calendar: str, start: dt.date, until: dt.date) -> list[tuple[dt.date, str]]:
    days = {d: n for year in range(start.year, until.year + 1) for d, n in exchange.closed(calendar, year).items()}
    return sorted((d, n) for d, n in days.items() if start <= d < until)


def _adhoc(env: Environment, window: Adhoc, tz: ZoneInfo) -> dict:
    begin = window.start.astimezone(tz)
    return _deny(env, f"{begin.minute} {begin.hour} {begin.day} {begin.month} *", window.end - window.start,
                 f"{env.name}: ad-hoc freeze '{window.reason}' {begin:%Y-%m-%d %H:%M}")


def _deny(env: Environment, schedule: str, length: dt.timedelta, description: str) -> dict:
    # manualSync: a break-glass promotion is still synced by hand; automated sync waits.
    return {"kind": "deny", "schedule": schedule, "duration": _duration(length), "timeZone": env.freeze.timezone,
            "applications": [env.application], "manualSync": True, "description": description}


def _duration(length: dt.timedelta) -> str:
    """In Go's time.ParseDuration form, as Argo CD reads it: 6h30m, 24h, 90m."""
    hours, minutes = divmod(int(length.total_seconds()) // 60, 60)
    return (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes or not hours else "")


def _ranges(days: str) -> str:
    """`1,2,3,4,5` -> `1-5`; anything not one run stays a list."""
    numbers = [int(d) for d in days.split(",")]
    if len(numbers) > 2 and numbers == list(range(numbers[0], numbers[-1] + 1)):
        return f"{numbers[0]}-{numbers[-1]}"
    return days


def _datetime(clock: dt.time) -> dt.datetime:
    return dt.datetime.combine(dt.date(2000, 1, 1), clock)
