"""One promotion per working tree at a time: a lock file in the tree's git directory.

    with hold(git_dir) as took_over:      # raises Busy while another live process holds it
        ...                               # took_over: who held a stale lock, or None

The file is created with O_CREAT|O_EXCL (atomic, also on NFS since v3) and holds the holder's
pid and start time. A lock whose process is gone, or whose pid now belongs to a later process,
is stale: it is taken over, and the caller is told. `git rev-parse --git-dir` is per worktree,
so two worktrees of one clone do not block each other (their indexes are separate too).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
from collections.abc import Iterator
from pathlib import Path

from fks_gitops.errors import Refused

NAME = "fks-promote.lock"


class Busy(Refused):
    """Another promotion is running in this working tree."""


@contextlib.contextmanager
def hold(git_dir: Path) -> Iterator[str | None]:
    path = git_dir / NAME
    mine = json.dumps(_me())
    took_over = _take(path, mine)
    try:
        yield took_over
    finally:  # also on exceptions and KeyboardInterrupt; a SIGKILL leaves it stale
        with contextlib.suppress(OSError):
            if path.read_text() == mine:
                path.unlink()


def _take(path: Path, mine: str) -> str | None:
    took_over = None
    for _ in range(3):  # a stale lock removed, then a race with another taker: try again
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as out:
                out.write(mine)
            return took_over
        try:
            text = path.read_text()
        except FileNotFoundError:
            continue  # released meanwhile
        holder = _parse(text)
        if holder is None and _young(path):
            raise Busy(f"another promotion is starting in this working tree ({path}); wait for it to finish")
        if holder is not None and _alive(holder):
            since = dt.datetime.fromtimestamp(holder["started"], dt.timezone.utc)
            raise Busy(f"another promotion (pid {holder['pid']}, started {since:%Y-%m-%d %H:%M:%S} UTC) is running "
                       f"in this working tree; wait for it to finish, or use another clone")
        # Re-read just before removing: another taker may have replaced the stale file already.
        with contextlib.suppress(FileNotFoundError):
            if path.read_text() == text:
                path.unlink()
        took_over = f"took over the stale promotion lock {path} of pid {holder['pid'] if holder else '?'} (no longer running)"
    raise Busy(f"could not take the promotion lock {path}; try again")


def _me() -> dict:
    return {"pid": os.getpid(), "started": _started(os.getpid()) or dt.datetime.now(dt.timezone.utc).timestamp(),
            "ticks": _ticks(os.getpid())}


def _parse(text: str) -> dict | None:
    """The holder, or None for a file a killed writer left empty or cut short."""
    try:
        holder = json.loads(text)
        return holder if isinstance(holder.get("pid"), int) and isinstance(holder.get("started"), (int, float)) else None
    except (ValueError, AttributeError):
        return None


def _young(path: Path) -> bool:
    """An unreadable lock written in the last seconds may be a holder between create and write."""
    try:
        return dt.datetime.now().timestamp() - path.stat().st_mtime < 5
    except FileNotFoundError:
        return False


def _alive(holder: dict) -> bool:
    try:
        os.kill(holder["pid"], 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # someone else's process: it exists
    ticks = _ticks(holder["pid"])
    # The same pid with another start time is a later process that reused it.
    return ticks is None or holder.get("ticks") is None or ticks == holder["ticks"]


def _ticks(pid: int) -> int | None:
    """The process's start, in clock ticks since boot (/proc/<pid>/stat field 22), where /proc exists."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rpartition(")")[2].split()[19])  # fields after the command name, which may hold spaces


def _started(pid: int) -> float | None:
    """The process's start as a Unix time, for the message."""
    ticks = _ticks(pid)
    if ticks is None:
        return None
    try:
        boot = next(float(ln.split()[1]) for ln in Path("/proc/stat").read_text().splitlines() if ln.startswith("btime"))
    except (OSError, StopIteration):
        return None
    return boot + ticks / os.sysconf("SC_CLK_TCK")
