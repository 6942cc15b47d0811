"""What kustomize may read, checked before it runs: local files inside the repository.

    problems = refused(repo, "overlays/prod", files=set(git.files()))  # [] when kustomize may run
    problems = refused(scratch, "overlays/prod")   # no git (promote's scratch tree): remote and escaping paths only
    problems, read = reached(repo, "overlays/prod", files)  # and every file the render reads (envcache's key)

kustomize fetches what it cannot find locally (`https://...`, `git::...`, `github.com/org/repo`)
over the network, and follows `../` and symlinks anywhere on the machine; in a contribution
either lets someone else's input reach the render. With `files` (repo_git.Git.files: tracked,
or one `git add` away) each file read must also be one of them, and no folder on the way a
symlink, so the render is what a commit carries. Each refusal is one problem at the entry's line.
The resource files may hold at most MAX_OBJECTS objects: kustomize's time grows faster than the
square of their number (kustomize 5.5: 1.2 s for 1,000 objects, 6 s for 2,000, 38 s for 4,000).
"""
from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass, field as default
from pathlib import Path

import yaml
from yaml import Node

from fks_gitops import aliases, runcache, yamldepth, yamlload
from fks_gitops.errors import GitOpsError
from fks_gitops.problem import Location, Problem

RULE = "render.input"
MAX_OBJECTS = 2_000  # one render; the repository's overlays hold about 40 each
FOLDER, YAML, DATA = "a file or a kustomization folder", "YAML kustomize parses", "data it copies as it is"
NAMES = runcache.KUSTOMIZATIONS  # the names kustomize looks for, in its order
_FOLDERS = ("resources", "bases", "components")  # a file, or a folder with its own kustomization
_FILES = ("patchesStrategicMerge", "crds", "configurations", "generators", "transformers", "validators")
_PATHS = ("patches", "patchesJson6902", "replacements")  # items with a `path:`
_GENERATORS = ("configMapGenerator", "secretGenerator")
# kustomize's remote forms: a URL scheme, go-getter's git::, scp-like git@host:, a host/path
_URL = re.compile(r"^(?:[a-zA-Z][\w+.-]*:/|git::|[\w.-]+@[\w.-]+:|gh:)")
_HOST = re.compile(r"^[\w-]+(?:\.[\w-]+)+(?::\d+)?/")
_DOCUMENT = re.compile(r"^kind:", re.MULTILINE)  # each document has one top-level kind
_LIST = re.compile(r"^kind:\s*\w*List\s*$", re.MULTILINE)


@dataclass
class _Walk:
    root: Path
    files: set[str] | None
    problems: list[Problem] = default(default_factory=list)
    seen: set[str] = default(default_factory=set)
    objects: dict[str, int] = default(default_factory=dict)  # resource file -> objects in it
    read: set[str] = default(default_factory=set)  # every repository-relative path kustomize reads


def refused(root: Path, folder: str, files: set[str] | None = None) -> list[Problem]:
    """Every entry of the kustomizations under `folder` (repository-relative) kustomize must not read."""
    return reached(root, folder, files)[0]


def reached(root: Path, folder: str, files: set[str] | None = None) -> tuple[list[Problem], frozenset[str]]:
    """What `refused` returns, and every path the render reads (kustomizations, resources,
    patches, generator sources, components: transitively), missing ones included."""
    walk = _Walk(root, files)
    _walk(walk, folder)
    total = sum(walk.objects.values())
    if total > MAX_OBJECTS:
        biggest = max(walk.objects, key=walk.objects.get)
        walk.problems.append(Problem("render.limit", "error", f"{total:,} objects to render, over the {MAX_OBJECTS:,} one "
                                     f"render may hold ({biggest} has {walk.objects[biggest]:,}); kustomize would take "
                                     "minutes to hours: split the folder", Location(f"{folder}/{NAMES[0]}".lstrip("/"))))
    return walk.problems, frozenset(walk.read)


def _walk(walk: _Walk, folder: str) -> None:
    root, files = walk.root, walk.files
    rel = next((f"{folder}/{n}".lstrip("/") for n in NAMES if (root / folder / n).is_file()), None)
    if rel is None or rel in walk.seen:
        return  # no kustomization: kustomize says so
    walk.seen.add(rel)
    walk.read.add(rel)
    if files is not None and (message := _untracked(root, rel, files)):
        walk.problems.append(Problem(RULE, "error", message, Location(rel)))
        return
    parsed = _load(walk, rel)
    if parsed is None:
        return  # unreadable: kustomize's own error is the clearer one
    node, doc = parsed
    for entry, at, kind in _entries(doc):
        message, target = _check(root, folder, entry, files, kind == FOLDER)
        if message:
            walk.problems.append(Problem(RULE, "error", message, Location(rel, *yamlload.position(node, at))))
        elif target is not None and kind == FOLDER and (root / target).is_dir():
            _walk(walk, target)
        elif target is not None and kind != DATA:
            walk.read.add(target)
            _read(walk, target, kind == FOLDER)
        elif target is not None:
            walk.read.add(target)


