"""Every text file git holds is UTF-8: what is not would be skipped (kustomize makes binaryData of
it, which promtool and amtool never see) or stop a reader with a traceback.

    problems = run(ctx)   # RepoContext: one problem at the first bad byte of each file
"""
from __future__ import annotations

from fks_gitops import textfile
from fks_gitops.checks.context import FILES, RepoContext
from fks_gitops.problem import Problem, in_file

ID, SCOPE = "encoding", FILES
# What a person edits as text; other files (an image, a binary configMapGenerator input) may hold any byte.
TEXT = (".yaml", ".yml", ".json", ".rego", ".md", ".txt", ".sh", ".py", ".toml", ".pem", ".env", ".tmpl", ".cfg")
SKIPPED = ("tests/",)  # fixtures may be broken on purpose, and nothing deploys them


def run(ctx: RepoContext) -> list[Problem]:
    problems = []
    for rel in ctx.files():
        path = ctx.config.repo / rel
        if not rel.endswith(TEXT) or rel.startswith(SKIPPED) or path.is_symlink() or not path.is_file():
            continue
        found = textfile.first_invalid(path.read_bytes())
        if found:
            problems.append(in_file(rel, textfile.RULE, "error", textfile.message(found), found[0], found[1]))
    return problems
