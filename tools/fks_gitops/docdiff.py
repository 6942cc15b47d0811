"""Where two parsed YAML documents differ, path by path.

    for path, old, new in diff(before, after):
        print(show(path), old, new)   # spec.template.spec.containers[0].image '1.4.2' '1.4.3'

A path is a tuple of tokens: mapping keys as they are, list indexes as "[i]" (the form
parity's allow patterns use). Lists of different lengths, and values of different types,
differ as a whole.
"""
from __future__ import annotations

from collections.abc import Iterator

Tokens = tuple[object, ...]


def diff(a: object, b: object, path: Tokens = ()) -> Iterator[tuple[Tokens, object, object]]:
    """(path, a's value, b's value) for every leaf that differs; a key missing on one side is None there."""
    if isinstance(a, dict) and isinstance(b, dict):
        # key=str: YAML keys may mix types (1 and "a"), which sorted() alone cannot order
        for key in sorted(a.keys() | b.keys(), key=str):
            yield from diff(a.get(key), b.get(key), (*path, key))
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            yield from diff(x, y, (*path, f"[{i}]"))
    elif a != b:
        yield path, a, b


def show(path: Tokens) -> str:
    """('spec', 'ports', '[0]', 'port') -> 'spec.ports[0].port'; the empty path (the whole document) -> '.'."""
    out = ""
    for token in path:
        text = str(token)
        out += text if _is_index(token) else (f".{text}" if out else text)
    return out or "."


def _is_index(token: object) -> bool:
    return isinstance(token, str) and token.startswith("[") and token.endswith("]") and token[1:-1].isdigit()
