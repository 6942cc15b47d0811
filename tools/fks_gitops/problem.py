"""One problem type, formatted like yamllint and flake8.

    >>> str(Problem("overlays/prod: Deployment/fks-trading/fks-execution", "pods.privileged", "error", "container 'x' is privileged"))
    "overlays/prod: Deployment/fks-trading/fks-execution: [error] container 'x' is privileged (pods.privileged)"
"""
from __future__ import annotations

from dataclasses import dataclass

LEVELS = ("error", "warning")


@dataclass(frozen=True, order=True)
class Problem:
    where: str
    rule: str
    level: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: [{self.level}] {self.message} ({self.rule})"


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.level == "error"]
