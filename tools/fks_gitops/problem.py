"""One problem type, structured like yamllint's LintProblem and conftest's Result.

    Problem("schemas.invalid", "error", "unknown field 'contaners'",
            location=Location("base/execution/deployment.yaml", 48, 11),
            object=ObjectRef("Deployment", "fks-execution"), environments=("dev", "prod"))

A check that knows only the rendered object gives `object` and `pointer` (a JSON pointer to
the field); validate then finds the line to edit (sourcemap.py) before the report is made.
Text comes from the report layer; nothing parses it back.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

LEVELS = ("error", "warning")


@dataclass(frozen=True, order=True)
class Location:
    file: str
    line: int | None = None
    col: int | None = None

    def __str__(self) -> str:
        return self.file + "".join(f":{n}" for n in (self.line, self.col) if n is not None)


@dataclass(frozen=True, order=True)
class ObjectRef:
    kind: str
    name: str
    namespace: str | None = None  # differs per environment, so text leaves it out

    @classmethod
    def of(cls, doc: dict) -> ObjectRef:
        meta = doc.get("metadata") or {}
        return cls(str(doc.get("kind", "?")), str(meta.get("name", "?")), meta.get("namespace"))

    def __str__(self) -> str:
        return f"{self.kind}/{self.name}"


@dataclass(frozen=True)
class Problem:
    rule: str
    level: str
    message: str
    location: Location | None = None
    object: ObjectRef | None = None
    environments: tuple[str, ...] = ()
    pointer: str | None = None  # JSON pointer into `object`; validate turns it into `location`

    def __str__(self) -> str:
        where = str(self.location) if self.location else "(no file)"
        what = f"{self.object}: " if self.object else ""
        envs = f" [{', '.join(self.environments)}]" if self.environments else ""
        return f"{where}: [{self.level}] {what}{self.message} ({self.rule}){envs}"

    def key(self) -> tuple:
        """What makes two problems the same one, whatever environment they were found in."""
        obj = (self.object.kind, self.object.name) if self.object else None
        return (self.rule, self.level, self.location, obj, self.message)


def from_dict(raw: dict) -> Problem:
    """A Problem from its dataclasses.asdict() form (the caches keep problems as JSON)."""
    location, obj = raw.get("location"), raw.get("object")
    return Problem(raw["rule"], raw["level"], raw["message"], Location(**location) if location else None,
                   ObjectRef(**obj) if obj else None, tuple(raw.get("environments") or ()), raw.get("pointer"))


def at(doc: dict, rule: str, level: str, message: str, pointer: str | None = None,
       env: str | None = None) -> Problem:
    """A problem with a rendered object, to be located by validate."""
    return Problem(rule, level, message, object=ObjectRef.of(doc), environments=(env,) if env else (),
                   pointer=pointer)


def in_file(file: str, rule: str, level: str, message: str, line: int | None = None,
            col: int | None = None) -> Problem:
    return Problem(rule, level, message, location=Location(file, line, col))


def merge(problems: Iterable[Problem], order: Iterable[str] = ()) -> list[Problem]:
    """One problem per key, with every environment it was found in (in chain order)."""
    rank = {name: i for i, name in enumerate(order)}
    found: dict[tuple, Problem] = {}
    for p in problems:
        key = p.key()
        if key in found:
            envs = set(found[key].environments) | set(p.environments)
            found[key] = replace(found[key], environments=tuple(sorted(envs, key=lambda e: (rank.get(e, 99), e))))
        else:
            found[key] = p
    return sorted(found.values(), key=_order)


def _order(p: Problem) -> tuple:
    loc = p.location or Location("")
    return (loc.file, p.level != "error", loc.line or 0, loc.col or 0, p.rule, p.message)


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.level == "error"]
