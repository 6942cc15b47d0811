"""Every subprocess goes through here: argv lists, never a shell.

    out = run(["promtool", "check", "rules", path]).stdout
"""
from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping, Sequence

from fks_gitops.errors import GitOpsError, ToolFailed


class CommandError(ToolFailed):
    def __init__(self, argv: Sequence[str], returncode: int, stdout: str, stderr: str) -> None:
        if isinstance(stderr, bytes) or isinstance(stdout, bytes):
            stdout, stderr = (x.decode(errors="replace") if isinstance(x, bytes) else x for x in (stdout, stderr))
        detail = (stderr or stdout).strip().splitlines()
        tail = detail[-1] if detail else "no output"
        super().__init__(f"command {' '.join(argv)!r} exited with {returncode}: {tail}")
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
    timeout: float = 600,
    text: bool = True,
) -> subprocess.CompletedProcess:
    """`timeout` in seconds: every subprocess is bounded; `text=False` for bytes in and out."""
    data = stdin.encode() if stdin is not None and not text else stdin
    try:
        proc = subprocess.run(
            list(argv), cwd=cwd, input=data, env=env, capture_output=True, text=text, check=False, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        raise ToolFailed(f"command {' '.join(argv)!r} did not finish within {timeout:g} s") from None
    if check and proc.returncode != 0:
        raise CommandError(argv, proc.returncode, proc.stdout, proc.stderr)
    return proc
