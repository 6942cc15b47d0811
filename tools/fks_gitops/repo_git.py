"""The git work of a promotion, through GitPython: safety checks, commit, push, branch.

    with open_repo(path) as repo:
        branch = current_branch(repo); refuse_dirty(repo)
        sha = commit(repo, "overlays/prod/kustomization.yaml", message)
        pushed = push(repo, "origin", "HEAD:main")   # False when the remote moved on
"""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import TYPE_CHECKING

from fks_gitops.errors import GitOpsError, Refused
from fks_gitops.proc import require, run

if TYPE_CHECKING:  # GitPython loads in open_repo, while kustomize already renders (promote.py)
    import git

# Untracked files elsewhere cannot reach a render; new files in an overlay can (a patch, a secret).
WATCHED_UNTRACKED = "overlays/"
RETRYABLE = ("(fetch first)", "(non-fast-forward)", "cannot lock ref", "failed to update ref", "incorrect old value")


def preflight(path: Path, writing: bool, push: bool, branch: bool) -> Path | None:
    """Checks that need neither GitPython nor a render, so promote makes them before any work:
    a detached HEAD; for a writing run, a git identity; for --push, an upstream; for --branch, a
    remote. Returns the working tree's git directory (for the lock, promote/lock.py), or None
    when `path` is no repository (open_repo says so). Plain git: a few ms, where GitPython's
    import alone takes ~90 ms."""
    git = require("git", "install git")
    proc = run([git, "rev-parse", "--absolute-git-dir", "--symbolic-full-name", "HEAD"], cwd=str(path), check=False)
    lines = proc.stdout.splitlines()
    if proc.returncode or len(lines) != 2:
        return None  # not a repository, or a branch without commits: open_repo and current_branch say which
    if lines[1] == "HEAD":
        raise GitOpsError("HEAD is detached; check out a branch (git switch main) and try again")
    if writing:
        _refuse_no_identity(git, path)
    name = lines[1].removeprefix("refs/heads/")
    if push and run([git, "rev-parse", "-q", "--verify", f"{name}@{{upstream}}"], cwd=str(path), check=False).returncode:
        raise GitOpsError(_no_upstream(git, path, name))
    if branch and not run([git, "remote"], cwd=str(path)).stdout.split():
        raise GitOpsError("this repository has no remote to push --branch to; add one (git remote add origin URL)")
    return Path(lines[0])


def _refuse_no_identity(git: str, path: Path) -> None:
    """git commit's own check comes after the work, and on some machines guesses an address."""
    found = run([git, "config", "-z", "--get-regexp", r"^(user|author|committer)\.(name|email)$"],
                cwd=str(path), check=False).stdout
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


def _no_upstream(git: str, path: Path, name: str) -> str:
    if not run([git, "remote"], cwd=str(path)).stdout.split():
        return f"--push: this repository has no remote; add one (git remote add origin URL, then git push -u origin {name})"
    return f"branch {name!r} has no upstream; run `git push -u origin {name}` once, or drop --push"


def open_repo(path: Path) -> git.Repo:
    """The repository whose top directory is `path` (promotion and history read and write there)."""
    import git

    try:
        return git.Repo(path)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise GitOpsError(f"{path} is not the top of a git repository") from None


def current_branch(repo: git.Repo) -> str:
    if repo.head.is_detached:
        raise GitOpsError("HEAD is detached; check out a branch (git switch main) and try again")
    if not repo.head.is_valid():
        raise GitOpsError(f"branch {repo.active_branch.name!r} has no commits yet; commit the overlays first")
    return repo.active_branch.name


def dirty(repo: git.Repo) -> list[str]:
    """Paths with uncommitted changes: every tracked change, and untracked files under overlays/."""
    out = repo.git.status("--porcelain=v1", "-z", "--untracked-files=all")
    paths = []
    for entry in filter(None, out.split("\0")):
        state, path = entry[:2], entry[3:]
        if len(entry) > 3 and (state != "??" or path.startswith(WATCHED_UNTRACKED)):
            paths.append(path)
    return paths


