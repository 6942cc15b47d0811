"""Render every environment and run every check over it.

    report = validate(repo)                      # all environments
    report = validate(repo, ["prod"], rendered={"prod": docs})   # reuse a render
    errors(report.problems)
"""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from . import environments, render
from .environments import Config, Environment
from .errors import GitOpsError
from .problem import Problem


@dataclass(frozen=True)
class EnvContext:
    """What a per-environment check sees."""

    config: Config
    env: Environment
    docs: list[dict]
    schema_locations: tuple[Path, ...] = ()

    @property
    def where(self) -> str:
        return self.env.overlay


@dataclass(frozen=True)
class RepoContext:
    """What a whole-repository check sees: every environment that rendered."""

    config: Config
    rendered: dict[str, list[dict]]


@dataclass
class Report:
    environments: list[str]
    objects: int
    problems: list[Problem]
    seconds: float
    renderer: str
    notes: list[str] = field(default_factory=list)


EnvCheck = Callable[[EnvContext], list[Problem]]
RepoCheck = Callable[[RepoContext], list[Problem]]


def _env_checks() -> list[tuple[str, EnvCheck]]:
    from . import checks

    return checks.PER_ENVIRONMENT


def _repo_checks() -> list[tuple[str, RepoCheck]]:
    from . import checks

    return checks.WHOLE_REPOSITORY


def validate(
    repo: Path,
    envs: Sequence[str] | None = None,
    rendered: dict[str, list[dict]] | None = None,
    schema_locations: Sequence[Path] = (),
) -> Report:
    started = time.perf_counter()
    config = environments.load(repo)
    selected = config.select(list(envs) if envs else None)
    docs, problems = _render(repo, selected, dict(rendered or {}))
    contexts = [EnvContext(config, e, docs[e.name], tuple(schema_locations)) for e in selected if e.name in docs]
    jobs = [(name, ctx.where, f, ctx) for ctx in contexts for name, f in _env_checks()]
    whole = RepoContext(config, docs)
    jobs += [(name, "repository", f, whole) for name, f in _repo_checks()]
    # Checks mostly wait on promtool/amtool or run in native code; threads keep both cores busy.
    with ThreadPoolExecutor(max_workers=4) as pool:
        for found in pool.map(lambda job: _run(*job), jobs):
            problems.extend(found)
    notes = []
    if len(docs) < 2:
        notes.append("parity not compared: it needs two environments (run without --env)")
    return Report(
        environments=[e.name for e in selected],
        objects=sum(len(d) for d in docs.values()),
        problems=sorted(set(problems), key=_order),
        seconds=time.perf_counter() - started,
        renderer=render.renderer().version,
        notes=notes,
    )


def _run(name: str, where: str, check: Callable, ctx: object) -> list[Problem]:
    try:
        return check(ctx)
    except GitOpsError:
        raise
    except Exception as exc:  # malformed input can trip a check; say which, keep the others' results
        message = f"check {name!r} failed: {type(exc).__name__}: {exc}; fix the schema errors first, else report a bug"
        return [Problem(where, "validate.check-failed", "error", message)]


def _render(
    repo: Path, selected: list[Environment], docs: dict[str, list[dict]]
) -> tuple[dict[str, list[dict]], list[Problem]]:
    missing = [e for e in selected if e.name not in docs]
    results = render.render_all(repo, [e.overlay for e in missing])
    problems = []
    for env in missing:
        result = results[env.overlay]
        if isinstance(result, render.RenderError):
            problems.append(Problem(env.overlay, "render", "error", result.detail))
        else:
            docs[env.name] = result
    return docs, problems


def _order(p: Problem) -> tuple:
    return (p.where.split(":")[0], p.level != "error", p.where, p.rule, p.message)
