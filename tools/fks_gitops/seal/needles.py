"""Literal strings one of which every match of a regular expression contains: a text holding
none of them cannot match, and `in` finds a string many times faster than `re` runs an
alternation (seal/detect.py asks this before each trigger's pass over a file).

    found = needles(r"(?:AKIA|ASIA)[0-9A-Z]{16}|(?i:aws.{0,20}?key)")
    # (("AKIA", False), ("ASIA", False), ("aws", True)): True means in fold(text)
    may_match(found, text, fold(text))          # False: no pass needed
    needles(r"[a-z]+")                           # None: no literal is required

Derived from the parsed pattern, so always sound (never a match the needles say cannot be):
repeats that may run zero times, classes, wildcards and lookarounds require nothing; a
case-blind literal is looked for, lowered, in fold(text), which maps the four characters
Python's re matches case-blind to an ASCII letter (İ ı ſ K) to it and keeps every offset.
"""
from __future__ import annotations

import re
from re import _constants as sre
from re import _parser as sre_parse

Needle = tuple[str, bool]  # (text, case-blind: look in fold(text))
_FOLD = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})
_MOST = 64  # strings an exact part may stand for before it is dropped
_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT)


def fold(text: str) -> str:
    """`text` lowered as case-blind matching sees it, one character for one (line offsets hold)."""
    return text.translate(_FOLD).lower()


def needles(pattern: str, flags: int = 0, folded: bool = False) -> tuple[Needle, ...] | None:
    """What every match of `pattern` contains one of; None when nothing is required. `folded`:
    the pattern runs on fold(text), so its literals are looked for there."""
    try:
        parsed = sre_parse.parse(pattern, flags)
    except re.error:
        return None
    _, best = _sequence(list(parsed), bool(parsed.state.flags & re.IGNORECASE) or folded)
    return tuple(sorted(best)) if best else None


def may_match(found: tuple[Needle, ...] | None, text: str, folded: str) -> bool:
    return found is None or any(n in (folded if blind else text) for n, blind in found)


def _sequence(items: list, blind: bool) -> tuple[set[Needle] | None, set[Needle] | None]:
    """(the exact strings the items match, when finite; the best required set among them)."""
    candidates, run, exact = [], {("", False)}, True
    for op, arg in items:
        if op is sre.AT:  # zero-width: the characters around it are adjacent
            continue
        part = _exact(op, arg, blind)
        if part is not None and len(run) * len(part) <= _MOST:
            run = {_joined(a, b) for a in run for b in part}
            continue
        exact = False
        candidates.append(run)
        run = {("", False)}
        candidates.append(_required(op, arg, blind))
    candidates.append(run)
    useful = [c for c in candidates if c and all(text for text, _ in c)]
    best = max(useful, key=lambda c: (min(len(t) for t, _ in c), -len(c)), default=None)
    return (run if exact else None), best


def _joined(a: Needle, b: Needle) -> Needle:
    blind = a[1] or b[1]
    text = a[0] + b[0]
    return (fold(text), True) if blind else (text, False)


def _exact(op, arg, blind: bool) -> set[Needle] | None:
    if op is sre.LITERAL:
        char = chr(arg)
        if not blind:
            return {(char, False)}
        return {(fold(char), True)} if char.isascii() else None  # µ also matches μ: no needle
    if op is sre.IN and all(kind is sre.LITERAL for kind, _ in arg):  # [rs], or r|s as re parses it
        parts = [_exact(kind, code, blind) for kind, code in arg]
        return None if None in parts else set().union(*parts)
    if op in (sre.SUBPATTERN, sre.ATOMIC_GROUP):
        inner, inner_blind = _inner(op, arg, blind)
        found, _ = _sequence(list(inner), inner_blind)
        return found
    if op is sre.BRANCH:
        parts = [_sequence(list(branch), blind)[0] for branch in arg[1]]
        if any(p is None for p in parts) or sum(len(p) for p in parts) > _MOST:
            return None
        return set().union(*parts)
    return None


def _required(op, arg, blind: bool) -> set[Needle] | None:
    if op in (sre.SUBPATTERN, sre.ATOMIC_GROUP):
        inner, inner_blind = _inner(op, arg, blind)
        return _sequence(list(inner), inner_blind)[1]
    if op is sre.BRANCH:
        parts = [_sequence(list(branch), blind)[1] for branch in arg[1]]
        return None if any(not p for p in parts) else set().union(*parts)
    if op in _REPEATS and arg[0] >= 1:
        return _sequence(list(arg[2]), blind)[1]
    return None  # a class, a wildcard, a lookaround, a back-reference: nothing literal


def _inner(op, arg, blind: bool) -> tuple[object, bool]:
    if op is sre.ATOMIC_GROUP:
        return arg, blind
    _, added, removed, inner = arg
    return inner, (blind or bool(added & re.IGNORECASE)) and not removed & re.IGNORECASE
