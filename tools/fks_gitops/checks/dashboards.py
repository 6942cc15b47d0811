"""Every Grafana dashboard panel's PromQL parses: one promtool run for all panels of all dashboards.

    problems = check(repo, {"execution.json": text, ...})   # the ConfigMaps' data, by key

Grafana fills in its variables before Prometheus sees a query, so they are replaced first by a
value of their kind: `$__rate_interval`, `$__interval`, `$__range` and a variable used as a
range (`[$window]`) by `5m`, `$__range_s` and `$__interval_ms` by numbers, any other `$var`,
`${var}` or `[[var]]` by a name. What is left is the query Prometheus would parse.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from fks_gitops.checks import monitoring, promql
from fks_gitops.problem import Location, Problem

RULE = "wiring.dashboard-query"
_NUMBERS = {"__range_s": "300", "__range_ms": "300000", "__interval_ms": "60000"}
_RANGE = re.compile(r"(\[|:)\s*\$\{?(\w+)(?::\w+)?\}?\s*(?=[\]:])")
_VARIABLE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]")


def check(repo: Path, data: dict[str, str]) -> list[Problem]:
    boards = {key: _board(repo, key, text) for key, text in sorted(data.items()) if key.endswith(".json")}
    boards = {key: board for key, board in boards.items() if board is not None}
    unreadable = [board for board in boards.values() if isinstance(board, Problem)]
    panels = [(key, data[key], title, expr) for key, board in boards.items() if not isinstance(board, Problem)
              for title, expr in _queries(board)]
    if not panels:
        return unreadable
    return unreadable + _parsed(repo, panels)


def _board(repo: Path, key: str, text: str) -> object:
    """The dashboard, the Problem Grafana would meet loading it (it shows no panel then), or None
    for one nested too deep to read (the encoding check names its line)."""
    try:
        return json.loads(text)
    except RecursionError:
        return None
    except ValueError as exc:
        message = f"dashboard {key} is not valid JSON: {getattr(exc, 'msg', exc)}; Grafana would not load it"
        where = Location(monitoring.source_file(repo, key, text), getattr(exc, "lineno", None), getattr(exc, "colno", None))
        return Problem("wiring.dashboard-json", "error", message, location=where)


def _parsed(repo: Path, panels: list[tuple[str, str, str, str]]) -> list[Problem]:
    """One promtool run over every panel's query."""
    failed, other = promql.unparsed([_filled(expr) for *_, expr in panels], "panel")
    problems = []
    for index, reason in failed:
        key, text, title, expr = panels[index]
        where = monitoring.source_line(repo, key, text, json.dumps(expr, ensure_ascii=False)[1:-1])
        problems.append(Problem(RULE, "error", f"panel {title!r}: the query does not parse: {reason}", location=where))
    if other:
        problems.append(Problem(RULE, "error", f"promtool could not check the dashboards' queries: {other}"))
    return problems


def _queries(board: object) -> list[tuple[str, str]]:
    """(panel title, expr) of every target of every panel, rows and nested panels included."""
    found, stack = [], [board] if isinstance(board, dict) else []
    while stack:
        node = stack.pop()
        for child in (node.get("panels") or []) + (node.get("rows") or []):
            if isinstance(child, dict):
                stack.append(child)
        for target in node.get("targets") or []:
            if isinstance(target, dict) and isinstance(target.get("expr"), str) and target["expr"].strip():
                found.append((str(node.get("title") or "untitled"), target["expr"]))
    return sorted(found)


def _filled(expr: str) -> str:
    expr = _RANGE.sub(lambda m: f"{m[1]}{_NUMBERS.get(m[2], '5m')}", expr)
    return _VARIABLE.sub(lambda m: _NUMBERS.get(m[1] or m[2] or m[3]) or ("5m" if (m[1] or m[2] or m[3]).startswith("__") else "x"), expr)
