"""Durations as the tools print them.

    hours(timedelta(hours=26, minutes=5))   # "26h": the Soak trailer's unit
    age(timedelta(days=3, hours=4))         # "3d 4h"
    promql(timedelta(hours=36))             # "1d12h": a verify query's {soak}
"""
from __future__ import annotations

import datetime as dt


def hours(delta: dt.timedelta) -> str:
    """`26h`, or `45m` under an hour: the Soak trailer's unit."""
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60}h" if minutes >= 60 or minutes == 0 else f"{minutes}m"


def parse_hours(text: str) -> dt.timedelta | None:
    """The inverse of hours() for a trailer's value: `26h` or `45m`; None when it is neither."""
    text = text.strip()
    if text[:-1].isdigit() and text[-1:] in ("h", "m"):
        return dt.timedelta(**{"hours" if text[-1] == "h" else "minutes": int(text[:-1])})
    return None


def age(delta: dt.timedelta) -> str:
    """`3d 4h`, `4h 12m`, `12m`: how long a version has been somewhere."""
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    if days:
        return f"{days}d {rest // 60}h"
    return f"{rest // 60}h {rest % 60}m" if rest >= 60 else f"{rest}m"


def promql(delta: dt.timedelta) -> str:
    """A PromQL duration in whole seconds: 90 minutes is `1h30m`, 36 hours `1d12h`."""
    seconds, parts = int(delta.total_seconds()), []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        parts += [f"{count}{unit}"] if count else []
    return "".join(parts) or "0s"
