"""Every text file git holds is UTF-8: what is not would be skipped (kustomize makes binaryData of
it, which promtool and amtool never see) or stop a reader with a traceback. Every YAML and JSON
file nests at most yamldepth.MAX_DEPTH levels: deeper would crash a C parser, and no reader can
say more than that it could not read it.

    problems = run(ctx)   # RepoContext: one problem at the first bad byte, or too deep a level, of each file
"""
from __future__ import annotations

from fks_gitops import envcache, textfile, yamldepth
from fks_gitops.checks.context import FILES, RepoContext
from fks_gitops.problem import Problem, in_file

ID, SCOPE = "encoding", FILES
# What a person edits as text; other files (an image, a binary configMapGenerator input) may hold any byte.
TEXT = (".yaml", ".yml", ".json", ".rego", ".md", ".txt", ".sh", ".py", ".toml", ".pem", ".env", ".tmpl", ".cfg")
STRUCTURED = (".yaml", ".yml", ".json")
DEPTH_RULE = "yaml.depth"
SKIPPED = ("tests/",)  # fixtures may be broken on purpose, and nothing deploys them


def run(ctx: RepoContext) -> list[Problem]:
    contents, problems = envcache.contents(ctx), []
    with envcache.FileScan(ID, contents) as scanned:
        for rel in ctx.files():
            if rel.endswith(TEXT) and not rel.startswith(SKIPPED):
                problems += scanned(rel, lambda data: _file(rel, data))
    return problems


def _file(rel: str, data: bytes | None) -> list[Problem]:
    if data is None:  # a symlink, or no file
        return []
    found = textfile.first_invalid(data)
    if found:
        return [in_file(rel, textfile.RULE, "error", textfile.message(found), found[0], found[1])]
    if rel.endswith(STRUCTURED) and (deep := yamldepth.too_deep(data.decode())):
        return [in_file(rel, DEPTH_RULE, "error", f"nested more than {yamldepth.MAX_DEPTH} levels deep, "
                        "which no reader here can take (a C parser would crash): flatten it", deep[0], deep[1])]
    return []
