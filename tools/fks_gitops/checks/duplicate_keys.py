"""Duplicate keys in the repository's YAML files, as a validate check.

    problems = check(repo, files)   # [Problem("yaml.duplicate-key", "error", ..., Location("base/x/p.yaml", 7, 3))]

kustomize refuses a key twice in a resource file, but in a kustomization.yaml or a patch it
keeps one of the two in silence (the last `namespace:`, the first key of a patch), so the
overlay renders something nobody wrote. The tools' own files are refused when they are loaded
(yamlload.py); this scan covers every file, tracked or one `git add` away, on each validate.
Files under tests/ are left out: fixtures may be broken on purpose, and nothing deploys them.
"""
from __future__ import annotations

from pathlib import Path

from fks_gitops import envcache, yamlload
from fks_gitops.problem import Problem, in_file
from fks_gitops.checks.context import FILES, RepoContext

ID, SCOPE = "duplicate-keys", FILES
RULE = "yaml.duplicate-key"
SKIPPED = ("tests/",)


def check(repo: Path, files: list[str], contents: envcache.Contents | None = None) -> list[Problem]:
    """`files`: the repository's file list (RepoContext.files)."""
    contents, problems = contents or envcache.Contents(repo), []
    with envcache.FileScan(ID, contents) as scanned:
        for rel in files:
            if rel.endswith((".yaml", ".yml")) and not rel.startswith(SKIPPED):
                problems += scanned(rel, lambda data: _file(rel, data))
    return problems


def _file(rel: str, data: bytes | None) -> list[Problem]:
    if data is None:  # a symlink, or no file
        return []
    return [in_file(rel, RULE, "error", d.message, d.line, d.col) for d in yamlload.duplicates(data.decode(errors="replace"))]


def run(ctx: RepoContext) -> list[Problem]:
    return check(ctx.config.repo, ctx.files(), envcache.contents(ctx))
