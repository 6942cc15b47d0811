"""Where a rendered object's field was written: the overlay patch that sets it, else its line in
the base file, else the object's first line.

    docs, sources = strip(rendered_docs, wrapper_dir, repo_root)   # kustomize's origin annotations out
    sources.locate(ObjectRef("Deployment", "fks-execution", "fks-trading"), "/spec/replicas")
    # Location("overlays/staging/execution-replicas.yaml", 7, 3)

kustomize records each object's origin (`config.kubernetes.io/origin`) and the kustomizations
whose transformers touched it (`alpha.config.kubernetes.io/transformations`) when asked with
`buildMetadata` (render.py asks through a wrapper kustomization outside the repository, so the
overlay Argo CD renders is unchanged). Source files are read with line numbers only when a
problem needs them, once each.
"""
from __future__ import annotations

import fnmatch
import functools
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import yaml

from fks_gitops.problem import Location, ObjectRef

ORIGIN = "config.kubernetes.io/origin"
TRANSFORMATIONS = "alpha.config.kubernetes.io/transformations"


@dataclass(frozen=True)
class Source:
    file: str | None  # the resource file, repository-relative
    generated_in: str | None  # the kustomization whose generator made it
    generator: str | None
    patched_in: tuple[str, ...]  # kustomizations whose patches touched it, in the order applied
    doc: dict  # the rendered object, to follow list items by name
    images_in: tuple[str, ...] = ()  # kustomizations whose images: entries set its images


class SourceMap:
    def __init__(self, root: Path, sources: dict[tuple, Source]) -> None:
        self.root, self.sources = root, sources

    def locate(self, obj: ObjectRef, pointer: str | None = None) -> Location | None:
        source = self.sources.get((obj.kind, obj.namespace, obj.name))
        if source is None:
            return None
        path = _split(pointer)
        if source.generated_in:
            return _generated(self.root, source, path)
        if path[-1:] == ["image"]:  # an image is set in an images: entry, wherever the container is
            for kustomization in reversed(source.images_in):
                found = _image_entry(self.root, kustomization, _value(source.doc, path))
                if found:
                    return found
        for kustomization in reversed(source.patched_in):  # the last patch applied wins
            found = _in_patches(self.root, kustomization, obj, source.doc, path)
            if found:
                return found
        return _in_file(self.root, source.file, obj, source.doc, path) if source.file else None


def strip(docs: list[dict], wrapper: Path, root: Path) -> tuple[list[dict], SourceMap]:
    """Take kustomize's build annotations out of every document (in place) and keep what they said."""
    sources = {}
    for doc in docs:
        meta = doc.get("metadata") or {}
        notes = meta.get("annotations") or {}
        origin = _load(notes.pop(ORIGIN, None)) or {}
        changes = _load(notes.pop(TRANSFORMATIONS, None)) or []
        if "annotations" in meta and not notes:
            del meta["annotations"]
        patched, images = (tuple(dict.fromkeys(
            _relative(wrapper, root, c.get("configuredIn")) for c in changes
            if isinstance(c, dict) and (c.get("configuredBy") or {}).get("kind") == kind))
            for kind in ("PatchTransformer", "ImageTagTransformer"))
        by = origin.get("configuredBy") or {}
        sources[(doc.get("kind"), meta.get("namespace"), meta.get("name"))] = Source(
            _relative(wrapper, root, origin.get("path")),
            _relative(wrapper, root, origin.get("configuredIn")) if by else None,
            by.get("name"),
            tuple(p for p in patched if p),
            doc,
            tuple(p for p in images if p),
        )
    return docs, SourceMap(root, sources)


@functools.lru_cache(maxsize=1024)
def _load(text: str | None):
    """An annotation's value (read only: objects share it). kustomize writes plain keys and
    values in block mappings and lists of them; those are read here, anything else by yaml."""
    if not text:
        return None
    simple = _simple(text)
    return simple if simple is not None else yaml.load(text, Loader=yaml.CSafeLoader)


_LINE = re.compile(r"( *)(- )?([A-Za-z][\w.-]*):(?: ([\w./][\w./:-]*))?", re.ASCII)
_STR = "tag:yaml.org,2002:str"


@functools.lru_cache(maxsize=1024)
def _is_str(scalar: str) -> bool:
    """Whether yaml reads this plain scalar as a string (not a number, bool, null or date)."""
    return not scalar.endswith(":") and yaml.resolver.Resolver().resolve(yaml.ScalarNode, scalar, (True, False)) == _STR


