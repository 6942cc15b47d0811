"""Promote image versions along the environment chain as one gated, validated commit.

    result = promote(repo, Request(target="prod", now=now))
    result.commit          # sha, or None when there was nothing to promote
    promote(repo, Request(target="dev", images=("fks-execution:1.4.3",), push=True))

Order of work: plan (which images move) -> edit the text in memory -> GATES (order, downgrade,
soak, freeze, rolled-back hold; then verification against the source's Prometheus, drift and
validation on the edited overlay rendered in a scratch tree, while the current render runs
meanwhile) -> write (atomic) -> commit; a failure
after the write puts the original bytes back, so the working tree never holds an edit the gates
did not pass. `now` is for library callers (tests, dry runs); the command line gives it only with
--dry-run, and the commit is dated `now`, so the audit replays the gates at the very time they ran.

Before any of it: a detached HEAD, a missing identity or remote is refused, and a writing run
takes the working tree's lock, which journals each stage (promote/lock.py): a killed run is
recognised, and `--abort` (promote/recovery.py) undoes what it left. `--push` first fetches and
refuses local commits the remote lacks; when the remote moves on meanwhile it fetches, starts
over from the new tip (plan, gates, validation) and pushes again, with jittered exponential
backoff, for up to RETRY_FOR seconds.
"""
from __future__ import annotations

import datetime as dt
import importlib
import itertools
import random
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from fks_gitops import atomic, environments, errors
from fks_gitops.environments import Config, Environment
from fks_gitops.problem import Problem
from fks_gitops.promote import gates, images, lock, recovery, rendered, verify
from fks_gitops.promote.history import History
from fks_gitops.promote.message import commit_message
from fks_gitops.promote.plan import Change, plan
from fks_gitops.render import render
from fks_gitops.repo_git import NETWORK_TIMEOUT, Git

RETRY_FOR = 180.0  # seconds --push keeps trying while the remote moves on
BACKOFF = (0.25, 8.0)  # the first and the longest wait between attempts, before jitter
Validator = Callable[[Path, str, list[dict]], list[Problem]]
Refused = errors.Refused


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
    allow_downgrade: bool = False
    git_timeout: float = NETWORK_TIMEOUT  # seconds, for each fetch and push
    now: dt.datetime | None = None  # None: the real clock


@dataclass(frozen=True)
class Promotion:
    target: str
    changes: tuple[Change, ...] = ()
    message: str = ""
    kustomization_diff: str = ""
    rendered_diff: str = ""
    refusals: tuple[gates.Refusal, ...] = ()  # only a dry run returns them; a real run raises
    overridden: tuple[gates.Refusal, ...] = ()  # what --break-glass or --allow-downgrade let through
    commit: str | None = None
    branch: str | None = None
    pushed: bool = False
    attempts: int = 1
    took_over: str | None = None  # a stale lock this run took over (promote/lock.py)
    verification: verify.Outcome | None = None  # the source's checks, when it has some and they ran


def validate_target(repo: Path, env: str, docs: list[dict]) -> list[Problem]:
    """Errors of `validate` for the target, reusing its render (imported late: only promotions need it).
    The promotion audit is left out: it judges history, and this promotion runs the same gates
    itself; so are the verify queries (a promtool run): a promotion changes no query, and
    validate in CI parses them all."""
    from fks_gitops import validate

    report = validate.validate(repo, envs=[env], rendered={env: docs}, skip=("promotions", "verify-queries"))
    return [p for p in report.problems if p.level == "error"]


def promote(repo: Path, request: Request, validator: Validator | None = None) -> Promotion:
    config = environments.load(repo)
    target = config.get(request.target)
    request = replace(request, now=request.now or dt.datetime.now(dt.timezone.utc))
    writing = not request.dry_run
    git = Git.open(repo, request.git_timeout)
    git.preflight(writing, request.push and writing, bool(request.branch) and writing)
    run = _Run(repo, config, target, request, validator or validate_target, git)
    if not writing:
        lock.refuse_interrupted(git.git_dir)
        return run.start()
    with lock.hold(git.git_dir) as held:
        recovery.sweep(git)
        result = replace(run, held=held).start()
        held.record(stage="finished")
    return replace(result, took_over=held.took_over)


