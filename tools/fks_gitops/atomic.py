"""Write a file so that readers, and a crash, see the old content or the new, never half.

    write(Path("overlays/prod/kustomization.yaml"), text)
    is_temporary("overlays/prod/.kustomization.yaml.k3j_x9a2.tmp")   # True: git status ignores these

A temporary file in the same folder (so the rename stays on one filesystem), the old file's
mode kept, then os.replace; a kill in between can leave the temporary file, which callers
recognise by name and never count as a change (repo_git.dirty, promote/recovery.py). On any failure the temporary file is removed; a filesystem refusal
(the target is a folder, its parent is a file, the folder is read-only) becomes a one-line
GitOpsError, since it is the user's path that is wrong, not the program.
"""
from __future__ import annotations

import os
import re
import stat
import tempfile
from pathlib import Path

from fks_gitops.errors import GitOpsError

# tempfile.mkstemp's names: the prefix and suffix below around 8 of [a-z0-9_].
_TEMPORARY = re.compile(r"(?:^|/)\.[^/]+\.[a-z0-9_]{8}\.tmp$")


def is_temporary(path: str) -> bool:
    return bool(_TEMPORARY.search(path))


def leftovers(path: Path) -> list[Path]:
    """Temporary files an interrupted write of `path` left beside it."""
    return [p for p in path.parent.glob(f".{path.name}.*.tmp") if is_temporary(p.name)]


def write(path: Path, data: str | bytes) -> None:
    try:
        _write(path, data)
    except OSError as exc:
        raise GitOpsError(f"{path}: cannot write: {exc.strerror or exc}") from exc


def _write(path: Path, data: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data.encode() if isinstance(data, str) else data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