def _simple(text: str):
    """`text` read as yaml would read it, when it is only `key: value` and `key:` lines (two
    spaces a level) in one mapping or a list of mappings, with string keys and values; else None."""
    root, stack, opened = None, [], []  # stack: (column of its keys, mapping)
    for line in text.splitlines():
        match = _LINE.fullmatch(line)
        if not match:
            return None
        column, dash, key, value = len(match[1]), match[2], match[3], match[4]
        if not _is_str(key) or (value is not None and not _is_str(value)):
            return None
        if dash:
            root = [] if root is None else root
            if column != 0 or not isinstance(root, list):
                return None
            item: dict = {}
            root.append(item)
            stack, column = [(2, item)], 2
        elif root is None:
            root = {}
            stack = [(0, root)]
        while stack and stack[-1][0] > column:
            stack.pop()
        if not stack or stack[-1][0] != column or key in stack[-1][1]:
            return None
        if value is None:
            stack[-1][1][key] = child = {}
            stack.append((column + 2, child))
            opened.append(child)
        else:
            stack[-1][1][key] = value
    if root is None or any(not child for child in opened):  # `key:` with nothing under it is null
        return None
    return root


def _relative(wrapper: Path, root: Path, path: str | None) -> str | None:
    if not path:
        return None
    lexical = _lexical(wrapper, root, path)
    if lexical is not None:
        return lexical
    try:  # through symbolic links (root may be one)
        return Path(os.path.normpath(wrapper / path)).resolve().relative_to(root).as_posix()
    except ValueError:
        return None


@functools.lru_cache(maxsize=4096)
def _lexical(wrapper: Path, root: Path, path: str) -> str | None:
    try:
        return Path(os.path.normpath(wrapper / path)).relative_to(root).as_posix()
    except ValueError:
        return None


def _split(pointer: str | None) -> list[str]:
    if not pointer:
        return []
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer.lstrip("/").split("/")]


# --- reading source files with line numbers (ruamel.yaml), once per file ---------------------

_lock = threading.Lock()


@functools.lru_cache(maxsize=256)
def _documents(root: Path, rel: str, stamp: float) -> list:
    from ruamel.yaml import YAML

    try:
        return [d for d in YAML().load_all((root / rel).read_text()) if d is not None]
    except Exception:  # noqa: BLE001 - an unreadable file is reported by whoever reads it
        return []


def documents(root: Path, rel: str) -> list:
    try:
        stamp = (root / rel).stat().st_mtime_ns
    except OSError:
        return []
    with _lock:
        return _documents(root, rel, stamp)


def _walk(node, rendered, path: list[str]) -> tuple[int, int] | None:
    """(line, col), 0-based, of the deepest part of `path` present in `node`."""
    best = _position(node)
    for part in path:
        if isinstance(node, dict):
            if part not in node:
                break
            best = _key_position(node, part) or best
            node, rendered = node[part], (rendered or {}).get(part) if isinstance(rendered, dict) else None
        elif isinstance(node, list) and part.isdigit():
            index = _item(node, rendered, int(part))
            if index is None:
                break
            best = _item_position(node, index) or best
            item = rendered[int(part)] if isinstance(rendered, list) and int(part) < len(rendered) else None
            node, rendered = node[index], item
        else:
            break
    return best


def _item(node: list, rendered, index: int) -> int | None:
    """The source list's item for rendered item `index`: by `name` when items have one."""
    wanted = rendered[index] if isinstance(rendered, list) and index < len(rendered) else None
    if isinstance(wanted, dict) and "name" in wanted:
        for i, item in enumerate(node):
            if isinstance(item, dict) and item.get("name") == wanted["name"]:
                return i
        return None
    return index if index < len(node) else None


def _position(node) -> tuple[int, int] | None:
    lc = getattr(node, "lc", None)
    return (lc.line, lc.col) if lc is not None else None


def _key_position(node, key: str) -> tuple[int, int] | None:
    try:
        line, col = node.lc.key(key)
        return line, col
    except (AttributeError, KeyError, TypeError):
        return None


def _item_position(node, index: int) -> tuple[int, int] | None:
    try:
        line, col = node.lc.item(index)
        return line, col
    except (AttributeError, KeyError, TypeError, IndexError):
        return None


