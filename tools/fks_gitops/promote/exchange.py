"""Exchange calendars from the maintained `holidays` package: closed days and early closes.

    closed("NYSE", 2026)[dt.date(2026, 12, 25)]        # "Christmas Day"
    early_closes("NYSE", 2026)[dt.date(2026, 11, 27)]  # dt.time(13, 0)
    REGULAR_HOURS["NYSE"]                              # ("America/New_York", 09:30, 16:00)

Both are cached per calendar and year: the promotion audit asks about thousands of commits,
and building one year of the calendar costs tens of milliseconds; across runs too (resultcache,
keyed by the installed package), since importing `holidays` costs more than the rest of a run.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import importlib.util
import json
import re
from pathlib import Path

from fks_gitops import resultcache

# `holidays` names NYSE half days like "Christmas Eve (markets close at 1:00pm)".
_CLOSE = re.compile(r"close at (\d{1,2})(?::(\d{2}))?\s*([ap])\.?m", re.IGNORECASE)
# Regular session hours, which `holidays` does not carry: NYSE's core trading session runs
# 9:30 a.m. to 4:00 p.m. Eastern (https://www.nyse.com/markets/hours-calendars).
REGULAR_HOURS = {name: ("America/New_York", dt.time(9, 30), dt.time(16, 0)) for name in ("NYSE", "XNYS")}


def known(name: str) -> bool:
    """Whether `holidays` has a financial calendar called `name` (e.g. NYSE, XNYS). A yes is
    remembered (resultcache) by the content of the package's registry, where the names live:
    loading the environments then imports no `holidays`, which costs more than the rest of the load."""
    key = resultcache.digest("financial calendar", name, _registry()) if resultcache.enabled() else None
    if key and resultcache.passed(key):
        return True
    import holidays  # imported on first use

    # The registry's names, not list_supported_financial(): that imports every market's module.
    found = name in holidays.registry.EntityLoader.get_financial_codes()
    if found and key:
        resultcache.remember(key)
    return found


def _registry() -> str:
    """The digest of holidays/registry.py, found without importing the package."""
    spec = importlib.util.find_spec("holidays")
    origin = Path(spec.origin).with_name("registry.py") if spec and spec.origin else None
    try:
        return hashlib.sha256(origin.read_bytes()).hexdigest() if origin else "-"
    except OSError:
        return "-"


def _calendar(name: str, year: int, category: str) -> dict[dt.date, str]:
    """One year of one category, remembered (resultcache) by the installed package's version and
    registry: a validate whose sync windows and audit ask about known years imports no `holidays`."""
    package = _package()
    key = resultcache.digest("exchange calendar", name, str(year), category, package) if package else None
    kept = resultcache.read(key) if key else None
    if kept is not None:
        try:
            return {dt.date.fromisoformat(day): label for day, label in json.loads(kept).items()}
        except (ValueError, TypeError, AttributeError):
            pass  # a damaged entry: built again below
    import holidays

    try:
        found = dict(holidays.financial_holidays(name, years=year, categories=(category,)))
    except (NotImplementedError, ValueError):  # a market without that category, e.g. no half days
        found = {}
    if key:
        resultcache.write(key, json.dumps({day.isoformat(): str(label) for day, label in found.items()}))
    return found


@functools.cache
def _package() -> str | None:
    """The installed `holidays` (resultcache.package_identity: its version and top-level files,
    registry.py among them); None when it cannot be told without importing it (nothing is then
    remembered)."""
    return resultcache.package_identity("holidays")


@functools.cache
def closed(name: str, year: int) -> dict[dt.date, str]:
    """Days the exchange is closed all day, with their names."""
    return _calendar(name, year, "public")


@functools.cache
def early_closes(name: str, year: int) -> dict[dt.date, dt.time | None]:
    """Days the exchange closes early, with the time; None when the name gives no readable time."""
    return {day: close_time(label) for day, label in _calendar(name, year, "half_day").items()}


def close_time(label: str) -> dt.time | None:
    """`"Christmas Eve (markets close at 1:00pm)"` -> 13:00; None when no time is written."""
    match = _CLOSE.search(label)
    if not match:
        return None
    hour, minute = int(match[1]) % 12 + (12 if match[3].lower() == "p" else 0), int(match[2] or 0)
    return dt.time(hour, minute) if hour < 24 and minute < 60 else None
