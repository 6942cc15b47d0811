"""`promote.py --abort`: undo what a killed promotion left, as its journal (promote/lock.py) says,
and keep nothing the gates did not pass.

    lines = abort(Git.open(repo))     # ["back on main", "restored overlays/dev/kustomization.yaml", ...]

What it undoes, each only when it is provably the killed run's (by branch name, commit message
and parent, file digest): the promotion branch checked out (`--branch`), a commit not on the
remote (`--push`), the edit of the overlay, temporary files. A commit of a plain run is kept: it
was written only after every gate passed. Anything else in the way is left to the user, named.
"""
from __future__ import annotations

import hashlib

from fks_gitops import atomic
from fks_gitops.errors import GitOpsError
from fks_gitops.promote import lock
from fks_gitops.repo_git import Git


def digest(text: str | bytes) -> str:
    return hashlib.sha256(text.encode() if isinstance(text, str) else text).hexdigest()


def abort(git: Git) -> list[str]:
    with lock.hold(git.git_dir, abort=True) as held:
        journal = held.interrupted
        if journal is None:
            return sweep(git) or ["no interrupted promotion in this working tree; nothing to undo"]
        return _branch(git, journal) + _commit(git, journal) + _edit(git, journal) + sweep(git)


def _branch(git: Git, journal: dict) -> list[str]:
    name, back = journal.get("promo_branch"), journal["branch"]
    lines = []
    if name and git.branch() == name:
        _only_ours(git, journal)
        git.switch(back, force=True)
        lines.append(f"back on {back}")
    if git.branch() != back:
        raise GitOpsError(f"the promotion ran on {back}, and {git.branch()} is checked out; "
                          f"git switch {back}, then run --abort again")
    if name and git.exists(f"refs/heads/{name}"):
        remote = journal.get("remote", "origin")
        if git.exists(f"refs/remotes/{remote}/{name}") and git.head(f"refs/remotes/{remote}/{name}") == git.head(name):
            lines.append(f"kept branch {name}: it is on {remote}; open a pull request from it or delete it there")
        else:
            git.delete_branch(name)
            lines.append(f"deleted branch {name}, which was never pushed")
    return lines


def _commit(git: Git, journal: dict) -> list[str]:
    """The promotion's commit on the original branch, if the killed run got that far."""
    base, message = journal.get("base"), journal.get("message")
    if journal["mode"] == "branch" or not base or git.head() == base:
        return []
    if git.message().strip() != (message or "").strip() or not git.exists("HEAD^") or git.head("HEAD^") != base:
        return []  # HEAD moved past the killed run's commit: someone's later work, left alone
    sha = git.head()[:12]
    if journal["mode"] == "local":
        return [f"kept commit {sha}: it passed every gate before it was written"]
    tracking = f"refs/remotes/{journal['remote']}/{journal['remote_branch']}"
    if git.exists(tracking) and git.is_ancestor("HEAD", tracking):
        return [f"kept commit {sha}: {journal['remote']} has it"]
    git.reset(base)
    return [f"dropped commit {sha}, which was never pushed; promote again to redo it"]


def _edit(git: Git, journal: dict) -> list[str]:
    path = journal["path"]
    if path not in git.dirty():
        return []
    _only_ours(git, journal)
    git.restore(path)
    return [f"restored {path} as {git.branch()} has it"]


def _only_ours(git: Git, journal: dict) -> None:
    """The uncommitted change is the killed run's edit, byte for byte; else it is the user's."""
    path = journal["path"]
    others = [p for p in git.dirty() if p != path]
    if others:
        raise GitOpsError(f"uncommitted changes in {others[0]} are not the promotion's; commit or stash them, "
                          "then run --abort again")
    if path in git.dirty() and digest((git.top / path).read_bytes()) != journal.get("written"):
        raise GitOpsError(f"{path} was changed after the killed promotion wrote it; keep or undo that change "
                          f"yourself (git diff {path}), then run --abort again")


def sweep(git: Git) -> list[str]:
    """Remove the temporary files killed writes of the overlays left (the caller holds the lock)."""
    lines = []
    for leftover in sorted(p for f in git.files("overlays/") if f.endswith("/kustomization.yaml")
                           for p in atomic.leftovers(git.top / f)):
        leftover.unlink(missing_ok=True)
        lines.append(f"removed {leftover.relative_to(git.top)}")
    return lines
