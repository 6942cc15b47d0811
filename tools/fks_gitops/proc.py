"""Every subprocess goes through here: argv lists, never a shell.

    out = run(["promtool", "check", "rules", path]).stdout
"""
from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping, Sequence

from .errors import GitOpsError


class CommandError(GitOpsError):
    def __init__(self, argv: Sequence[str], returncode: int, stdout: str, stderr: str) -> None:
        detail = (stderr or stdout).strip().splitlines()
        tail = detail[-1] if detail else "no output"
        super().__init__(f"command {' '.join(argv)!r} exited with {returncode}: {tail}", exit_code=3)
        self.argv, self.returncode, self.stdout, self.stderr = list(argv), returncode, stdout, stderr


def require(binary: str, how_to_get: str) -> str:
    """The binary's path, or a GitOpsError that says how to install it."""
    path = shutil.which(binary)
    if path is None:
        raise GitOpsError(f"{binary} not found on PATH; {how_to_get}")
    return path


def run(
    argv: Sequence[str],
    *,
    cwd: str | None = None,
    stdin: str | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        list(argv), cwd=cwd, input=stdin, env=env, capture_output=True, text=True, check=False
    )
    if check and proc.returncode != 0:
        raise CommandError(argv, proc.returncode, proc.stdout, proc.stderr)
    return proc
