"""Every git command the tools run, through one handle per run: plain git, argv lists, bounded.

    g = Git.open(path)                      # the top of a work tree, else GitOpsError
    g.preflight(writing=True, push=True)    # detached HEAD, identity, upstream: before any work
    g.refuse_dirty()
    sha = g.commit("overlays/prod/kustomization.yaml", message, when)
    g.push("origin", "HEAD:main")           # False when the remote moved on; else Refused with git's lines

Local commands are bounded by LOCAL_TIMEOUT; fetch and push by `network_timeout` (--git-timeout,
default 60 s), and a timeout kills git with its helpers and the remote's hooks (proc.run).
"""
from __future__ import annotations

import datetime as dt
import functools
import os
import re
import subprocess
from collections.abc import Sequence
from pathlib import Path

from fks_gitops import atomic
from fks_gitops.errors import GitOpsError, Refused, ToolFailed
from fks_gitops.proc import require, run

NETWORK_TIMEOUT = 60.0
LOCAL_TIMEOUT = 120.0
# Untracked files elsewhere cannot reach a render; new files in an overlay can (a patch, a secret).
WATCHED_UNTRACKED = "overlays/"
RETRYABLE = ("(fetch first)", "(non-fast-forward)", "cannot lock ref", "failed to update ref", "incorrect old value")


