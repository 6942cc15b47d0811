"""PyYAML's C loaders with a bound on nesting: libyaml's composer recurses in C without a
check, so a file of 50,000 `[` crashes the process (a segfault, not an exception).

    docs = yaml.load_all(text, Loader=yamldepth.CSafeLoader)   # as yaml.CSafeLoader
    found = too_deep(text)                                     # (line, column, depth) or None

A text past MAX_DEPTH raises a yaml.MarkedYAMLError at the line where it goes too deep, so every
caller's existing `except yaml.YAMLError` reports it like any other invalid YAML.
"""
from __future__ import annotations

import functools
import re

import yaml
from yaml.error import Mark, MarkedYAMLError

# Kubernetes objects, CRD schemas included, nest well under 100; Python walkers recurse ~3 frames a level.
MAX_DEPTH = 256
_OPEN, _CLOSE = "[{", "]}"
_BRACKET = re.compile(r"[\[\]{}]")
_PREFIX = re.compile(r"^[ \t?:-]*", re.M)  # the indentation and indicators before a line's content
_STARTS = (yaml.SequenceStartEvent, yaml.MappingStartEvent)
_ENDS = (yaml.SequenceEndEvent, yaml.MappingEndEvent)


def too_deep(text: str) -> tuple[int, int, int] | None:
    """(1-based line, column, depth) where `text` first nests past MAX_DEPTH; None when it does
    not, or when it is not YAML (its reader reports that). A bound from the indentation and the
    brackets clears ordinary files in one pass; only a file past it is parsed, event by event."""
    if _bound(text) <= MAX_DEPTH:
        return None
    parser = yaml.CBaseLoader(text)  # the parser keeps its own stack; only composing recurses
    depth = 0
    try:
        while parser.check_event():
            event = parser.get_event()
            if isinstance(event, _STARTS):
                depth += 1
                if depth > MAX_DEPTH:
                    return event.start_mark.line + 1, event.start_mark.column + 1, depth
            elif isinstance(event, _ENDS):
                depth -= 1
    except yaml.YAMLError:
        pass
    finally:
        parser.dispose()
    return None


def _bound(text: str) -> int:
    """At least the deepest nesting in `text`: a block level costs a column (two for a sequence
    under a key at the key's indentation), a flow level an open bracket."""
    block = 2 * max(map(len, _PREFIX.findall(text)), default=0) + 2
    if sum(text.count(c) for c in _OPEN) + block <= MAX_DEPTH:
        return block
    flow = deepest = 0
    for bracket in _BRACKET.finditer(text):
        flow = flow + 1 if bracket.group() in _OPEN else max(flow - 1, 0)
        deepest = max(deepest, flow)
    return block + deepest


class TooDeep(MarkedYAMLError):
    """A text nested past MAX_DEPTH; validate's encoding check reports it at its line."""


def _refusal(stream: object) -> TooDeep | None:
    if isinstance(stream, bytes):
        stream = stream.decode("utf-8", "replace")
    found = too_deep(stream) if isinstance(stream, str) else None
    if found is None:
        return None
    line, column, depth = found
    return TooDeep(problem=f"nested more than {MAX_DEPTH} levels deep; flatten it",
                   problem_mark=Mark("<text>", 0, line - 1, column - 1, None, None))


_PARSING = ("check_event", "peek_event", "get_event", "check_node", "get_node", "get_single_node",
            "check_data", "get_data", "get_single_data")


def _guarded(base: type) -> type:
    """`base` whose parsing raises the refusal, so it comes where callers catch YAMLError."""

    def __init__(self, stream) -> None:
        self._refusal = _refusal(stream)
        base.__init__(self, stream)

    def method(name: str):
        inner = getattr(base, name)

        def parse(self, *args):
            if self._refusal is not None:
                raise self._refusal
            return inner(self, *args)
        return parse

    return type(base.__name__, (base,), {"__init__": __init__, **{n: method(n) for n in _PARSING}})


CSafeLoader = _guarded(yaml.CSafeLoader)
CBaseLoader = _guarded(yaml.CBaseLoader)


@functools.lru_cache(maxsize=64)
def shared(text: str) -> object:
    """yaml.load(text) with CSafeLoader, once a process for a text several checks read (a
    ConfigMap's files, in every environment, by monitoring and wiring). The result is shared:
    read it, never change it."""
    return yaml.load(text, Loader=CSafeLoader)
