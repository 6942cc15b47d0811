"""Every subprocess goes through here: argv lists, never a shell, bounded in time and memory.

    out = run(["promtool", "check", "rules", path]).stdout
    run(["kustomize", "build", overlay], timeout=120, memory=2 << 30)  # LimitExceeded past either
"""
from __future__ import annotations

import os
import re
import resource
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence

from fks_gitops.errors import GitOpsError, ToolFailed
from fks_gitops.venv import BIN

RENDER_TIMEOUT = 120  # seconds; a render that takes longer is stuck (or a YAML bomb)
RENDER_MEMORY = 2 << 30  # bytes; 25,000 objects take kustomize about 1 GiB
MEMORY = 2 << 30  # bytes of heap (RLIMIT_DATA) a child may map; kustomize of 25,000 objects needs ~1 GiB
# How a child that met RLIMIT_DATA dies: Go's runtime, git's xmalloc, C++ and Python.
_OUT_OF_MEMORY = re.compile(r"(?im:^fatal error: (?:runtime: )?(?:out of memory|cannot allocate memory)|"
                            r"out of memory, malloc failed|cannot allocate memory)|std::bad_alloc|\bMemoryError\b")


class LimitExceeded(ToolFailed):
    """A child ran past its time or memory bound; `limit` says which, for the one-line report."""

    def __init__(self, argv: Sequence[str], limit: str) -> None:
        super().__init__(f"command {' '.join(argv)!r} stopped at its {limit}")
        self.argv, self.limit = list(argv), limit


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
    memory: int = MEMORY,
    text: bool = True,
) -> subprocess.CompletedProcess:
    """`timeout` in seconds and `memory` in bytes bound every subprocess (LimitExceeded names the
    one it met, whatever `check` says); `text=False` for bytes in and out. The child leads its
    own process group, and a timeout (or an interrupt) kills the whole group: git's helpers and
    a remote's hooks hold our pipes open, and would outlive a killed parent."""
    data = stdin.encode() if stdin is not None and not text else stdin
    proc = _start(argv, cwd, env, text, data is not None, memory)
    try:
        stdout, stderr = proc.communicate(data, timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill(proc)
        raise LimitExceeded(argv, f"time limit of {timeout:g} s") from None
    except BaseException:
        _kill(proc)
        raise
    return _done(argv, proc, stdout, stderr, check, memory)


def render_env() -> dict[str, str]:
    """kustomize's environment: it spends much of its CPU in Go's garbage collector; collecting
    less often costs some memory (about 2x) and saves a quarter of the CPU when three renders
    share two cores."""
    return {**os.environ, "GOGC": os.environ.get("GOGC", "400")}


class Started:
    """A command started now and waited for later, within run()'s bounds (the time counted from
    its start); a thread reads its output meanwhile, so a full pipe never stalls it.

        started = Started(["kustomize", "build", folder], memory=RENDER_MEMORY)
        done = started.wait(timeout=120)   # as run(..., check=False) returns; LimitExceeded past a bound
        started.kill()                      # not needed after all
    """

    def __init__(self, argv: Sequence[str], env: Mapping[str, str] | None = None, memory: int = MEMORY) -> None:
        self.argv, self.memory, self._began = list(argv), memory, time.monotonic()
        self._proc = _start(argv, None, env, True, False, memory)
        self._out: tuple[str, str] = ("", "")
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        self._out = self._proc.communicate()

    def wait(self, timeout: float) -> subprocess.CompletedProcess:
        self._reader.join(max(0.0, timeout - (time.monotonic() - self._began)))
        if self._reader.is_alive():
            self.kill()
            raise LimitExceeded(self.argv, f"time limit of {timeout:g} s")
        return _done(self.argv, self._proc, *self._out, False, self.memory)

    def kill(self) -> None:
        try:
            os.killpg(self._proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self._reader.join()


def _start(argv: Sequence[str], cwd: str | None, env: Mapping[str, str] | None, text: bool, stdin: bool,
           memory: int) -> subprocess.Popen:
    try:
        proc = subprocess.Popen(list(argv), cwd=cwd, env=env, text=text, start_new_session=True,
                                stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as exc:
        raise ToolFailed(f"cannot start {argv[0]}: {exc.strerror or exc}") from None
    try:
        _limit_memory(proc.pid, memory)
    except BaseException:
        _kill(proc)
        raise
    return proc


def _done(argv: Sequence[str], proc: subprocess.Popen, stdout, stderr, check: bool, memory: int) -> subprocess.CompletedProcess:
    if proc.returncode != 0 and _OUT_OF_MEMORY.search(stderr if isinstance(stderr, str) else stderr.decode(errors="replace")):
        raise LimitExceeded(argv, f"memory limit of {memory >> 20} MiB (RLIMIT_DATA)")
    if check and proc.returncode != 0:
        raise CommandError(argv, proc.returncode, stdout, stderr)
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


def _limit_memory(pid: int, memory: int) -> None:
    """Set on the running child rather than in a preexec_fn, which is unsafe beside threads:
    Popen returns after the exec (vfork), before the child can have mapped much; its own
    children inherit the limit."""
    try:
        resource.prlimit(pid, resource.RLIMIT_DATA, (memory, memory))
    except ProcessLookupError:  # it has exited already
        pass


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.kill()
    proc.communicate()