class Git:
    def __init__(self, top: Path, git_dir: Path, network_timeout: float = NETWORK_TIMEOUT) -> None:
        self.top, self.git_dir, self.network_timeout = top, git_dir, network_timeout

    @classmethod
    def open(cls, path: Path, network_timeout: float = NETWORK_TIMEOUT) -> Git:
        """The repository whose top directory is `path` (promotion and history read and write there)."""
        proc = run([_git(), "rev-parse", "--show-toplevel", "--absolute-git-dir"], cwd=str(path), check=False,
                   timeout=LOCAL_TIMEOUT) if Path(path).is_dir() else None
        lines = proc.stdout.splitlines() if proc and proc.returncode == 0 else []
        if len(lines) != 2 or Path(lines[0]).resolve() != Path(path).resolve():
            raise GitOpsError(f"{path} is not the top of a git repository")
        return cls(Path(path), Path(lines[1]), network_timeout)

    def run(self, *args: str, check: bool = True, stdin: str | None = None, text: bool = True,
            timeout: float = LOCAL_TIMEOUT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        environ = {**os.environ, "GIT_TERMINAL_PROMPT": "0", **(env or {})}  # never wait for a password
        return run([_git(), *args], cwd=str(self.top), check=check, stdin=stdin, text=text, timeout=timeout,
                   env=environ)

    def out(self, *args: str) -> str:
        return self.run(*args).stdout

    def ok(self, *args: str) -> bool:
        return self.run(*args, check=False).returncode == 0

    # --- state -------------------------------------------------------------------------------

    def preflight(self, writing: bool, push: bool = False, branch: bool = False) -> None:
        """What needs no render, checked before any work: a detached HEAD; for a writing run, an
        identity; for --push, an upstream; for --branch, a remote."""
        self.branch()
        if writing:
            self._refuse_no_identity()
        if push:
            self.upstream()
        if branch and not self.remotes():
            raise GitOpsError("this repository has no remote to push --branch to; add one (git remote add origin URL)")

    def branch(self) -> str:
        proc = self.run("symbolic-ref", "-q", "--short", "HEAD", check=False)
        if proc.returncode:
            raise GitOpsError("HEAD is detached; check out a branch (git switch main) and try again")
        name = proc.stdout.strip()
        if not self.ok("rev-parse", "-q", "--verify", "HEAD^{commit}"):
            raise GitOpsError(f"branch {name!r} has no commits yet; commit the overlays first")
        return name

    def head(self, rev: str = "HEAD") -> str:
        return self.out("rev-parse", "--verify", f"{rev}^{{commit}}").strip()

    def exists(self, rev: str) -> bool:
        return self.ok("rev-parse", "-q", "--verify", f"{rev}^{{commit}}")

    def is_ancestor(self, older: str, newer: str) -> bool:
        return self.ok("merge-base", "--is-ancestor", older, newer)

    def count(self, revs: str) -> int:
        return int(self.out("rev-list", "--count", revs).strip())

    def message(self, rev: str = "HEAD") -> str:
        return self.out("log", "-1", "--format=%B", rev)

    def archive(self, rev: str) -> bytes:
        """The tree of commit `rev` as a tar archive (validate --diff renders it outside the work tree)."""
        if not self.exists(rev):
            raise GitOpsError(f"{rev!r} is not a commit here; fetch it first (git fetch origin main) or name another")
        return self.run("archive", "--format=tar", self.head(rev), text=False).stdout

    def shallow(self) -> bool:
        return self.out("rev-parse", "--is-shallow-repository").strip() == "true"

    def remotes(self) -> list[str]:
        return self.out("remote").split()

    def tracking(self) -> tuple[str, str] | None:
        """(remote, branch) the current branch tracks, or None."""
        name = self.branch()
        remote, merge = self._config(f"branch.{name}.remote"), self._config(f"branch.{name}.merge")
        return None if not remote or not merge or remote == "." else (remote, merge.removeprefix("refs/heads/"))

    def upstream(self) -> tuple[str, str]:
        """(remote, branch) the current branch tracks; a usage error when it tracks none."""
        found = self.tracking()
        if found is None:
            name = self.branch()
            if not self.remotes():
                raise GitOpsError(f"--push: this repository has no remote; add one (git remote add origin URL, "
                                  f"then git push -u origin {name})")
            raise GitOpsError(f"branch {name!r} has no upstream; run `git push -u origin {name}` once, or drop --push")
        return found

    def dirty(self) -> list[str]:
        """Paths with uncommitted changes: every tracked change, and untracked files under
        overlays/; a promotion's temporary files (atomic.py) are never counted."""
        out = self.out("status", "--porcelain=v1", "-z", "--untracked-files=all")
        entries = iter(filter(None, out.split("\0")))
        paths = []
        for entry in entries:
            state, path = entry[:2], entry[3:]
            if "R" in state or "C" in state:
                next(entries, None)  # the rename's source path
            if state == "??" and (not path.startswith(WATCHED_UNTRACKED) or atomic.is_temporary(path)):
                continue
            paths.append(path)
        return paths

    def refuse_dirty(self) -> None:
        paths = self.dirty()
        if paths:
            more = f" and {len(paths) - 1} more" if len(paths) > 1 else ""
            raise GitOpsError(f"uncommitted changes in {paths[0]}{more}; commit or stash them first")

    def files(self, *patterns: str) -> list[str]:
        """Tracked files and untracked ones git does not ignore (what a commit could take)."""
        proc = self.run("ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", *patterns,
                        check=False)
        if proc.returncode:
            raise GitOpsError(f"{self.top}: git ls-files failed: {_reason(proc.stderr)}")
        return sorted(set(filter(None, proc.stdout.split("\0"))))

    # --- changes -----------------------------------------------------------------------------

    def commit(self, path: str, message: str, when: dt.datetime) -> str:
        """Commit only `path` (`--only`: the index is untouched if the commit fails), dated `when`:
        the time the gates ran, whatever GIT_COMMITTER_DATE the caller's shell may hold."""
        stamp = f"@{int(when.timestamp())} +0000"
        proc = self.run("commit", "-q", "--only", "-F", "-", "--", path, stdin=message, check=False,
                        env={"GIT_COMMITTER_DATE": stamp, "GIT_AUTHOR_DATE": stamp})
        if proc.returncode:
            raise Refused("git commit failed; nothing was committed", _lines(proc.stderr))
        return self.head()

    def reset(self, rev: str) -> None:
        self.run("reset", "-q", "--hard", rev)

    def restore(self, path: str) -> None:
        """`path` as HEAD has it, in the index and the working tree."""
        self.run("checkout", "-q", "HEAD", "--", path)

    def start_branch(self, name: str) -> None:
        if self.exists(f"refs/heads/{name}"):
            raise GitOpsError(f"branch {name!r} already exists; choose another --branch name")
        if not self.ok("check-ref-format", "--branch", name):
            raise GitOpsError(f"{name!r} is not a valid branch name")
        self.run("switch", "-q", "-c", name)

    def switch(self, name: str, force: bool = False) -> None:
        self.run("switch", "-q", *(["--discard-changes"] if force else []), name)

    def delete_branch(self, name: str) -> None:
        self.run("branch", "-q", "-D", name)

    # --- network -----------------------------------------------------------------------------

    def fetch(self, remote: str, branch: str) -> None:
        """The remote's branch into its tracking ref, forced: a remote that was rewound is seen as it is."""
        proc = self._network("fetch", remote, "-q", "--no-tags", remote,
                             f"+refs/heads/{branch}:refs/remotes/{remote}/{branch}")
        if proc.returncode:
            raise Refused(f"git fetch {remote} failed: {_reason(proc.stderr)}", _lines(proc.stderr))

    def push(self, remote: str, refspec: str, set_upstream: bool = False) -> bool:
        """True when pushed, False when the remote moved on (retry after a fetch); any other refusal
        raises with all git said, the remote's hook lines included."""
        proc = self._network("push", remote, "--porcelain", *(["--set-upstream"] if set_upstream else []),
                             remote, refspec)
        if proc.returncode == 0:
            return True
        rejected = [ln for ln in proc.stdout.splitlines() if ln.startswith("!")]
        if rejected and all(any(r in ln for r in RETRYABLE) for ln in rejected):
            return False
        reason = rejected[0].split("\t")[-1] if rejected else _reason(proc.stderr)
        raise Refused(f"git push {remote} {refspec} failed: {reason}", _lines(proc.stderr))

    def _network(self, what: str, remote: str, *args: str) -> subprocess.CompletedProcess:
        try:
            return self.run(what, *args, check=False, timeout=self.network_timeout)
        except ToolFailed:
            after = ("the remote may have taken the push: git fetch and look before trying again"
                     if what == "push" else "nothing changed")
            raise Refused(f"git {what} {remote} did not finish within {self.network_timeout:g} s "
                          f"(--git-timeout SECONDS); {after}") from None

    # --- helpers -----------------------------------------------------------------------------

    def _config(self, key: str) -> str | None:
        proc = self.run("config", "--get", key, check=False)
        return proc.stdout.strip() or None if proc.returncode == 0 else None

    def _refuse_no_identity(self) -> None:
        """git commit's own check comes after the work, and on some machines guesses an address."""
        found = self.run("config", "-z", "--get-regexp", r"^(user|author|committer)\.(name|email)$", check=False).stdout
        keys = {entry.split("\n", 1)[0] for entry in found.split("\0") if entry}
        for field, fallback in (("email", "EMAIL"), ("name", None)):
            ok = f"user.{field}" in keys or all(
                f"{role}.{field}" in keys or os.environ.get(f"GIT_{role.upper()}_{field.upper()}")
                for role in ("author", "committer")
            ) or bool(fallback and os.environ.get(fallback))
            if not ok:
                example = "you@example.com" if field == "email" else '"Your Name"'
                raise GitOpsError(f"no git identity: user.{field} is not set; run `git config user.{field} {example}` "
                                  "(add --global for every repository) and try again")


@functools.cache
def _git() -> str:
    return require("git", "install git")


def _lines(text: str | None) -> list[str]:
    """git's message, each line as git printed it (the remote's hooks speak as `remote: ...`)."""
    return [f"git: {ln.rstrip()}" for ln in (text or "").splitlines() if ln.strip() and not re.fullmatch(r"To \S+", ln)]


def _reason(text: str | None) -> str:
    """git's first fatal or error line (the rest follows in `_lines`), else its last line."""
    for line in (text or "").splitlines():
        if line.startswith(("fatal: ", "error: ")):
            return line.partition(": ")[2].strip()
    return _last_line(text)


def _last_line(text: str | None) -> str:
    lines = [ln.strip() for ln in (text or "").splitlines() if ln.strip()]
    return lines[-1] if lines else "no output"
