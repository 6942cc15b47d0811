"""Duplicate keys in the repository's YAML files, as a validate check.

    problems = check(repo)   # [Problem("yaml.duplicate-key", "error", ..., Location("base/x/p.yaml", 7, 3))]

kustomize refuses a key twice in a resource file, but in a kustomization.yaml or a patch it
keeps one of the two in silence (the last `namespace:`, the first key of a patch), so the
overlay renders something nobody wrote. The tools' own files are refused when they are loaded
(yamlload.py); this scan covers every file, tracked or one `git add` away, on each validate.
Files under tests/ are left out: fixtures may be broken on purpose, and nothing deploys them.
"""
from __future__ import annotations

from pathlib import Path

from fks_gitops import yamlload
from fks_gitops.errors import GitOpsError
from fks_gitops.problem import Problem, in_file
from fks_gitops.proc import require, run as command
from fks_gitops.checks.context import FILES, RepoContext

RULE = "yaml.duplicate-key"
SKIPPED = ("tests/",)


def yaml_files(repo: Path) -> list[str]:
    argv = [require("git", "install git"), "ls-files", "-z", "--cached", "--others", "--exclude-standard",
            "--", "*.yaml", "*.yml"]
    proc = command(argv, cwd=str(repo), check=False, timeout=60)
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise GitOpsError(f"{repo}: git ls-files failed, so the duplicate-key scan has no file list: {tail}")
    return sorted({f for f in proc.stdout.split("\0") if f and not f.startswith(SKIPPED)})


def check(repo: Path) -> list[Problem]:
    problems = []
    for rel in yaml_files(repo):
        path = repo / rel
        if path.is_file() and not path.is_symlink():
            text = path.read_text(errors="replace")
            problems += [in_file(rel, RULE, "error", d.message, d.line, d.col) for d in yamlload.duplicates(text)]
    return problems


ID, SCOPE = "duplicate-keys", FILES


def run(ctx: RepoContext) -> list[Problem]:
    return check(ctx.config.repo)