def refuse_dirty(repo: git.Repo) -> None:
    paths = dirty(repo)
    if paths:
        more = f" and {len(paths) - 1} more" if len(paths) > 1 else ""
        raise GitOpsError(f"uncommitted changes in {paths[0]}{more}; commit or stash them first")


def upstream(repo: git.Repo) -> tuple[str, str]:
    """(remote, branch) the current branch tracks."""
    tracking = repo.active_branch.tracking_branch()
    if tracking is None:
        name = repo.active_branch.name
        raise GitOpsError(f"branch {name!r} has no upstream; run `git push -u origin {name}` once, or drop --push")
    return tracking.remote_name, tracking.remote_head


def refuse_unpushed(repo: git.Repo, remote: str, branch: str) -> None:
    """--push may reset onto the remote tip; local commits of the user's must not be in the way."""
    count = int(repo.git.rev_list("--count", f"{remote}/{branch}..HEAD"))
    if count:
        raise GitOpsError(f"{repo.active_branch.name} has {count} unpushed commit(s); push them first or drop --push")


def head(repo: git.Repo) -> str:
    return repo.head.commit.hexsha


def commit(repo: git.Repo, path: str, message: str, when: dt.datetime) -> str:
    """Commit only `path` (`--only`: the index is untouched if the commit fails), dated `when`:
    the time the gates ran, whatever GIT_COMMITTER_DATE the caller's shell may hold."""
    from git import GitCommandError

    stamp = f"@{int(when.timestamp())} +0000"
    try:
        with repo.git.custom_environment(GIT_COMMITTER_DATE=stamp, GIT_AUTHOR_DATE=stamp):
            repo.git.commit("-q", "--only", "-m", message, "--", path)
    except GitCommandError as exc:
        raise Refused(f"git commit failed: {_last_line(exc.stderr)}") from None
    return head(repo)


def push(repo: git.Repo, remote: str, refspec: str, set_upstream: bool = False) -> bool:
    """True when pushed, False when the remote moved on (retry after sync); other failures raise."""
    args = ["--porcelain", *(["--set-upstream"] if set_upstream else []), remote, refspec]
    status, out, err = repo.git.push(*args, with_extended_output=True, with_exceptions=False)
    if status == 0:
        return True
    rejected = [ln for ln in out.splitlines() if ln.startswith("!")]
    if rejected and all(any(r in ln for r in RETRYABLE) for ln in rejected):
        return False
    detail = rejected[0].split("\t")[-1] if rejected else _last_line(err)
    raise Refused(f"git push {remote} {refspec} failed: {detail}")


def sync(repo: git.Repo, remote: str, branch: str) -> None:
    """Move the branch to the remote's tip; the caller has checked it holds nothing else of value."""
    repo.git.fetch("-q", remote)
    reset(repo, f"{remote}/{branch}")


def reset(repo: git.Repo, rev: str) -> None:
    repo.git.reset("-q", "--hard", rev)


def start_branch(repo: git.Repo, name: str) -> None:
    from git import GitCommandError

    if name in repo.heads:
        raise GitOpsError(f"branch {name!r} already exists; choose another --branch name")
    try:
        repo.git.check_ref_format("--branch", name)
    except GitCommandError:
        raise GitOpsError(f"{name!r} is not a valid branch name") from None
    repo.git.switch("-q", "-c", name)


def leave_branch(repo: git.Repo, back_to: str, name: str, keep: bool) -> None:
    repo.git.switch("-q", back_to)
    if not keep:
        repo.git.branch("-q", "-D", name)


def _last_line(text: str | None) -> str:
    lines = [ln.strip() for ln in (text or "").splitlines() if ln.strip()]
    return lines[-1] if lines else "no output"
