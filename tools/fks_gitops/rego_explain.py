"""Why a Rego test rule failed: the value it compared and the value it expected.

    explain(engine, module, rule)  # 'data.demo.deny_pod is {"Pod/web: bare Pod"}, expected {"Pod/web: x"}'

`module` and `rule` are regorus' AST (Engine.get_ast_as_json). A test written like ours,
`<expr> == <expected> with input as ...` or `count(<expr>) == 0 with ...`, is taken apart by
the AST's spans; both sides are evaluated again, after the statements before the comparison
and under its `with` clauses, in a rule added to a clone of the engine. Any other shape: None.
"""
from __future__ import annotations

import json
import re

PROBE = "fks_explain_failure"
_LITERALS = {"Set", "Array", "Object", "String", "RawString", "Number", "True", "False", "Null"}


def _text(source: bytes, span: dict) -> str:
    return source[span["start"]:span["end"]].decode()


def _span(node: dict) -> dict:
    return next(iter(node.values()))["span"]


def _comparisons(stmts: list[dict]):
    """(index, lhs, rhs, with-clauses span end) of every `a == b` statement."""
    for i, stmt in enumerate(stmts):
        expr = (stmt.get("literal") or {}).get("Expr", {}).get("expr", {})
        compare = expr.get("BoolExpr")
        if compare and compare["op"] == "Eq":
            lhs, rhs = compare["lhs"], compare["rhs"]
            if next(iter(lhs)) in _LITERALS and next(iter(rhs)) not in _LITERALS:
                lhs, rhs = rhs, lhs  # `{"msg"} == deny_x`: the literal is the expected value
            yield i, lhs, rhs, stmt


def _aliases(module: dict, source: bytes) -> dict[str, str]:
    """`import data.lib.fixtures as fx` -> {"fx": "data.lib.fixtures"}; `import data.x` -> {"x": ...}."""
    aliases = {}
    for imp in module["ast"]["imports"]:
        path = _text(source, _span(imp["refr"]))
        alias = _text(source, imp["as"]) if imp.get("as") else path.rpartition(".")[2]
        aliases[alias] = path
    return aliases


def _shown(text: str, aliases: dict[str, str]) -> str:
    """The expression with import aliases spelt out, as `data.x.deny_y`."""
    return re.sub(r"(?<![\w.])(\w+)(?=\.)", lambda m: aliases.get(m[1], m[1]), " ".join(text.split()))


def rego_value(value) -> str:
    """A Python value from regorus, written as Rego writes it (`set()`, `{"a", "b"}`)."""
    if isinstance(value, (set, frozenset)):
        return "{" + ", ".join(sorted(map(rego_value, value))) + "}" if value else "set()"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(map(rego_value, value)) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{rego_value(k)}: {rego_value(v)}" for k, v in value.items()) + "}"
    return json.dumps(value, ensure_ascii=False)


def _counted(lhs: dict, source: bytes) -> str | None:
    """`count(x)` -> the text of x."""
    call = lhs.get("Call")
    if call and _text(source, _span(call["fcn"])) == "count" and len(call["params"]) == 1:
        return _text(source, _span(call["params"][0]))
    return None


def _probe(engine, module: dict, source: bytes, before: list[str], sides: list[str], withs: str):
    """[value of each side] after the statements `before`, under `withs`; None if undefined."""
    imports = "\n".join(_text(source, imp["span"]) for imp in module["ast"]["imports"])
    package = _text(source, module["ast"]["package"]["span"])
    body = [*before, *(f"__fks_side{i} := {side}{withs}" for i, side in enumerate(sides))]
    values = ", ".join(f"__fks_side{i}" for i in range(len(sides)))
    probe = engine.clone()
    probe.add_policy("fks-explain.rego", f"{package}\n{imports}\n{PROBE} := [{values}] if {{\n" + "\n".join(body) + "\n}\n")
    return probe.eval_rule(f"data.{package.split(None, 1)[1].strip()}.{PROBE}")


def explain(engine, module: dict, rule: dict) -> str | None:
    """'<expr> is <actual>, expected <expected>' for the first comparison of `rule` that does not hold."""
    spec = rule.get("Spec") or {}
    if len(spec.get("bodies") or ()) != 1:
        return None
    source = module["source"]["contents"].encode()
    stmts = spec["bodies"][0]["query"]["stmts"]
    for i, lhs, rhs, stmt in _comparisons(stmts):
        before = [_text(source, s["span"]) for s in stmts[:i]]
        # regorus' span of `set()` runs on into ` with`: the clauses start where the first one does.
        cut = stmt["with_mods"][0]["span"]["start"] if stmt.get("with_mods") else stmt["span"]["end"]
        withs = " " + source[cut:stmt["span"]["end"]].decode() if stmt.get("with_mods") else ""
        subject, counted = _text(source, _span(lhs)), _counted(lhs, source)
        expected = source[_span(rhs)["start"]:min(_span(rhs)["end"], cut)].decode().strip()
        sides = [subject, expected] + ([counted] if counted else [])
        values = _probe(engine, module, source, before, sides, withs)
        if values is not None and values[0] != values[1]:
            shown = _shown(counted or subject, _aliases(module, source))
            if counted:
                return f"{shown} is {rego_value(values[2])}, expected count {rego_value(values[1])}"
            return f"{shown} is {rego_value(values[0])}, expected {rego_value(values[1])}"
    return None
