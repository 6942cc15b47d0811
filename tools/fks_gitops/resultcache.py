"""Remember checks that passed, keyed by everything their result depends on.

promtool's unit tests are the slowest step of validate and their inputs (rules, tests, the
promtool binary) rarely change between two runs of a pre-commit hook. Only passes are kept,
so a failure is always recomputed and reported in full. FKS_GITOPS_NO_CACHE=1 turns it off.

    key = digest("promtool", binary_identity(promtool), rules_text, tests_text)
    if not passed(repo, key): ...; remember(repo, key)
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

FOLDER = Path(".cache") / "fks-gitops"


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


def passed(repo: Path, key: str) -> bool:
    return enabled() and (repo / FOLDER / key).is_file()


def remember(repo: Path, key: str) -> None:
    if not enabled():
        return
    folder = repo / FOLDER
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / key).touch()
    except OSError:
        pass  # a read-only checkout only loses the speed-up
