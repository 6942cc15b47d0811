"""Which of two image tags is older, when both are semantic versions (https://semver.org, with an
optional leading `v`, as image tags often have).

    older("1.9.34", "1.9.35")        # True
    older("1.10.0-rc.1", "1.10.0")   # True: a pre-release comes before its release
    older("sha-3f2a", "1.9.35")      # None: not both semver; the caller decides from history
"""
from __future__ import annotations

import re

_SEMVER = re.compile(r"v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?")
_MAX_DIGITS = 30  # a longer number is no version anyone released: compared as text, never converted


def older(new: str | None, old: str | None) -> bool | None:
    a, b = _key(new), _key(old)
    return None if a is None or b is None else a < b


def _key(tag: str | None) -> tuple | None:
    match = _SEMVER.fullmatch(tag or "")
    if match is None or any(len(part) > _MAX_DIGITS for part in match.groups()[:3]):
        return None
    release = tuple(int(part) for part in match.groups()[:3])
    pre = match[4]
    if pre is None:
        return (release, (1,))  # a release sorts after every pre-release of it
    return (release, (0, *(_identifier(p) for p in pre.split("."))))


def _identifier(part: str) -> tuple[int, int | str]:
    """Numeric identifiers sort numerically and before alphanumeric ones (semver 11.4)."""
    return (0, int(part)) if part.isdigit() and len(part) <= _MAX_DIGITS else (1, part)
