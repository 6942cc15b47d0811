"""What a check sees, and the scopes it can have: the low-level types every check imports.

    class-free check module:  ID = "schemas"; SCOPE = ENVIRONMENT; def run(ctx: EnvContext) -> list[Problem]

ENVIRONMENT checks run once per rendered environment; REPOSITORY checks once, on every
environment that rendered (and any other folder they render through the shared renders);
FILES checks read only the repository's files and git, so they start at once, beside kustomize.
All per-run state (renders, files read once) lives in the Session the contexts share.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fks_gitops import render
from fks_gitops.environments import Config, Environment
from fks_gitops.repo_git import Git

ENVIRONMENT, REPOSITORY, FILES = "environment", "repository", "repository files"


class Session:
    """One run's state: each thing computed once, by whichever check asks first.

        manifests = session.once("argocd", lambda: argocd.load(repo))
    """

    def __init__(self) -> None:
        self._values: dict[Hashable, Any] = {}
        self._locks: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()

    def once(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        with self._lock:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._values:
                self._values[key] = compute()
            return self._values[key]


@dataclass(frozen=True)
class EnvContext:
    """What a per-environment check sees."""

    config: Config
    env: Environment
    docs: list[dict]
    schema_locations: tuple[Path, ...] = ()
    session: Session = field(default_factory=Session)


@dataclass(frozen=True)
class RepoContext:
    """What a whole-repository check sees: every selected environment that rendered, and the
    shared renders for any other folder it needs (Argo CD application paths)."""

    config: Config
    rendered: dict[str, list[dict]]
    renders: render.Renders | None = None
    selected: tuple[str, ...] = ()  # environment names asked for; empty means all
    session: Session = field(default_factory=Session)

    @property
    def everything(self) -> bool:
        return not self.selected or set(self.selected) == {e.name for e in self.config.environments}

    @property
    def git(self) -> Git:
        """The run's one repository handle."""
        return self.session.once("git", lambda: Git.open(self.config.repo))

    def files(self) -> list[str]:
        """What git tracks, and untracked files it does not ignore (one `git add` away), listed once."""
        return self.session.once("files", self.git.files)

    def file_set(self) -> frozenset[str]:
        return self.session.once("file set", lambda: frozenset(self.files()))

    def render(self, rel: str) -> list[dict]:
        if self.renders is None:
            return render.render(self.config.repo / rel, rel)
        return self.renders.get(rel)
