"""BASE's renders for `validate --diff BASE`: its tree unpacked from `git archive` into a temporary
folder, every environment rendered there in parallel while the working tree is validated.

    with BaseRenders(Git.open(repo), "origin/main", ["dev", "prod"]) as base:
        report = validate(repo, ...)                 # renders the working tree meanwhile
        diff = base.compare(report.rendered)         # Diff: one EnvDiff per environment

One render per environment and revision: the working tree's come from validate itself. The
folder is removed on leaving the block, after every render started there has finished.
"""
from __future__ import annotations

import io
import tarfile
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from fks_gitops import render
from fks_gitops.diff.compare import ObjectChange, compare
from fks_gitops.repo_git import Git


@dataclass(frozen=True)
class EnvDiff:
    env: str
    changes: tuple[ObjectChange, ...]
    note: str | None = None  # why there is no comparison, or what it is against (a new environment)


@dataclass(frozen=True)
class Diff:
    base: str  # as the user named it, e.g. origin/main
    sha: str
    envs: tuple[EnvDiff, ...]


class BaseRenders:
    def __init__(self, git: Git, base: str, envs: list[str]) -> None:
        self.base, self.envs = base, envs
        self._archive = git.archive(base)  # the usage error for an unknown BASE, before any work
        self.sha = git.head(base)
        self._tmp: tempfile.TemporaryDirectory | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._futures: dict[str, Future] = {}

    def __enter__(self) -> BaseRenders:
        self._tmp = tempfile.TemporaryDirectory(prefix="fks-diff-base-")
        root = Path(self._tmp.name)
        with tarfile.open(fileobj=io.BytesIO(self._archive)) as tar:
            tar.extractall(root, filter="data")  # nothing outside root, no device files
        self._archive = b""
        self._pool = ThreadPoolExecutor(max_workers=max(1, len(self.envs)))
        for env in self.envs:
            overlay = root / "overlays" / env
            if (overlay / "kustomization.yaml").is_file():
                self._futures[env] = self._pool.submit(render.render, overlay, f"overlays/{env}")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        if self._tmp is not None:
            self._tmp.cleanup()

    def wait(self) -> None:
        """Until every BASE render has finished (bench/diff.py times them alone)."""
        for future in self._futures.values():
            future.exception()

    def compare(self, head: dict[str, list[dict]]) -> Diff:
        """One EnvDiff per environment, in the order given; `head`: the working tree's renders."""
        return Diff(self.base, self.sha, tuple(self._one(env, head.get(env)) for env in self.envs))

    def _one(self, env: str, after: list[dict] | None) -> EnvDiff:
        if after is None:
            return EnvDiff(env, (), "not compared: the working tree does not render (see the problems)")
        future = self._futures.get(env)
        if future is None:
            return EnvDiff(env, compare([], after, env), f"new environment: overlays/{env} is not in {self.base}")
        try:
            before = future.result()
        except render.RenderError as exc:
            return EnvDiff(env, (), f"not compared: {self.base} does not render: {exc.detail.splitlines()[0]}")
        return EnvDiff(env, compare(before, after, env))
