"""The `verify:` blocks of environments.yaml: an environment's Prometheus and the checks run
against it, before a version leaves the environment (promote's verification gate) and after a
deploy (the checklist of `promote.py --verify ENV`, repository-wide in `deploy_checks:`).

    defaults = checks(raw["deploy_checks"], DEPLOY_PLACEHOLDERS, "environments.yaml: deploy_checks")
    spec = parse(raw_env["verify"], defaults, "environments.yaml: environments[1].verify", timeout=10.0)
    spec.prometheus, spec.timeout, [c.name for c in spec.checks]
    Expectation.parse("< 0.01", "x").holds([0.002])           # True
    fill('ALERTS{namespace="{namespace}"}', {"namespace": "fks-trading-staging"})

A query's `{name}` placeholders are filled by the tool; PromQL's own braces always hold a matcher
(`{job="x"}`), never a bare word, so the two never meet.
"""
from __future__ import annotations

import operator
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from fks_gitops.errors import GitOpsError

IMAGE_PLACEHOLDERS = ("component", "version", "image")  # a check naming one runs once per moved image
PROMOTION_PLACEHOLDERS = (*IMAGE_PLACEHOLDERS, "namespace", "application", "soak", "since")
DEPLOY_PLACEHOLDERS = ("namespace", "application")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_COMPARISON = re.compile(r"^(==|!=|>=|<=|>|<)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)$")
_OPS = {"==": operator.eq, "!=": operator.ne, ">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt}
DEFAULT_TIMEOUT = 10.0  # seconds, for each query


@dataclass(frozen=True)
class Expectation:
    text: str  # as written: "empty", "nonempty", "< 0.01"
    op: str | None = None
    bound: float | None = None

    @classmethod
    def parse(cls, text: str, where: str) -> Expectation:
        text = " ".join(text.split())
        if text in ("empty", "nonempty"):
            return cls(text)
        match = _COMPARISON.match(text)
        if not match:
            raise GitOpsError(f"{where}: expect {text!r} is not 'empty', 'nonempty' or a comparison like '> 0'")
        return cls(text, match[1], float(match[2]))

    def holds(self, values: Sequence[float]) -> bool:
        """A comparison holds for every value, and needs one: no series proves nothing."""
        if self.op is None:
            return (not values) == (self.text == "empty")
        return bool(values) and all(_OPS[self.op](v, self.bound) for v in values)

    def failing(self, values: Sequence[float]) -> list[int]:
        """Indices of the values a comparison rejects (all of them for empty and nonempty)."""
        if self.op is None:
            return list(range(len(values)))
        return [i for i, v in enumerate(values) if not _OPS[self.op](v, self.bound)]


@dataclass(frozen=True)
class Check:
    name: str
    query: str
    expect: Expectation
    components: tuple[str, ...] = ()  # only when one of these moves; empty: whatever moves

    @property
    def per_image(self) -> bool:
        return any(p in IMAGE_PLACEHOLDERS for p in _PLACEHOLDER.findall(self.query))


@dataclass(frozen=True)
class Verify:
    prometheus: str
    timeout: float = DEFAULT_TIMEOUT
    credentials: str | None = None  # the environment variable holding user:password for basic auth
    checks: tuple[Check, ...] = ()  # before a version leaves this environment
    deploy: tuple[Check, ...] = ()  # the deploy checklist: deploy_checks, then the environment's own


def fill(query: str, values: Mapping[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda m: values[m[1]], query)


def checks(raw: Sequence[dict], allowed: Sequence[str], where: str, before: Sequence[Check] = ()) -> tuple[Check, ...]:
    """The checks of one list, after `before` (the repository's deploy_checks for an environment's own)."""
    found = list(before)
    for i, item in enumerate(raw):
        here = f"{where}[{i}]"
        unknown = sorted(set(_PLACEHOLDER.findall(item["query"])) - set(allowed))
        if unknown:
            raise GitOpsError(f"{here}: query placeholder {{{unknown[0]}}} is not one of "
                              + ", ".join(f"{{{p}}}" for p in allowed))
        found.append(Check(item["name"], item["query"].strip(), Expectation.parse(item["expect"], here),
                           tuple(item.get("components") or ())))
    names = [c.name for c in found]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise GitOpsError(f"{where}: check name {repeated[0]!r} repeats; names go into commit trailers, keep them unique")
    return tuple(found)


def parse(raw: dict | None, deploy_checks: Sequence[Check], where: str, timeout: float) -> Verify | None:
    """`deploy_checks`: the repository's, parsed once; `timeout`: the block's own, in seconds."""
    if not raw:
        return None
    return Verify(raw["prometheus"].rstrip("/"), timeout, raw.get("credentials"),
                  checks(raw.get("checks") or (), PROMOTION_PLACEHOLDERS, f"{where}.checks"),
                  checks(raw.get("deploy") or (), DEPLOY_PLACEHOLDERS, f"{where}.deploy", deploy_checks))
