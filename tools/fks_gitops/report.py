"""Format a validation Report for people and for CI.

    print(format_report(report, "github"))
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from html import escape

from fks_gitops.problem import Problem, from_dict

FORMATS = ("text", "json", "github", "junit", "sarif")


@dataclass
class Report:
    environments: list[str]
    objects: int
    problems: list[Problem]
    seconds: float
    renderer: str
    notes: list[str] = field(default_factory=list)
    policy_engine: str | None = None  # "OPA v1.20.2", or conftest's versions
    rendered: dict[str, list[dict]] = field(default_factory=dict, repr=False)  # environment -> documents (--diff)
    reused: list[str] = field(default_factory=list)  # environments unchanged since a run that checked them (envcache)
    # What the run's keys read (runcache's record): each file's digest as read, and for each
    # environment that rendered with no refused input, the files its key holds.
    read: dict[str, str] = field(default_factory=dict, repr=False)
    reached: dict[str, list[str]] = field(default_factory=dict, repr=False)
    renderer_argv: tuple[str, ...] = ()

    @classmethod
    def remembered(cls, data: dict, seconds: float) -> Report:
        """A report runcache kept (its JSON fields), every environment reused."""
        return cls(data["environments"], data["objects"], [from_dict(p) for p in data["problems"]], seconds,
                   data["renderer"], data["notes"], data["policy_engine"], reused=list(data["environments"]))


def summary(report: Report) -> str:
    errors = sum(p.level == "error" for p in report.problems)
    warnings = len(report.problems) - errors
    n = len(report.environments)
    return (
        f"{n} environment{'s' * (n != 1)}, {report.objects} objects, {errors} error{'s' * (errors != 1)}, "
        f"{warnings} warning{'s' * (warnings != 1)} in {report.seconds:.2f} s (kustomize {report.renderer}"
        f"{', policies on ' + report.policy_engine if report.policy_engine else ''})"
    )


def _text(report: Report) -> str:
    return "\n".join([*map(str, report.problems), *report.notes, summary(report)])


def _fields(p: Problem) -> dict:
    loc, obj = p.location, p.object
    return {
        "rule": p.rule, "level": p.level, "message": p.message,
        "location": {"file": loc.file, "line": loc.line, "col": loc.col} if loc else None,
        "object": {"kind": obj.kind, "name": obj.name, "namespace": obj.namespace} if obj else None,
        "environments": list(p.environments),
    }


def _json(report: Report) -> str:
    return json.dumps(
        {
            "environments": report.environments,
            "objects": report.objects,
            "seconds": round(report.seconds, 3),
            "renderer": report.renderer,
            "policy_engine": report.policy_engine,
            "notes": report.notes,
            "problems": [_fields(p) for p in report.problems],
        },
        indent=2,
    )


def _said(p: Problem) -> str:
    """The message with its object and environments, for formats that show the location apart."""
    envs = f" [{', '.join(p.environments)}]" if p.environments else ""
    return f"{p.object}: {p.message}{envs}" if p.object else f"{p.message}{envs}"


def _github(report: Report) -> str:
    # https://docs.github.com/actions/reference/workflow-commands-for-github-actions
    def line(p: Problem) -> str:
        loc = p.location
        parts = [f"file={loc.file}"] if loc else []
        parts += [f"line={loc.line}"] if loc and loc.line else []
        parts += [f"col={loc.col}"] if loc and loc.col else []
        message = _said(p).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        return f"::{p.level} {','.join([*parts, f'title={p.rule}'])}::{message}"

    return "\n".join([*map(line, report.problems), summary(report)])


def quoteattr(text: str) -> str:
    # html.escape's entities are XML's too; xml.sax would pull in urllib and ssl at start-up.
    return f'"{escape(text, quote=True)}"'


def _junit(report: Report) -> str:
    """One testcase per check and environment (the check is the rule's first part)."""
    cases: dict[tuple[str, str], list[Problem]] = {}
    for p in report.problems:
        for env in p.environments or ("repository",):
            cases.setdefault((p.rule.split(".")[0], env), []).append(p)
    body = []
    for (check, env), found in sorted(cases.items()):
        failures = "".join(
            f"<failure type={quoteattr(p.rule)} message={quoteattr(p.message)}>{escape(str(p))}</failure>"
            for p in found if p.level == "error"
        )
        body.append(f"  <testcase classname={quoteattr(check)} name={quoteattr(env)}>{failures}</testcase>")
    failed = sum(1 for found in cases.values() if any(p.level == "error" for p in found))
    head = (f'<testsuite name="fks-gitops-validate" tests="{len(body)}" failures="{failed}" '
            f'time="{report.seconds:.3f}">')
    return "\n".join(['<?xml version="1.0" encoding="UTF-8"?>', head, *body, "</testsuite>"])


def _sarif(report: Report) -> str:
    # https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html
    def result(p: Problem) -> dict:
        loc = p.location
        found = {"ruleId": p.rule, "level": p.level, "message": {"text": _said(p)}}
        if loc:
            region = {k: v for k, v in (("startLine", loc.line), ("startColumn", loc.col)) if v}
            physical = {"artifactLocation": {"uri": loc.file}, **({"region": region} if region else {})}
            found["locations"] = [{"physicalLocation": physical}]
        return found

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
