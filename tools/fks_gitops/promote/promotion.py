"""Promote image versions along the environment chain as one gated, validated commit.

    result = promote(repo, Request(target="prod", now=now))
    result.commit          # sha, or None when there was nothing to promote
    promote(repo, Request(target="dev", images=("fks-execution:1.4.3",), push=True))

Order of work: plan (which images move) -> edit the text in memory -> GATES (order, soak, freeze,
rolled-back hold; then drift and validation on the edited overlay rendered in a scratch tree, while
the current render runs meanwhile) -> write (atomic) -> commit; a failure after the write puts the
original bytes back, so the working tree never holds an edit the gates did not pass.
`now` is for library callers (tests, dry runs); the command line gives it only with --dry-run, and
the commit is dated `now`, so the audit replays the gates at the very time they ran. Before any of
it: a detached HEAD, a missing identity or remote is refused, and a writing run takes the working
tree's lock (one promotion per tree at a time). `--push` retries on a moved remote by starting over
from its tip, so every promotion is computed, gated and validated on what it lands on.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import importlib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from fks_gitops import atomic, environments, repo_git
from fks_gitops.promote import gates
from fks_gitops.promote import images
from fks_gitops.promote import lock
from fks_gitops.promote import rendered
from fks_gitops.environments import Config, Environment
from fks_gitops import errors
from fks_gitops.promote.history import History
from fks_gitops.promote.message import commit_message
from fks_gitops.promote.plan import Change, plan
from fks_gitops.problem import Problem
from fks_gitops.render import render

if TYPE_CHECKING:
    import git

RETRIES = 3  # pushes rejected because the remote moved on; each retry rebuilds the promotion
Validator = Callable[[Path, str, list[dict]], list[Problem]]


@dataclass(frozen=True)
class Request:
    target: str
    images: tuple[str, ...] = ()
    components: tuple[str, ...] = ()
    rollback: bool = False
    break_glass: str | None = None  # the reason; None without --break-glass
    dry_run: bool = False
    push: bool = False
    branch: str | None = None
    now: dt.datetime | None = None  # None: the real clock


@dataclass(frozen=True)
class Promotion:
    target: str
    changes: tuple[Change, ...] = ()
    message: str = ""
    kustomization_diff: str = ""
    rendered_diff: str = ""
    refusals: tuple[gates.Refusal, ...] = ()  # only a dry run returns them; a real run raises
    overridden: tuple[gates.Refusal, ...] = ()  # what --break-glass let through
    commit: str | None = None
    branch: str | None = None
    pushed: bool = False
    attempts: int = 1
    took_over: str | None = None  # a stale lock this run took over (promote/lock.py)


class Refused(errors.Refused):
    """A gate or validation said no; `lines` say why, one each."""

    def __init__(self, message: str, lines: list[str]) -> None:
        super().__init__(message)
        self.lines = lines


def validate_target(repo: Path, env: str, docs: list[dict]) -> list[Problem]:
    """Errors of `validate` for the target, reusing its render (imported late: only promotions need it).
    The promotion audit is left out: it judges history, and this promotion runs the same gates itself."""
    from fks_gitops import validate

    report = validate.validate(repo, envs=[env], rendered={env: docs}, skip=("promotions",))
    return [p for p in report.problems if p.level == "error"]


def promote(repo: Path, request: Request, validator: Validator | None = None) -> Promotion:
    config = environments.load(repo)
    target = config.get(request.target)
    request = replace(request, now=request.now or dt.datetime.now(dt.timezone.utc))
    run = _Run(repo, config, target, request, validator or validate_target)
    writing = not request.dry_run
    git_dir = repo_git.preflight(repo, writing, request.push and writing, bool(request.branch) and writing)
    held = lock.hold(git_dir) if writing and git_dir else contextlib.nullcontext()
    with held as took_over:
        result = _promote(repo, run, target, request)
    return replace(result, took_over=took_over)


def _promote(repo: Path, run: _Run, target: Environment, request: Request) -> Promotion:
    # kustomize starts on the current render at once, while GitPython loads and checks the tree;
    # the first attempt uses it (a dirty tree is refused before it matters). validate's checks
    # load meanwhile too: their imports cost about a tenth of a second.
    with ThreadPoolExecutor(max_workers=2) as pool:
        early = pool.submit(render, repo / target.overlay, target.overlay)
        pool.submit(importlib.import_module, "fks_gitops.checks")
        with repo_git.open_repo(repo) as g:
            original = repo_git.current_branch(g)
            repo_git.refuse_dirty(g)
            if request.branch and not request.dry_run:
                return run.on_branch(g, original, early)
            if request.push and not request.dry_run:
                return run.pushed(g, early)
            return run.attempt(g, early)


@dataclass(frozen=True)
class _Run:
    repo: Path
    config: Config
    target: Environment
    request: Request
    validator: Validator

    @property
    def path(self) -> str:
        return f"{self.target.overlay}/kustomization.yaml"

    def attempt(self, g: git.Repo, before: Future | None = None) -> Promotion:
        """`before`: the current render, when already started on this very tree."""
        if before is not None:
            return self._attempt(g, before)
        with ThreadPoolExecutor(max_workers=1) as pool:
            return self._attempt(g, pool.submit(render, self.repo / self.target.overlay, self.target.overlay))

    def _attempt(self, g: git.Repo, before: Future) -> Promotion:
        req, target = self.request, self.target
        text = (self.repo / self.path).read_text()
        history = History(self.repo, [e.overlay for e in self.config.environments])
        changes = plan(self.repo, self.config, target, req, text, history)
        if not changes:
            return Promotion(target.name)
        new_text = images.edit(text, {c.new.name: c.new for c in changes}, target.overlay)
        # The edited overlay renders (in a scratch tree) while the cheap gates run.
        with ThreadPoolExecutor(max_workers=1) as pool:
            after = pool.submit(rendered.candidate, self.repo, target.overlay, new_text)
            candidate = gates.Candidate(before, after.result, lambda docs: self.validator(self.repo, target.name, docs))
            facts = gates.Facts(self.config, target, tuple(changes), history, req.rollback, candidate)
            verdict = gates.evaluate(gates.GATES, facts, req.now, bool(req.break_glass), exhaustive=req.dry_run)
        result = Promotion(
            target.name,
            tuple(changes),
            self._message(changes, repo_git.head(g)),
            rendered.text_diff(text, new_text, self.path),
            rendered.unified(before.result(), candidate.after, target.overlay) if req.dry_run else "",
            refusals=verdict.blocking,
            overridden=verdict.overridden,
        )
        if req.dry_run:
            return result
        if verdict.blocking:
            raise Refused(f"{target.name}: promotion refused; nothing changed", [str(r) for r in verdict.blocking])
        return replace(result, refusals=(), commit=self._commit(g, new_text, result.message))

    def _commit(self, g: git.Repo, new_text: str, msg: str) -> str:
        """Write and commit what the gates passed; any failure puts the original bytes back."""
        path = self.repo / self.path
        original = path.read_bytes()
        atomic.write(path, new_text)
        try:
            return repo_git.commit(g, self.path, msg, self.request.now)
        except BaseException:
            atomic.write(path, original)
            raise

    def _message(self, changes: list[Change], sha: str) -> str:
        source = None if self.request.rollback else self.config.previous(self.target)
        return commit_message(
            "rollback" if self.request.rollback else "promote",
            self.target.name,
            changes,
            f"{source.name}@{sha}" if source else None,
            self.request.break_glass,
        )

    def pushed(self, g: git.Repo, early: Future | None = None) -> Promotion:
        remote, branch = repo_git.upstream(g)
        repo_git.refuse_unpushed(g, remote, branch)
        start = repo_git.head(g)
        try:
            for attempt in range(1, RETRIES + 2):
                if attempt > 1:
                    repo_git.sync(g, remote, branch)
                result = self.attempt(g, early if attempt == 1 else None)
                if result.commit is None:
                    return result
                if repo_git.push(g, remote, f"HEAD:{branch}"):
                    return replace(result, pushed=True, attempts=attempt)
            raise errors.Refused(f"push to {remote}/{branch} rejected {RETRIES + 1} times; nothing changed, try again")
        except BaseException:
            repo_git.reset(g, start)
            raise

    def on_branch(self, g: git.Repo, original: str, early: Future | None = None) -> Promotion:
        name = self.request.branch
        tracking = g.active_branch.tracking_branch()
        remote = tracking.remote_name if tracking else "origin"
        repo_git.start_branch(g, name)
        keep = False
        try:
            result = self.attempt(g, early)  # the new branch starts at HEAD: the same tree
            if result.commit and not repo_git.push(g, remote, f"{name}:{name}", set_upstream=True):
                raise errors.Refused(f"{remote} already has a different branch {name!r}; choose another --branch name")
            keep = result.commit is not None
            return replace(result, branch=name if keep else None, pushed=keep)
        finally:
            repo_git.leave_branch(g, original, name, keep)
