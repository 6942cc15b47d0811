"""Every subprocess goes through here: argv lists, never a shell.

    out = run(["promtool", "check", "rules", path]).stdout
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections.abc import Mapping, Sequence

from fks_gitops.errors import GitOpsError, ToolFailed
from fks_gitops.venv import BIN


class CommandError(ToolFailed):
    def __init__(self, argv: Sequence[str], returncode: int, stdout: str, stderr: str) -> None:
        if isinstance(stderr, bytes) or isinstance(stdout, bytes):
            stdout, stderr = (x.decode(errors="replace") if isinstance(x, bytes) else x for x in (stdout, stderr))
        detail = (stderr or stdout).strip().splitlines()
        tail = detail[-1] if detail else "no output"
        super().__init__(f"command {' '.join(argv)!r} exited with {returncode}: {tail}")
        self.argv, self.returncode, self.stdout, self.stderr = list(argv), returncode, stdout, stderr


def require(binary: str, how_to_get: str) -> str:
    """The binary's path, the repository's .venv/bin first (the pinned checkers `make setup`
    unpacks there win over older ones on PATH), or a GitOpsError that says how to get it."""
    path = shutil.which(binary, path=str(BIN)) or shutil.which(binary)
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
    """`timeout` in seconds: every subprocess is bounded; `text=False` for bytes in and out.
    The child leads its own process group, and a timeout (or an interrupt) kills the whole group:
    git's helpers and a remote's hooks hold our pipes open, and would outlive a killed parent."""
    data = stdin.encode() if stdin is not None and not text else stdin
    try:
        proc = subprocess.Popen(list(argv), cwd=cwd, env=env, text=text, start_new_session=True,
                                stdin=subprocess.PIPE if data is not None else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as exc:
        raise ToolFailed(f"cannot start {argv[0]}: {exc.strerror or exc}") from None
    try:
        stdout, stderr = proc.communicate(data, timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill(proc)
        raise ToolFailed(f"command {' '.join(argv)!r} did not finish within {timeout:g} s") from None
    except BaseException:
        _kill(proc)
        raise
    if check and proc.returncode != 0:
        raise CommandError(argv, proc.returncode, stdout, stderr)
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.kill()
    proc.communicate()
