"""One promotion per working tree at a time: a lock file in the tree's git directory, which also
journals what the promotion is doing, so that a killed one is recognised (promote/recovery.py).

    with hold(git_dir) as held:           # raises Busy while another live process holds it
        held.record(stage="writing", ...) # the journal: rewritten atomically at each stage
        held.took_over                    # who held a stale lock, or None
    refuse_interrupted(git_dir)           # Interrupted when a killed promotion left work to undo

The file is created with O_CREAT|O_EXCL (atomic, also on NFS since v3) and holds the holder's
pid and start time. A lock whose process is gone, or whose pid now belongs to a later process,
is stale: it is taken over, and the caller is told, unless its journal says the killed run had
changed the working tree or the branch (Interrupted: `--abort` undoes it, `hold(abort=True)`). `git rev-parse --git-dir` is per worktree,
so two worktrees of one clone do not block each other (their indexes are separate too).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from fks_gitops.errors import GitOpsError, Refused

NAME = "fks-promote.lock"
DONE = ("planning", "finished")  # stages after which a killed run left nothing to undo


class Busy(Refused):
    """Another promotion is running in this working tree."""


class Interrupted(GitOpsError):
    """A killed promotion left an edit, a commit or a branch; `--abort` undoes it."""

    def __init__(self, holder: dict) -> None:
        journal = holder["journal"]
        since = dt.datetime.fromtimestamp(holder["started"], dt.timezone.utc)
        committed = "a commit it did not push" if journal.get("mode") == "push" else "its commit"
        left = {"writing": f"an edit of {journal['path']}", "committed": committed,
                "branch": f"branch {journal.get('promo_branch')} checked out"}.get(journal["stage"], "unfinished work")
        super().__init__(f"a promotion to {journal['target']} (pid {holder['pid']}, started {since:%Y-%m-%d %H:%M:%S} "
                         f"UTC) was killed and left {left}; run `tools/promote.py --abort` to restore "
                         f"{journal['branch']} as it was, then promote again")
        self.holder = holder


@dataclass
class Held:
    path: Path
    text: str
    took_over: str | None = None
    interrupted: dict | None = None  # with abort=True: the killed run's journal
    journal: dict = field(default_factory=dict)

    def record(self, **facts: object) -> None:
        """Add to the journal and rewrite the lock in place (atomically: a kill leaves old or new)."""
        self.journal.update(facts)
        holder = {**json.loads(self.text), "journal": self.journal}
        text = json.dumps(holder)
        tmp = self.path.with_name(f"{NAME}.{os.getpid()}.tmp")
        tmp.write_text(text)
        os.replace(tmp, self.path)
        self.text = text


@contextlib.contextmanager
def hold(git_dir: Path, abort: bool = False) -> Iterator[Held]:
    path = git_dir / NAME
    held = Held(path, json.dumps(_me()))
    held.took_over, held.interrupted = _take(path, held.text, abort)
    try:
        yield held
    finally:  # also on exceptions and KeyboardInterrupt; a SIGKILL leaves it stale
        with contextlib.suppress(OSError):
            if path.read_text() == held.text:
                path.unlink()


def refuse_interrupted(git_dir: Path) -> None:
    """For runs that take no lock (--dry-run): a killed promotion's edit is never the user's."""
    try:
        holder = _parse((git_dir / NAME).read_text())
    except OSError:
        return
    if holder is not None and not _alive(holder) and _unfinished(holder):
        raise Interrupted(holder)


def _unfinished(holder: dict) -> bool:
    journal = holder.get("journal")
    return isinstance(journal, dict) and journal.get("stage") not in DONE


def _take(path: Path, mine: str, abort: bool) -> tuple[str | None, dict | None]:
    took_over, interrupted = None, None
    for _ in range(3):  # a stale lock removed, then a race with another taker: try again
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as out:
                out.write(mine)
            return took_over, interrupted
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
        if holder is not None and _unfinished(holder):
            if not abort:
                raise Interrupted(holder)
            interrupted = holder["journal"]
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
