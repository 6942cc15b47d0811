"""main's first-parent history, read once: every commit, the files it changed, and the images
each overlay held at it.

    ledger = read(Git.open(repo), ["overlays/dev", "overlays/staging", "overlays/prod"])
    ledger.commits[-1].images["overlays/prod"]      # {name: Image} at HEAD
    ledger.commits[-1].when                         # committer time, never before its parent's

A commit's time is the committer date git records, which whoever made the commit can set. It is
trusted only as far as history allows: `when` is never earlier than the first parent's `when`, so
a back-dated commit cannot lengthen a soak (the audit reports it, see audit.py). Two git
processes per read, whatever the history's length: one log, one cat-file for the overlays' blobs.
"""
from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import yaml

from fks_gitops import yamldepth
from fks_gitops.environments import FILE as CONFIG
from fks_gitops.errors import ToolFailed
from fks_gitops.promote.images import Image
from fks_gitops.repo_git import Git

# Field by field, NUL-separated: a commit subject or trailer may hold any other character.
_FORMAT = "%H%x00%P%x00%ct%x00%aN%x00%aE%x00%s%x00%(trailers:unfold,only)"
_FIELDS = 7
_RAW = re.compile(r"^:\d+ \d+ [0-9a-f]+ (?P<blob>[0-9a-f]+) (?P<status>[A-Z])\d*$")
_NULL_BLOB = re.compile(r"^0+$")


@dataclass(frozen=True)
class Commit:
    sha: str
    parent: str | None  # first parent
    committed: dt.datetime  # as recorded
    when: dt.datetime  # as trusted: max(committed, parent's when)
    author: str
    subject: str
    trailers: tuple[tuple[str, str], ...]
    files: tuple[str, ...]  # changed against the first parent
    images: dict[str, dict[str, Image] | None] = field(default_factory=dict)  # overlay -> images; None: unreadable
    rest: dict[str, str | None] = field(default_factory=dict)  # overlay -> the kustomization without images
    # A merge on the first-parent line brings its second parent's change: that commit's subject
    # and trailers are what the merge claims (a `--branch` promotion merged as a pull request).
    brought: tuple[str, tuple[tuple[str, str], ...]] | None = None
    config: str | None = None  # the blob of environments.yaml here (None: the file is not there)

    @property
    def claim(self) -> tuple[str, tuple[tuple[str, str], ...]]:
        """(subject, trailers) of the change this commit brings to main."""
        return self.brought or (self.subject, self.trailers)

    @property
    def short(self) -> str:
        return self.sha[:7]

    def trailer(self, key: str) -> list[str]:
        """The claimed trailer's values (the merged commit's, for a merge)."""
        return [v for k, v in self.claim[1] if k.lower() == key.lower()]

    def describe(self) -> str:
        """`a1b2c3d (Jane Doe) promote(prod): ...`: how problems name a commit."""
        merged = f" (merging {self.brought[0]})" if self.brought else ""
        return f"{self.short} ({self.author}) {self.subject}{merged}"


@dataclass(frozen=True)
class Ledger:
    commits: tuple[Commit, ...]  # oldest first
    shallow: bool
    configs: dict[str, bytes] = field(default_factory=dict)  # environments.yaml blob -> its text

    def config_text(self, commit: Commit) -> bytes | None:
        """environments.yaml as `commit` held it (the gates a promotion from there ran under)."""
        return self.configs.get(commit.config) if commit.config else None

    def index(self, sha: str) -> int | None:
        if self.commits and len(sha) == len(self.commits[0].sha):
            return self._positions.get(sha)  # a full id: the audit asks once per promotion
        return next((i for i, c in enumerate(self.commits) if c.sha.startswith(sha)), None)

    @functools.cached_property
    def _positions(self) -> dict[str, int]:
        positions: dict[str, int] = {}
        for i, commit in enumerate(self.commits):
            positions.setdefault(commit.sha, i)
        return positions


