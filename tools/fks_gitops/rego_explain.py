"""Why a Rego test rule failed: the value it compared and the value it expected.

    explain(sources, "policy/demo_test.rego", "test_pod_message_wrong", rego.engine_for)
    # 'data.demo.deny_pod is {"Pod/web: bare Pod"}, expected {"Pod/web: something else"}'

A test written like ours, `<expr> == <expected> with input as ...` or `count(<expr>) == 0 with ...`,
one statement a line, is taken apart at its top-level `==` and `with`; both sides are evaluated
again, after the statements before the comparison and under its `with` clauses, in a rule added
to a fresh engine beside the policies. Any other shape: None.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable

PROBE = "fks_explain_failure"
_OPEN, _CLOSE = "([{", ")]}"


def _top_level(text: str, token: str) -> int:
    """Where `token` first stands outside brackets and strings in `text`, or -1."""
    depth, quote, i = 0, None, 0
    while i < len(text):
        ch = text[i]
        if quote:
            i += 2 if ch == "\\" and quote == '"' else 1
            quote = None if ch == quote else quote
            continue
        if ch in "\"`":
            quote = ch
        elif ch in _OPEN or ch in _CLOSE:
            depth += 1 if ch in _OPEN else -1
        elif depth == 0 and text.startswith(token, i):
            return i
        i += 1
    return -1


def _body(source: str, rule: str) -> list[str] | None:
    """The statements of `rule { ... }` in `source`, one a line, or None when it is not there."""
    found = re.search(rf"^{re.escape(rule)}\b[^\n]*\{{\n(?P<body>.*?)^\}}", source, re.MULTILINE | re.DOTALL)
    if not found:
        return None
    return [line.strip() for line in found["body"].splitlines() if line.strip() and not line.strip().startswith("#")]


def _comparison(stmt: str) -> tuple[str, str, str] | None:
    """`a == b with ...` -> (a, b, " with ..."); a literal on the left is the expected side."""
    eq = _top_level(stmt, "==")
    if eq < 0:
        return None
    cut = _top_level(stmt[eq:], " with ")
    rhs, withs = (stmt[eq + 2:], "") if cut < 0 else (stmt[eq + 2:eq + cut], stmt[eq + cut:])
    lhs, rhs = stmt[:eq].strip(), rhs.strip()
    if lhs[:1] in '{["' and rhs[:1] not in '{["':
        lhs, rhs = rhs, lhs
    return lhs, rhs, withs


def _aliases(source: str) -> dict[str, str]:
    """`import data.lib.fixtures as fx` -> {"fx": "data.lib.fixtures"}; `import data.x` -> {"x": ...}."""
    found = re.findall(r"^import\s+(data\.[\w.]+)(?:\s+as\s+(\w+))?", source, re.MULTILINE)
    return {alias or path.rpartition(".")[2]: path for path, alias in found}


def _shown(text: str, aliases: dict[str, str]) -> str:
    """The expression with import aliases spelt out, as `data.x.deny_y`."""
    return re.sub(r"(?<![\w.])(\w+)(?=\.)", lambda m: aliases.get(m[1], m[1]), " ".join(text.split()))


def rego_value(value, kind: str | None = None) -> str:
    """A value from OPA's JSON, written as Rego writes it (`set()`, `{"a", "b"}`); `kind` is its type_name."""
    if kind == "set":
        return "{" + ", ".join(sorted(map(rego_value, value))) + "}" if value else "set()"
    if isinstance(value, list):
        return "[" + ", ".join(map(rego_value, value)) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{rego_value(k)}: {rego_value(v)}" for k, v in value.items()) + "}"
    return json.dumps(value, ensure_ascii=False)


def _probe(sources: dict[str, str], label: str, before: list[str], sides: list[str], withs: str,
           engine_for: Callable) -> list | None:
    """[(value, type_name)] of each side after the statements `before`, under `withs`; None if undefined."""
    source = sources[label]
    package = re.search(r"^package\s+([\w.]+)", source, re.MULTILINE)[1]
    imports = "\n".join(re.findall(r"^import\s+[^\n]+", source, re.MULTILINE))
    body = [*before, *(f"__fks_side{i} := {side}{withs}" for i, side in enumerate(sides))]
    pairs = ", ".join(f"[__fks_side{i}, type_name(__fks_side{i})]" for i in range(len(sides)))
    probe = f"package {package}\n{imports}\n{PROBE} := [{pairs}] if {{\n" + "\n".join(body) + "\n}\n"
    engine = engine_for({**sources, "fks-explain.rego": probe})
    rows = engine.eval_query(f"x := data.{package}.{PROBE}")
    return rows[0]["x"] if rows else None


def explain(sources: dict[str, str], label: str, rule: str, engine_for: Callable) -> str | None:
    """'<expr> is <actual>, expected <expected>' for the first comparison of `rule` that does not hold."""
    stmts = _body(sources[label], rule)
    for i, stmt in enumerate(stmts or ()):
        parts = _comparison(stmt)
        if parts is None:
            continue
        subject, expected, withs = parts
        counted = subject[6:-1] if subject.startswith("count(") and subject.endswith(")") else None
        try:
            values = _probe(sources, label, stmts[:i], [subject, expected] + ([counted] if counted else []),
                            withs, engine_for)
        except Exception:  # noqa: BLE001 - the probe itself failed: the plain verdict still stands
            return None
        if values is not None and values[0][0] != values[1][0]:
            shown = _shown(counted or subject, _aliases(sources[label]))
            if counted:
                return f"{shown} is {rego_value(*values[2])}, expected count {rego_value(*values[1])}"
            return f"{shown} is {rego_value(*values[0])}, expected {rego_value(*values[1])}"
    return None
