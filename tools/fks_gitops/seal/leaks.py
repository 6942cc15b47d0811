"""Secrets detect-secrets finds (seal/detect.py) in every file git holds, and in every line a
commit added since `audit.since`: a key committed and removed in the next commit is still in
history, for anyone who clones it.

    with scanner.active():
        problems, found = in_files(scanner, repo, files, skip={("base/x.yaml", 3)})  # lines reported already
        problems += in_history(scanner, git, config.audit_since, found)            # what the tree does not show

A finding the baseline lists is not reported (see detect.Scanner.known). History is read with one
`git log -p`. A file or a commit that scanned clean is remembered (resultcache, keyed by its
content or id and the baseline), so a run scans only what it has not seen.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from fks_gitops import resultcache
from fks_gitops.problem import Location, Problem
from fks_gitops.repo_git import Git
from fks_gitops.seal.detect import BASELINE, Finding, Scanner

FIX = ("remove it, rotate it and seal it with tools/seal.py; if it is no secret, "
       f"`detect-secrets scan --baseline {BASELINE}` lists it")
_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def in_files(scanner: Scanner, repo: Path, files: list[str], skip: set[tuple[str, int]],
             contents=None) -> tuple[list[Problem], list[Finding]]:
    """Problems for the tree's findings (none on a `skip` line), and every finding, known or not.
    `contents`: the run's envcache.Contents, whose digest decides before the file is read."""
    from fks_gitops import envcache  # noqa: PLC0415 - envcache imports the render machinery

    contents, findings = contents or envcache.Contents(repo), []
    with resultcache.Passes("detect-secrets file") as passes:
        for rel in files:
            key = resultcache.digest("detect-secrets file", scanner.identity, rel, contents(rel)) if rel != BASELINE else None
            if key is None or key in passes or (data := contents.data(rel)) is None:
                continue  # the baseline, a file that scanned clean, a symlink or no file
            try:
                text = data.decode()
            except UnicodeDecodeError:
                continue  # the encoding check reports a file that is not UTF-8
            found = scanner.scan(rel, text)
            if all(scanner.known(f) for f in found) and contents.unchanged(rel):
                passes.add(key)
            findings += found
    problems = [Problem("secrets.detect", "error", f"{f.type} in plaintext (detect-secrets); {FIX}", Location(f.file, f.line))
                for f in findings if not scanner.known(f) and (f.file, f.line) not in skip]
    return problems, findings


def in_history(scanner: Scanner, git: Git, since: str, tree: list[Finding]) -> list[Problem]:
    """Each secret a commit since `since` added that neither the baseline nor the tree shows, once."""
    key = scanner.identity
    boundary = _boundary(git, since)
    if boundary is None:
        return []  # no audit.since, or not in this history: the promotions check says which
    shown = {(f.file, f.hashed, f.type) for f in tree}
    seen: set[tuple[str, str]] = set()
    problems = []
    with resultcache.Passes("detect-secrets commit") as passes:
        for sha, author, subject, changes in _commits(git, f"{boundary}..HEAD", key, passes):
            found = [f for rel, lines in changes.items() if rel != BASELINE
                     for f in scanner.scan(rel, "\n".join(t for _, t in lines), [n for n, _ in lines])]
            found = [f for f in found if not scanner.known(f, anywhere=True) and (f.file, f.hashed, f.type) not in shown]
            if not found:
                passes.add(resultcache.digest("detect-secrets commit", sha, key))
            for f in found:
                if (f.hashed, f.type) not in seen:
                    seen.add((f.hashed, f.type))
                    problems.append(Problem("secrets.history", "error", f"{sha[:7]} ({author}) {subject}: added a {f.type} at "
                                            f"line {f.line}; a later commit removing it leaves it in history: rotate it",
                                            Location(f.file)))
    return problems


def _boundary(git: Git, since: str) -> str | None:
    """The commit history is read after: audit.since itself, or the last first-parent commit before its date."""
    if not since:
        return None
    if _DATE.match(since):
        found = git.run("rev-list", "-1", "--first-parent", f"--before={since}", "HEAD", check=False).stdout.strip()
        return found or None
    return since if git.exists(since) else None


def _commits(git: Git, revs: str, key: str,
             passes: resultcache.Passes) -> Iterator[tuple[str, str, str, dict[str, list[tuple[int, str]]]]]:
    """(sha, author, subject, {file: [(line, added text)]}) of each commit in `revs` not remembered clean."""
    listed = git.out("rev-list", "--no-merges", revs).split()
    todo = [sha for sha in listed if resultcache.digest("detect-secrets commit", sha, key) not in passes]
    if not todo:
        return
    out = git.run("-c", "core.quotePath=false", "log", "--no-walk=unsorted", "--stdin", "-p", "-U0", "--no-color",
                  "--no-ext-diff", "--no-renames", "--diff-filter=AM", "--format=%x01%H%x00%aN%x00%s",
                  stdin="\n".join(todo) + "\n", text=False).stdout.decode(errors="replace")
    for chunk in out.split("\x01")[1:]:
        header, _, diff = chunk.partition("\n")
        sha, author, subject = (header.split("\x00") + ["", ""])[:3]
        yield sha, author, subject, _added(diff)


def _added(diff: str) -> dict[str, list[tuple[int, str]]]:
    """{file: [(line number in the new file, text)]} of the added lines of a `git log -p -U0` diff."""
    found: dict[str, list[tuple[int, str]]] = {}
    current, number, previous = None, 0, ""
    for line in diff.split("\n"):
        header, previous = previous.startswith("--- "), line
        if header and line.startswith("+++ "):
            name = line[4:].strip('"')
            current = name[2:] if name.startswith("b/") else None
        elif line.startswith("@@"):
            match = _HUNK.match(line)
            number = int(match[1]) if match else 0
        elif line.startswith("+") and current is not None:
            found.setdefault(current, []).append((number, line[1:]))
            number += 1
    return found