def _location(rel: str, position: tuple[int, int] | None) -> Location:
    return Location(rel, position[0] + 1, position[1] + 1) if position else Location(rel)


def _same(doc, obj: ObjectRef) -> bool:
    return isinstance(doc, dict) and doc.get("kind") == obj.kind and \
        (doc.get("metadata") or {}).get("name") in (obj.name, None)


def _in_file(root: Path, rel: str, obj: ObjectRef, rendered: dict, path: list[str]) -> Location:
    docs = documents(root, rel)
    doc = next((d for d in docs if _same(d, obj)), docs[0] if len(docs) == 1 else None)
    return _location(rel, _walk(doc, rendered, path)) if doc is not None else Location(rel)


def _in_patches(root: Path, kustomization: str, obj: ObjectRef, rendered: dict, path: list[str]) -> Location | None:
    """The patch of `kustomization` that sets `path` on the object, if one does."""
    if not path:
        return None
    folder = Path(kustomization).parent
    (k,) = documents(root, kustomization)[:1] or [None]
    for entry in (k or {}).get("patches") or ():
        rel = (folder / entry["path"]).as_posix() if isinstance(entry, dict) and entry.get("path") else None
        if rel is None or not _targets(entry.get("target"), obj):
            continue
        for doc in documents(root, rel):
            if isinstance(doc, list):  # JSON 6902: the op whose path is the field or holds it
                for i, op in enumerate(doc):
                    target = _split(str((op or {}).get("path", "")))
                    if target and path[:len(target)] == target:
                        return _location(rel, _key_position(op, "path") or _item_position(doc, i))
            elif entry.get("target") or _same(doc, obj):
                position = _walk(doc, rendered, path)
                if position and _walk_complete(doc, rendered, path):
                    return _location(rel, position)
    return None


def _walk_complete(node, rendered, path: list[str]) -> bool:
    for part in path:
        if isinstance(node, dict) and part in node:
            node, rendered = node[part], (rendered or {}).get(part) if isinstance(rendered, dict) else None
        elif isinstance(node, list) and part.isdigit() and (index := _item(node, rendered, int(part))) is not None:
            node, rendered = node[index], rendered[int(part)] if isinstance(rendered, list) else None
        else:
            return False
    return True


def _targets(target, obj: ObjectRef) -> bool:
    if not target:
        return True
    kind, name = target.get("kind"), target.get("name")
    return (not kind or fnmatch.fnmatchcase(obj.kind, kind)) and (not name or fnmatch.fnmatchcase(obj.name, name))


def _generated(root: Path, source: Source, path: list[str]) -> Location:
    """A generated ConfigMap or Secret: the file its data key came from, else the generator entry."""
    folder = Path(source.generated_in).parent
    (k,) = documents(root, source.generated_in)[:1] or [None]
    name = source.generator or str((source.doc.get("metadata") or {}).get("name", "")).rpartition("-")[0]
    for kind in ("configMapGenerator", "secretGenerator"):
        for i, generator in enumerate((k or {}).get(kind) or ()):
            if generator.get("name") != name:
                continue
            key = path[1] if len(path) > 1 and path[0] in ("data", "binaryData") else None
            for entry in generator.get("files") or ():
                name, _, file = str(entry).rpartition("=")
                if key and (name or Path(file).name) == key:
                    return Location((folder / file).as_posix())
            return _location(source.generated_in, _item_position(k[kind], i))
    return Location(source.generated_in)


def _value(doc, path: list[str]):
    for part in path:
        doc = doc.get(part) if isinstance(doc, dict) else doc[int(part)] if isinstance(doc, list) and part.isdigit() \
            and int(part) < len(doc) else None
    return doc


def _image_entry(root: Path, kustomization: str, image) -> Location | None:
    """The images: entry of `kustomization` that set `image` (its newTag or digest line)."""
    if not isinstance(image, str):
        return None
    bare = image.split("@")[0]
    name = bare.rpartition(":")[0] if ":" in bare.rpartition("/")[2] else bare  # without its tag
    (k,) = documents(root, kustomization)[:1] or [None]
    for entry in (k or {}).get("images") or ():
        if isinstance(entry, dict) and name in (entry.get("newName"), entry.get("name")):
            field = next((f for f in ("digest", "newTag", "newName") if f in entry), "name")
            return _location(kustomization, _key_position(entry, field))
    return None
