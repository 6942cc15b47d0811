"""Format a validation Report for people and for CI.

    print(format_report(report, "github"))
"""
from __future__ import annotations

import json
import re
from html import escape

from fks_gitops.problem import Problem
from fks_gitops.validate import Report

FORMATS = ("text", "json", "github", "junit", "sarif")
# "file:line:col" or "file:line" at the start of `where`: problems that point into a source file.
_LOCATION = re.compile(r"^(?P<file>[^:\s]+):(?P<line>\d+)(?::(?P<col>\d+))?")


def summary(report: Report) -> str:
    errors = sum(p.level == "error" for p in report.problems)
    warnings = len(report.problems) - errors
    n = len(report.environments)
    return (
        f"{n} environment{'s' * (n != 1)}, {report.objects} objects, {errors} error{'s' * (errors != 1)}, "
        f"{warnings} warning{'s' * (warnings != 1)} in {report.seconds:.2f} s (kustomize {report.renderer})"
    )


def _location(p: Problem) -> tuple[str, int | None, int | None]:
    match = _LOCATION.match(p.where)
    if match:
        col = match.group("col")
        return match.group("file"), int(match.group("line")), int(col) if col else None
    return p.where.split(":")[0], None, None


def _text(report: Report) -> str:
    return "\n".join([*map(str, report.problems), *report.notes, summary(report)])


def _json(report: Report) -> str:
    return json.dumps(
        {
            "environments": report.environments,
            "objects": report.objects,
            "seconds": round(report.seconds, 3),
            "renderer": report.renderer,
            "notes": report.notes,
            "problems": [vars(p) for p in report.problems],
        },
        indent=2,
    )


def _github(report: Report) -> str:
    # https://docs.github.com/actions/reference/workflow-commands-for-github-actions
    def line(p: Problem) -> str:
        file, row, col = _location(p)
        where = f"file={file}" + (f",line={row}" if row else "") + (f",col={col}" if col else "")
        message = f"{p.where}: {p.message}".replace("%", "%25").replace("\n", "%0A")
        return f"::{p.level} {where},title={p.rule}::{message}"

    return "\n".join([*map(line, report.problems), summary(report)])


def quoteattr(text: str) -> str:
    # html.escape's entities are XML's too; xml.sax would pull in urllib and ssl at start-up.
    return f'"{escape(text, quote=True)}"'


def _junit(report: Report) -> str:
    cases = []
    def of(p: Problem, env: str) -> bool:
        return p.where == f"overlays/{env}" or p.where.startswith(f"overlays/{env}:")

    for env in report.environments:
        mine = [p for p in report.problems if of(p, env)]
        body = "".join(
            f"<failure type={quoteattr(p.rule)} message={quoteattr(p.message)}>{escape(str(p))}</failure>"
            for p in mine
            if p.level == "error"
        )
        cases.append(f'  <testcase classname="validate" name={quoteattr(env)}>{body}</testcase>')
    rest = [p for p in report.problems if not any(of(p, e) for e in report.environments)]
    for p in rest:
        cases.append(
            f'  <testcase classname="validate" name={quoteattr(p.where)}>'
            + (f"<failure type={quoteattr(p.rule)} message={quoteattr(p.message)}/>" if p.level == "error" else "")
            + "</testcase>"
        )
    failures = sum(p.level == "error" for p in report.problems)
    head = (
        f'<testsuite name="fks-gitops-validate" tests="{len(cases)}" failures="{failures}" '
        f'time="{report.seconds:.3f}">'
    )
    return "\n".join(['<?xml version="1.0" encoding="UTF-8"?>', head, *cases, "</testsuite>"])


def _sarif(report: Report) -> str:
    # https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html
    def result(p: Problem) -> dict:
        file, row, col = _location(p)
        region = {"startLine": row, **({"startColumn": col} if col else {})} if row else None
        location = {"artifactLocation": {"uri": file}, **({"region": region} if region else {})}
        return {
            "ruleId": p.rule,
            "level": p.level,
            "message": {"text": f"{p.where}: {p.message}"},
            "locations": [{"physicalLocation": location}],
        }

    rules = sorted({p.rule for p in report.problems})
    run = {
        "tool": {"driver": {"name": "fks-gitops-validate", "rules": [{"id": r} for r in rules]}},
        "results": [result(p) for p in report.problems],
    }
    return json.dumps(
        {"version": "2.1.0", "$schema": "https://json.schemastore.org/sarif-2.1.0.json", "runs": [run]},
        indent=2,
    )


_FORMATTERS = {"text": _text, "json": _json, "github": _github, "junit": _junit, "sarif": _sarif}


def format_report(report: Report, fmt: str) -> str:
    return _FORMATTERS[fmt](report)