def read(git: Git, overlays: Sequence[str], rev: str = "HEAD") -> Ledger:
    if not git.exists(rev):
        return Ledger((), git.shallow())
    out = git.out("-c", "core.quotePath=false", "log", "--first-parent", "--raw", "--no-abbrev", "--no-renames",
                  "-z", f"--format={_FORMAT}", rev)
    rows = list(reversed(_parse(out)))
    paths = {f"{o}/kustomization.yaml": o for o in overlays}
    configs = {b for _, _, changed in rows for p, b in changed.items() if p == CONFIG and b}
    kustomizations = {b for _, _, changed in rows for p, b in changed.items() if p in paths and b}
    raw = _blobs(git, kustomizations | configs)
    blobs = {b: _split(raw[b]) for b in kustomizations}
    brought = _brought(git, [h[1][1] for h, _, _ in rows if len(h[1]) > 1])
    commits: list[Commit] = []
    current: dict[str, str | None] = {}
    config: str | None = None
    for header, files, changed in rows:
        config = changed.get(CONFIG) if CONFIG in changed else config
        for path, overlay in paths.items():
            if path in changed:
                current[overlay] = changed[path]
        sha, parents, stamp, author, subject, trailers = header
        committed = dt.datetime.fromtimestamp(int(stamp), dt.timezone.utc)
        when = max(committed, commits[-1].when) if commits else committed
        parsed = {o: blobs.get(current.get(o)) if current.get(o) else (None, None) for o in overlays}
        commits.append(Commit(sha, parents[0] if parents else None, committed, when, author, subject,
                              _trailers(trailers), files,
                              {o: p[0] for o, p in parsed.items()}, {o: p[1] for o, p in parsed.items()},
                              brought.get(parents[1]) if len(parents) > 1 else None, config))
    return Ledger(tuple(commits), git.shallow(), {b: raw[b] for b in configs})


def _parse(out: str) -> list[tuple[tuple, tuple[str, ...], dict[str, str | None]]]:
    """git log -z --raw output -> (header fields, changed files, {path: new blob or None if deleted})."""
    tokens = out.split("\0")
    rows, i = [], 0
    while i + _FIELDS <= len(tokens) and tokens[i].strip():
        sha, parents, stamp, name, email, subject, trailers = tokens[i:i + _FIELDS]
        i += _FIELDS
        files, changed = [], {}
        while i + 1 < len(tokens) and tokens[i].lstrip("\n").startswith(":"):
            match = _RAW.match(tokens[i].lstrip("\n"))
            path = tokens[i + 1]
            i += 2
            if match is None:
                raise ToolFailed(f"git log printed an unexpected line {tokens[i - 2][:60]!r}")
            files.append(path)
            changed[path] = None if match["status"] == "D" or _NULL_BLOB.match(match["blob"]) else match["blob"]
        header = (sha.strip(), tuple(parents.split()), stamp, name or email, subject, trailers)
        rows.append((header, tuple(files), changed))
    return rows


def _brought(git: Git, tips: list[str]) -> dict[str, tuple[str, tuple[tuple[str, str], ...]]]:
    """Subject and trailers of each merged second parent, in one git call."""
    if not tips:
        return {}
    out = git.run("log", "--no-walk=unsorted", "--stdin", "-z", "--format=%H%x00%s%x00%(trailers:unfold,only)",
                  stdin="\n".join(tips) + "\n").stdout
    tokens = out.split("\0")
    return {tokens[i].strip(): (tokens[i + 1], _trailers(tokens[i + 2])) for i in range(0, len(tokens) - 2, 3)}


def _trailers(text: str) -> tuple[tuple[str, str], ...]:
    # git ends each unfolded trailer with "\n" and trims only blanks; str.splitlines and a bare
    # strip() would also cut at, or drop, \x1c-\x1e, \x85 and U+2028 inside a value.
    pairs = (line.split(":", 1) for line in text.split("\n") if ":" in line)
    return tuple((k.strip(" \t"), v.strip(" \t")) for k, v in pairs)


def _blobs(git: Git, wanted: set[str]) -> dict[str, bytes]:
    """Each blob's bytes, in one cat-file."""
    if not wanted:
        return {}
    order = sorted(wanted)
    out = git.run("cat-file", "--batch", stdin="\n".join(order) + "\n", text=False).stdout
    found, at = {}, 0
    for blob in order:
        eol = out.index(b"\n", at)
        size = int(out[at:eol].split()[2])
        found[blob] = out[eol + 1:eol + 1 + size]
        at = eol + 1 + size + 1
    return found


def _split(data: bytes) -> tuple[dict[str, Image] | None, str | None]:
    """A kustomization's images, and the rest of the file as canonical text."""
    try:
        doc = yaml.load(data.decode(), Loader=yamldepth.CBaseLoader)
    except (UnicodeDecodeError, yaml.YAMLError):
        return None, None
    if not isinstance(doc, dict) or not isinstance(doc.get("images", []), list):
        return None, None
    entries = doc.pop("images", None) or []
    images = {
        e["name"]: Image(e["name"], e.get("newName") or None, e.get("newTag") or None, e.get("digest") or None)
        for e in entries if isinstance(e, dict) and e.get("name")
    }
    return images, repr(sorted(doc.items()))
