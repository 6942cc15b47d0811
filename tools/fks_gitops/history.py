"""What git history says about image versions: when each entered an environment, promotions, rollbacks.

    history = History(repo)                        # one per run; caches each overlay's timeline
    history.entered("overlays/staging", image)     # Snapshot of the commit that put it there
    history.promotions(env="prod")                 # Records from the commit trailers, newest first

A timeline is every commit that touched an overlay's kustomization.yaml, newest first, with the
`images:` the file held at that commit (read through GitPython's persistent cat-file).
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import GitOpsError
from .gates import hours
from .images import Image, component, read
from .repo_git import open_repo

if TYPE_CHECKING:
    import git

    from .plan import Change

SUBJECT = re.compile(r"^(promote|rollback)\(([\w.-]+)\): ")
_FORMAT = "%H%x1f%ct%x1f%s%x1f%(trailers:unfold,only)"


@dataclass(frozen=True)
class Snapshot:
    sha: str
    when: dt.datetime
    subject: str
    trailers: tuple[tuple[str, str], ...]
    images: dict[str, Image]

    def trailer(self, key: str) -> list[str]:
        return [v for k, v in self.trailers if k.lower() == key.lower()]


@dataclass(frozen=True)
class Record:
    """One promotion or rollback commit, read back from its subject and trailers."""

    sha: str
    when: dt.datetime
    env: str
    kind: str  # "promote" | "rollback"
    subject: str
    trailers: tuple[tuple[str, str], ...]


class History:
    def __init__(self, repo: Path) -> None:
        self.repo = repo
        self._timelines: dict[str, list[Snapshot]] = {}

    def timeline(self, overlay: str) -> list[Snapshot]:
        if overlay not in self._timelines:
            self._timelines[overlay] = self._read(f"{overlay}/kustomization.yaml")
        return self._timelines[overlay]

    def _read(self, path: str) -> list[Snapshot]:
        with open_repo(self.repo) as repo:
            out = _log(repo, path)
            return [_snapshot(repo, fields, path) for fields in out]

    def entered(self, overlay: str, image: Image) -> Snapshot | None:
        """The commit that put `image`'s current version into the overlay (start of its latest run)."""
        first = None
        for snap in self.timeline(overlay):
            if _key(snap, image.name) != image.key:
                break
            first = snap
        return first

    def ever(self, overlay: str, image: Image) -> bool:
        """Whether the overlay ever held this version of the image (any commit)."""
        return any(_key(s, image.name) == image.key for s in self.timeline(overlay))

    def changes(self, overlay: str, name: str) -> list[tuple[Snapshot, Image, Image]]:
        """(commit, old, new) for every commit that changed the image's version, oldest first."""
        snaps = list(reversed(self.timeline(overlay)))
        return [
            (cur, prev.images[name], cur.images[name])
            for prev, cur in zip(snaps, snaps[1:])
            if name in prev.images and name in cur.images and _key(prev, name) != _key(cur, name)
        ]

    def rollback_target(self, overlay: str, current: Image) -> Image | None:
        """The version before the last promotion not yet rolled back: promotions push, rollbacks pop."""
        stack: list[tuple[Image, Image]] = []
        for snap, old, new in self.changes(overlay, current.name):
            if _rolled_back_here(snap, current.name):
                stack = stack[:-1]
            else:
                stack.append((old, new))
        if stack and stack[-1][1].key == current.key:
            return stack[-1][0]
        return None

    def blocked(self, overlay: str, name: str) -> dict[tuple, Snapshot]:
        """Versions of the image rolled back in this overlay and not deliberately re-promoted since."""
        blocked: dict[tuple, Snapshot] = {}
        for snap, old, new in self.changes(overlay, name):
            blocked.pop(new.key, None)
            if _rolled_back_here(snap, name):
                blocked[old.key] = snap
        return blocked

    def promotions(self, env: str | None = None) -> list[Record]:
        with open_repo(self.repo) as repo:
            rows = _log(repo, "overlays")
        records = []
        for sha, when, subject, trailers in rows:
            match = SUBJECT.match(subject)
            keys = {k.lower() for k, _ in trailers}
            if match and keys & {"image", "rollback"} and env in (None, match[2]):
                records.append(Record(sha, when, match[2], match[1], subject, trailers))
        return records


def commit_message(kind: str, env: str, changes: Sequence[Change], source: str | None, break_glass: str | None) -> str:
    """What `promotions` reads back: subject, one body line per image, trailers last.

    commit_message("promote", "prod", changes, "staging@<sha>", None)
    # promote(prod): fks-execution 1.4.2 -> 1.4.3 ... Promoted-From: staging@<sha> / Image: <ref> / Soak: 26h
    """
    pairs = ", ".join(f"{c.new.component} {c.old.short_version} -> {c.new.short_version}" for c in changes)
    subject = f"{kind}({env}): {pairs}"
    if len(subject) > 72:
        subject = f"{kind}({env}): {len(changes)} image{'s' if len(changes) > 1 else ''}"
    body = "\n".join(f"- {c.new.name}: {c.old.version} -> {c.new.version}" for c in changes)
    trailers = [f"Promoted-From: {source}"] if source else []
    trailers += [f"Image: {c.new.ref}" for c in changes]
    soaks = [c.soaked for c in changes if c.soaked is not None]
    if soaks:
        trailers.append(f"Soak: {hours(min(soaks))}")
    if break_glass:
        trailers.append(f"Break-Glass: {' '.join(break_glass.split())}")
    if kind == "rollback":
        trailers += [f"Rollback: {c.new.component} {c.old.version} -> {c.new.version}" for c in changes]
    return f"{subject}\n\n{body}\n\n" + "\n".join(trailers) + "\n"


def _key(snap: Snapshot, name: str) -> tuple | None:
    image = snap.images.get(name)
    return image.key if image else None


def _rolled_back_here(snap: Snapshot, name: str) -> bool:
    return any(v.split(" ", 1)[0] == component(name) for v in snap.trailer("Rollback"))


def _log(repo: git.Repo, path: str) -> list[tuple[str, dt.datetime, str, tuple[tuple[str, str], ...]]]:
    if not repo.head.is_valid():
        return []
    out = repo.git.log("-z", f"--format={_FORMAT}", "--", path)
    rows = []
    for chunk in filter(None, out.split("\0")):
        sha, stamp, subject, trailers = chunk.strip("\n").split("\x1f")
        when = dt.datetime.fromtimestamp(int(stamp), dt.timezone.utc)
        rows.append((sha, when, subject, _trailers(trailers)))
    return rows


def _trailers(text: str) -> tuple[tuple[str, str], ...]:
    pairs = (line.split(":", 1) for line in text.splitlines() if ":" in line)
    return tuple((k.strip(), v.strip()) for k, v in pairs)


def _snapshot(repo: git.Repo, fields: tuple, path: str) -> Snapshot:
    sha, when, subject, trailers = fields
    try:
        text = (repo.commit(sha).tree / path).data_stream.read().decode()
        images = read(text, f"{path}@{sha[:12]}")
    except (KeyError, GitOpsError):  # absent or unreadable at that commit: no images then
        images = {}
    return Snapshot(sha, when, subject, trailers, images)