def _load(walk: _Walk, rel: str) -> tuple[Node, dict] | None:
    try:
        text = (walk.root / rel).read_bytes().decode()
        if _too_deep(walk, rel, text):
            return None
        found = yamlload.load_all_nodes(text, rel)
    except (OSError, UnicodeDecodeError, GitOpsError):
        return None
    return found[0] if found and isinstance(found[0][1], dict) else None


def _read(walk: _Walk, rel: str, resources: bool) -> None:
    """A YAML file kustomize parses: aliases that expand past aliases.MAX_NODES are refused, and
    the objects of a resource file counted."""
    try:
        text = (walk.root / rel).read_bytes().decode()
    except (OSError, UnicodeDecodeError):
        return  # kustomize reports a file it cannot read
    if _too_deep(walk, rel, text):
        return
    found = aliases.too_far(text)
    if found:
        walk.problems.append(Problem(RULE, "error", f"YAML aliases here expand to {found[1]:,} nodes, over the "
                                     f"{aliases.MAX_NODES:,} kustomize may copy out; write the values out or drop the aliases",
                                     Location(rel, found[0])))
    elif resources and rel not in walk.objects:
        walk.objects[rel] = _count(text)


def _too_deep(walk: _Walk, rel: str, text: str) -> bool:
    """Refuse a file nested past yamldepth.MAX_DEPTH: kustomize stops at 10,000 levels with a
    message that names no line, and composing it would crash this process."""
    found = yamldepth.too_deep(text)
    if found:
        walk.problems.append(Problem(RULE, "error", f"YAML nested more than {yamldepth.MAX_DEPTH} levels deep; "
                                     "no Kubernetes object nests so far: flatten it", Location(rel, found[0], found[1])))
    return found is not None


def _count(text: str) -> int:
    """Objects in a resource file; a List's items are counted only when there is one (rare)."""
    if not _LIST.search(text):
        return len(_DOCUMENT.findall(text))
    docs = [d for d in yaml.load_all(text, Loader=yamldepth.CSafeLoader) if isinstance(d, dict)]
    return sum(len(d.get("items") or []) if str(d.get("kind", "")).endswith("List") else 1 for d in docs)


def _entries(doc: dict) -> Iterator[tuple[str, tuple, str]]:
    """(entry, its path in the document, FOLDER, YAML or DATA) for every path kustomize reads."""
    for field in (*_FOLDERS, *_FILES):
        for i, entry in enumerate(_list(doc.get(field))):
            if isinstance(entry, str) and "\n" not in entry:  # a multi-line string is an inline patch
                yield entry, (field, i), FOLDER if field in _FOLDERS else YAML
    for field in _PATHS:
        for i, item in enumerate(_list(doc.get(field))):
            if isinstance(item, dict) and isinstance(item.get("path"), str):
                yield item["path"], (field, i, "path"), YAML
    if isinstance(doc.get("openapi"), dict) and isinstance(doc["openapi"].get("path"), str):
        yield doc["openapi"]["path"], ("openapi", "path"), DATA
    for field in _GENERATORS:
        for i, gen in enumerate(_list(doc.get(field))):
            if not isinstance(gen, dict):
                continue
            for key in ("files", "envs"):
                for j, entry in enumerate(_list(gen.get(key))):
                    if isinstance(entry, str):
                        yield entry.rpartition("=")[2] if key == "files" else entry, (field, i, key, j), DATA
            if isinstance(gen.get("env"), str):
                yield gen["env"], (field, i, "env"), DATA


def _list(value: object) -> list:
    return value if isinstance(value, list) else []


def _check(root: Path, folder: str, entry: str, files: set[str] | None, may_be_folder: bool) -> tuple[str | None, str | None]:
    """(why kustomize must not read `entry`, or None; its repository-relative path)."""
    if _URL.match(entry) or (_HOST.match(entry) and not (root / folder / entry).exists()):
        return f"remote resource {entry!r} refused: validate renders only what the repository holds; vendor it in", None
    target = posixpath.normpath(posixpath.join(folder, entry))
    if entry.startswith("/") or target == ".." or target.startswith("../"):
        return f"{entry!r} leaves the repository; keep every input inside it", None
    if files is None:
        return None, target
    link = _symlink(root, target)
    if link:
        return f"{entry!r}: {link} is a symlink; kustomize would read what git does not hold; commit the real files", None
    if (root / target).is_file() or not may_be_folder:
        return _untracked(root, target, files), target
    return None, target


def _symlink(root: Path, target: str) -> str | None:
    """The first part of `target` that is a symlink, repository-relative."""
    parts = target.split("/")
    for n in range(1, len(parts) + 1):
        prefix = "/".join(parts[:n])
        if (root / prefix).is_symlink():
            return prefix
    return None


def _untracked(root: Path, rel: str, files: set[str]) -> str | None:
    if rel in files or not (root / rel).exists():
        return None  # a missing file is kustomize's to report
    return f"{rel} is ignored by git (not tracked, not addable); kustomize would render what no commit holds"