@dataclass(frozen=True)
class _Run:
    repo: Path
    config: Config
    target: Environment
    request: Request
    validator: Validator
    git: Git
    held: lock.Held | None = None  # a writing run's lock, which journals each stage

    @property
    def path(self) -> str:
        return f"{self.target.overlay}/kustomization.yaml"

    def start(self) -> Promotion:
        # kustomize starts on the current render at once, while git checks the tree; the first
        # attempt uses it (a dirty tree is refused before it matters). validate's checks load
        # meanwhile too: their imports cost about a tenth of a second.
        req = self.request
        with ThreadPoolExecutor(max_workers=2) as pool:
            early = pool.submit(render, self.repo / self.target.overlay, self.target.overlay)
            pool.submit(importlib.import_module, "fks_gitops.checks")
            original = self.git.branch()
            self.git.refuse_dirty()
            mode = "dry-run" if req.dry_run else "branch" if req.branch else "push" if req.push else "local"
            self._record(stage="planning", target=self.target.name, path=self.path, branch=original,
                         start=self.git.head(), mode=mode)
            if mode == "branch":
                return self.on_branch(original, early)
            if mode == "push":
                return self.pushed(early)
            return self.attempt(early)

    def _record(self, **facts: object) -> None:
        if self.held is not None:
            self.held.record(**facts)

    def attempt(self, before: Future | None = None) -> Promotion:
        """`before`: the current render, when already started on this very tree."""
        if before is not None:
            return self._attempt(before)
        with ThreadPoolExecutor(max_workers=1) as pool:
            return self._attempt(pool.submit(render, self.repo / self.target.overlay, self.target.overlay))

    def _attempt(self, before: Future) -> Promotion:
        req, target = self.request, self.target
        text = (self.repo / self.path).read_text()
        history = History(self.git, [e.overlay for e in self.config.environments])
        changes = plan(self.repo, self.config, target, req, text, history)
        if not changes:
            return Promotion(target.name)
        new_text = images.edit(text, {c.new.name: c.new for c in changes}, target.overlay)
        # The edited overlay renders (in a scratch tree) while the cheap gates run.
        with ThreadPoolExecutor(max_workers=1) as pool:
            after = pool.submit(rendered.candidate, self.repo, target.overlay, new_text)
            candidate = gates.Candidate(before, after.result, lambda docs: self.validator(self.repo, target.name, docs))
            source = self.config.previous(target)
            checks = (verify.Verification(source, changes, history)
                      if source and source.verify and source.verify.checks and not req.rollback else None)
            facts = gates.Facts(self.config, target, tuple(changes), history, req.rollback, candidate, checks)
            overrides = {name for name, given in ((gates.BREAK_GLASS, req.break_glass),
                                                  (gates.ALLOW_DOWNGRADE, req.allow_downgrade)) if given}
            verdict = gates.evaluate(gates.GATES, facts, req.now, overrides, exhaustive=req.dry_run)
        lowered = gates.downgrades(facts) if req.allow_downgrade else []
        outcome = checks.run(req.now) if checks and (req.dry_run or not verdict.blocking) else None
        result = Promotion(
            target.name,
            tuple(changes),
            self._message(changes, self.git.head(), lowered, verify.trailers(outcome) if outcome else []),
            rendered.text_diff(text, new_text, self.path),
            rendered.unified(before.result(), candidate.after, target.overlay) if req.dry_run else "",
            refusals=verdict.blocking,
            overridden=verdict.overridden,
            verification=outcome,
        )
        if req.dry_run:
            return result
        if verdict.blocking:
            raise Refused(f"{target.name}: promotion refused; nothing changed", [str(r) for r in verdict.blocking])
        return replace(result, refusals=(), commit=self._commit(new_text, result.message))

    def _commit(self, new_text: str, msg: str) -> str:
        """Write and commit what the gates passed; any failure puts the original bytes back."""
        path = self.repo / self.path
        original = path.read_bytes()
        self._record(stage="writing", base=self.git.head(), message=msg, written=recovery.digest(new_text))
        atomic.write(path, new_text)
        try:
            sha = self.git.commit(self.path, msg, self.request.now)
        except BaseException:
            atomic.write(path, original)
            raise
        self._record(stage="committed", commit=sha)
        return sha

    def _message(self, changes: list[Change], sha: str, lowered: list[Change],
                 verified: list[tuple[str, str]]) -> str:
        source = None if self.request.rollback else self.config.previous(self.target)
        return commit_message(
            "rollback" if self.request.rollback else "promote",
            self.target.name,
            changes,
            f"{source.name}@{sha}" if source else None,
            self.request.break_glass,
            lowered,
            verified,
        )

    def pushed(self, early: Future | None = None) -> Promotion:
        git = self.git
        remote, branch = git.upstream()
        tip = self._fetch(remote, branch)
        start = git.head()
        self._record(remote=remote, remote_branch=branch)
        if git.head(tip) != start:  # behind the remote: start from its tip
            git.reset(tip)
            early = None
        deadline, rng = time.monotonic() + RETRY_FOR, random.Random()
        try:
            for attempt in itertools.count(1):
                result = self.attempt(early if attempt == 1 else None)
                if result.commit is None:
                    return replace(result, attempts=attempt)
                if git.push(remote, f"HEAD:{branch}"):
                    return replace(result, pushed=True, attempts=attempt)
                wait = rng.uniform(0, min(BACKOFF[1], BACKOFF[0] * 2 ** (attempt - 1)))  # full jitter
                if time.monotonic() + wait > deadline:
                    raise Refused(f"{remote}/{branch} moved on during each of {attempt} attempts in "
                                  f"{RETRY_FOR:g} s; nothing changed, try again")
                time.sleep(wait)
                git.fetch(remote, branch)
                git.reset(tip)
                self._record(stage="planning")
        except BaseException:
            git.reset(start)
            raise

    def _fetch(self, remote: str, branch: str) -> str:
        """Fetch the remote's branch; refuse local commits it lacks (they would be pushed along,
        or were dropped from it on purpose). Returns the tracking ref."""
        git = self.git
        git.fetch(remote, branch)
        tip = f"refs/remotes/{remote}/{branch}"
        ahead = git.count(f"{tip}..HEAD")
        if ahead:
            raise errors.GitOpsError(f"{git.branch()} has {ahead} commit{'s' if ahead > 1 else ''} that "
                                     f"{remote}/{branch} does not; push or drop them first")
        return tip

    def on_branch(self, original: str, early: Future | None = None) -> Promotion:
        git, name = self.git, self.request.branch
        tracking = git.tracking()  # a branch for review carries what HEAD has; the reviewer sees it
        remote = tracking[0] if tracking else git.remotes()[0]
        self._record(stage="branch", promo_branch=name, remote=remote)
        git.start_branch(name)
        keep = False
        try:
            result = self.attempt(early)  # the new branch starts at HEAD: the same tree
            if result.commit and not git.push(remote, f"{name}:{name}", set_upstream=True):
                raise Refused(f"{remote} already has a different branch {name!r}; choose another --branch name")
            keep = result.commit is not None
            return replace(result, branch=name if keep else None, pushed=keep)
        finally:
            git.switch(original)
            if not keep:
                git.delete_branch(name)
