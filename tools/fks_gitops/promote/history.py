"""What main's first-parent history says about image versions: when each entered an environment,
promotions, rollbacks; as of now, or as of any earlier commit (the audit replays each one).

    history = History(repo)                        # HEAD's history, read once (ledger.py)
    history.entered("overlays/staging", image)     # the Commit that put its version there
    history.before(42).ever("overlays/dev", image) # what was true just before commit 42
    history.promotions(env="prod")                 # Records from the commit trailers, newest first

Times are the ledger's trusted ones (never earlier than the parent commit's).
"""
from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from fks_gitops.promote import ledger as ledger_module
from fks_gitops.promote.durations import hours
from fks_gitops.promote.images import Image, component
from fks_gitops.promote.ledger import Commit, Ledger
from fks_gitops.repo_git import Git

SUBJECT = re.compile(r"^(promote|rollback)\(([\w.-]+)\): ")


@dataclass(frozen=True)
class Record:
    """One promotion or rollback commit, read back from its subject and trailers."""

    commit: Commit
    env: str
    kind: str  # "promote" | "rollback"

    @property
    def sha(self) -> str:
        return self.commit.sha

    @property
    def when(self):
        return self.commit.when

    @property
    def subject(self) -> str:
        return self.commit.claim[0]

    @property
    def trailers(self) -> tuple[tuple[str, str], ...]:
        return self.commit.claim[1]


def parse_subject(subject: str) -> tuple[str, str] | None:
    """`promote(prod): ...` -> ("promote", "prod")."""
    match = SUBJECT.match(subject)
    return (match[1], match[2]) if match else None


class History:
    def __init__(self, repo: Path | Git | None = None, overlays: Sequence[str] | None = None,
                 ledger: Ledger | None = None, cut: int | None = None) -> None:
        """`repo`: a path, or the run's repository handle."""
        if ledger is None:
            git = repo if isinstance(repo, Git) else Git.open(Path(repo or "."))
            ledger = ledger_module.read(git, overlays or _overlays(git.top))
        self.ledger = ledger
        self.cut = len(ledger.commits) if cut is None else cut
        self._changed: dict[str, list[int]] = {}

    @property
    def commits(self) -> tuple[Commit, ...]:
        return self.ledger.commits[: self.cut]

    def before(self, index: int) -> History:
        """The same history as it stood before commit `index` (the audit's view of a promotion)."""
        view = History(ledger=self.ledger, cut=index)
        view._changed = self._changed  # the full index; views only read below their cut
        return view

    def _indices(self, overlay: str) -> list[int]:
        """Indices of the commits (in all of the ledger) that changed the overlay's kustomization."""
        if overlay not in self._changed:
            path = f"{overlay}/kustomization.yaml"
            self._changed[overlay] = [i for i, c in enumerate(self.ledger.commits) if path in c.files]
        return self._changed[overlay]

    def timeline(self, overlay: str) -> list[Commit]:
        """Commits that changed the overlay's kustomization, newest first, up to the cut."""
        indices = self._indices(overlay)
        upto = bisect.bisect_left(indices, self.cut)
        return [self.ledger.commits[i] for i in reversed(indices[:upto])]

    def entered(self, overlay: str, image: Image) -> Commit | None:
        """The commit that put `image`'s current version into the overlay (start of its latest run)."""
        first = None
        for commit in self.timeline(overlay):
            if _key(commit, overlay, image.name) != image.key:
                break
            first = commit
        return first

    def ever(self, overlay: str, image: Image) -> bool:
        """Whether the overlay ever held this version of the image (any commit up to the cut)."""
        return any(_key(c, overlay, image.name) == image.key for c in self.timeline(overlay))

    def changes(self, overlay: str, name: str) -> list[tuple[Commit, Image, Image]]:
        """(commit, old, new) for every commit that changed the image's version, oldest first."""
        commits = list(reversed(self.timeline(overlay)))
        found = []
        for prev, cur in zip(commits, commits[1:]):
            old, new = (prev.images.get(overlay) or {}).get(name), (cur.images.get(overlay) or {}).get(name)
            if old and new and old.key != new.key:
                found.append((cur, old, new))
        return found

    def rollback_target(self, overlay: str, current: Image) -> Image | None:
        """The version before the last promotion not yet rolled back: promotions push, rollbacks pop."""
        stack: list[tuple[Image, Image]] = []
        for commit, old, new in self.changes(overlay, current.name):
            if _rolled_back_here(commit, current.name):
                stack = stack[:-1]
            else:
                stack.append((old, new))
        if stack and stack[-1][1].key == current.key:
            return stack[-1][0]
        return None

    def blocked(self, overlay: str, name: str) -> dict[tuple, Commit]:
        """Versions of the image rolled back in this overlay and not deliberately re-promoted since."""
        blocked: dict[tuple, Commit] = {}
        for commit, old, new in self.changes(overlay, name):
            blocked.pop(new.key, None)
            if _rolled_back_here(commit, name):
                blocked[old.key] = commit
        return blocked

    def promotions(self, env: str | None = None) -> list[Record]:
        """Commits whose subject and trailers say they are promotions, newest first. What they claim
        is checked by the audit (audit.py), not here."""
        records = []
        for commit in reversed(self.commits):
            parsed = parse_subject(commit.claim[0])
            keys = {k.lower() for k, _ in commit.claim[1]}
            if parsed and keys & {"image", "rollback"} and env in (None, parsed[1]):
                records.append(Record(commit, parsed[1], parsed[0]))
        return records


def _key(commit: Commit, overlay: str, name: str) -> tuple | None:
    image = (commit.images.get(overlay) or {}).get(name)
    return image.key if image else None


def _rolled_back_here(commit: Commit, name: str) -> bool:
    return any(v.split(" ", 1)[0] == component(name) for v in commit.trailer("Rollback"))


def _overlays(repo: Path | None) -> list[str]:
    from fks_gitops.environments import load

    return [e.overlay for e in load(Path(repo or ".")).environments]


__all__ = ["History", "Record", "hours", "parse_subject"]
