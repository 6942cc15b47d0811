"""No sealed ciphertext appears twice anywhere in the repository: a copy, from another entry or
SealedSecret, passes every structural check but never decrypts (RSA-OAEP's label is the scope's
namespace/name) or hands the wrong value to a key. Fresh seals never repeat: each entry has its
own random session key.

    problems = run(ctx)   # RepoContext: one problem at each repeat, naming the first
"""
from __future__ import annotations

import json
from collections.abc import Iterator

from fks_gitops import envcache, resultcache, yamlload
from fks_gitops.checks.context import FILES, RepoContext
from fks_gitops.errors import GitOpsError
from fks_gitops.problem import Problem, in_file

ID, SCOPE = "ciphertexts", FILES
SKIPPED = ("tests/",)  # fixtures repeat placeholders on purpose, and nothing deploys them


def _entries(rel: str, text: str) -> Iterator[tuple[int | None, str, str, str]]:
    """(line, SealedSecret name, key, ciphertext) of each encryptedData entry in a file."""
    try:
        documents = yamlload.load_all_nodes(text, rel)
    except GitOpsError:
        return  # the schema and duplicate-key checks report a file that does not load
    for node, doc in documents:
        if not isinstance(doc, dict) or doc.get("kind") != "SealedSecret":
            continue
        data = (doc.get("spec") or {}).get("encryptedData") or {}
        name = str((doc.get("metadata") or {}).get("name", "?"))
        for key, value in data.items() if isinstance(data, dict) else ():
            if isinstance(value, str) and value:
                yield yamlload.position(node, ("spec", "encryptedData", str(key)))[0], name, str(key), value


def _kept(rel: str, digest: str, text: str, keep: bool = True) -> list[tuple[int | None, str, str, str]]:
    """_entries of a file, kept by its path, content and the check code: a one-file edit parses
    one file (each SealedSecret file costs about 1 ms to load with its lines). `keep`: `text` is
    the content `digest` names (not so when the file changed between the two reads)."""
    name = "entries-" + resultcache.digest("ciphertexts", envcache.code(), rel, digest) + ".json"
    try:
        return [(line, name_, key, value) for line, name_, key, value in json.loads(resultcache.read(name) or "null")]
    except (TypeError, ValueError):  # none kept, or damaged
        found = list(_entries(rel, text))
        if keep:
            resultcache.write(name, json.dumps(found))
        return found


def run(ctx: RepoContext) -> list[Problem]:
    first: dict[str, tuple[str, int | None, str, str]] = {}
    problems = []
    contents = envcache.contents(ctx)
    for rel in ctx.files():
        if not rel.endswith((".yaml", ".yml")) or rel.startswith(SKIPPED) or (data := contents.data(rel)) is None:
            continue  # not a manifest, a fixture, a symlink or no file
        text = data.decode(errors="replace")
        if "SealedSecret" not in text:
            continue
        for line, name, key, value in _kept(rel, contents(rel), text, contents.unchanged(rel)):
            seen = first.setdefault(value, (rel, line, name, key))
            if seen != (rel, line, name, key):
                problems.append(in_file(rel, "secrets.ciphertext-repeated", "error",
                                        f"encryptedData[{key!r}] of {name!r} repeats the ciphertext of {seen[3]!r} of "
                                        f"{seen[2]!r} ({seen[0]}:{seen[1]}); a copy never decrypts: re-seal it", line))
    return problems
