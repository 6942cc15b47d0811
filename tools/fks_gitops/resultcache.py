"""Remember checks that passed, keyed by everything their result depends on.

promtool's unit tests are the slowest step of validate and their inputs (rules, tests, the
promtool binary) rarely change between two runs of a pre-commit hook. Only passes are kept,
so a failure is always recomputed and reported in full. FKS_GITOPS_NO_CACHE=1 turns it off.

    key = digest("promtool", binary_identity(promtool), rules_text, tests_text)
    if not passed(key): ...; remember(key)

Kept outside the work tree, in $XDG_CACHE_HOME/fks-gitops (~/.cache/fks-gitops), so it never
shows up in `git status`; the keys hold no repository path, so clones share it.
"""
from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
from pathlib import Path



def enabled() -> bool:
    return os.environ.get("FKS_GITOPS_NO_CACHE", "") in ("", "0")


def digest(*parts: str) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest()


def binary_identity(path: str) -> str:
    """A binary's path, size and modification time: a package upgrade changes the key."""
    st = os.stat(path)
    return f"{os.path.realpath(path)}:{st.st_size}:{st.st_mtime_ns}"


def package_identity(name: str) -> str | None:
    """An installed package, found without importing it: its dist-info folders (named with the
    version) and its top-level files by binary_identity; None when it is not found."""
    spec = importlib.util.find_spec(name)
    folder = next(iter(spec.submodule_search_locations or []), None) if spec else None
    if folder is None:
        return None
    root = Path(folder)
    versions = sorted(p.name for p in root.parent.glob(f"{name}-*.dist-info"))
    return ";".join([*versions, *(binary_identity(str(p)) for p in sorted(root.iterdir()) if p.is_file())])


def _folder() -> Path:
    return _root(os.environ.get("XDG_CACHE_HOME") or "", os.environ.get("HOME") or "")


@functools.lru_cache(maxsize=8)
def _root(xdg: str, home: str) -> Path:
    """The cache folder for these variables, worked out once (a scan asks for each file it reads)."""
    return Path(xdg or os.path.join(str(Path.home()), ".cache"), "fks-gitops")


def passed(key: str) -> bool:
    return enabled() and os.path.isfile(f"{_folder()}/{key}")


def read(name: str) -> str | None:
    """An entry `write` kept (envcache.py), or None."""
    if not enabled():
        return None
    try:
        return (_folder() / name).read_text()
    except (OSError, UnicodeDecodeError):
        return None


def write(name: str, text: str) -> None:
    if not enabled():
        return
    folder = _folder()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{name}.{os.getpid()}.tmp"  # renamed into place: a reader never sees half
        tmp.write_text(text)
        os.replace(tmp, folder / name)
    except OSError:
        pass  # an unwritable cache only loses the speed-up


class Passes:
    """The keys of one kind of scan that passed, in one file instead of one file each: a scan of
    the whole repository asks about every file, and a set answers that in memory (a stat each
    cost about 10 ms a run). The file keeps the keys this run asked about that passed and those
    it added, so what the tree no longer holds drops out.

        with resultcache.Passes("plaintext") as passes:
            if key not in passes: ...; passes.add(key)

    Another process's concurrent save may be overwritten: a key lost is only a scan again.
    """

    def __init__(self, kind: str) -> None:
        self.name, self._on = f"passes-{digest('passes', kind)[:32]}", enabled()
        text = read(self.name) if self._on else None
        self._known = frozenset(text.split("\n")) if text else frozenset()
        self._kept: set[str] = set()

    def __contains__(self, key: str) -> bool:
        if key in self._known:
            self._kept.add(key)
            return True
        return False

    def add(self, key: str) -> None:
        self._kept.add(key)

    def __enter__(self) -> Passes:
        return self

    def __exit__(self, *exc) -> None:
        if self._on and not exc[0] and self._kept != self._known:
            write(self.name, "\n".join(sorted(self._kept)))


def remember(key: str) -> None:
    if not enabled():
        return
    folder = _folder()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / key).touch()
    except OSError:
        pass  # an unwritable cache only loses the speed-up
