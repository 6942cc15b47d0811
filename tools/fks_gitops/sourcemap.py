"""Where a rendered object's field was written: the overlay patch that sets it, else its line in
the base file, else the object's first line; an image, at the images: entry that sets it.

    sources = SourceMap(repo, "overlays/staging", docs)     # costs nothing until asked
    sources.locate(ObjectRef("HorizontalPodAutoscaler", "fks-execution", "fks-trading-staging"), "/spec/minReplicas")
    # Location("overlays/staging/execution-replicas.yaml", 7, 3)

The map is read from the kustomizations themselves (resources, generators, patches, images,
components), walked from the overlay down, only when a problem needs a line: kustomize's own
origin annotations would make every render about 60 % slower (kubernetes-sigs/kustomize#5988),
and the render Argo CD sees stays the plain one. Files are read with line numbers (ruamel.yaml)
only for the fields a problem names, once each.
"""
from __future__ import annotations

import fnmatch
import functools
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import yaml

from fks_gitops import yamldepth
from fks_gitops.pointer import split
from fks_gitops.problem import Location, ObjectRef

_HASHED = re.compile(r"^(?P<base>.+)-[a-z0-9]{10}$")  # kustomize's generated-name suffix
_GENERATED = {"configMapGenerator": "ConfigMap", "secretGenerator": "Secret"}


@dataclass(frozen=True)
class Source:
    file: str | None  # the resource file, repository-relative
    generated_in: str | None  # the kustomization whose generator made it
    generator: str | None
    patched_in: tuple[str, ...]  # kustomizations above it with patches, in the order applied
    doc: dict  # the rendered object, to follow list items by name
    images_in: tuple[str, ...] = ()  # kustomizations above it with images: entries


class SourceMap:
    def __init__(self, root: Path, overlay: str | None = None, docs: list[dict] = ()) -> None:
        self.root, self.overlay = root, overlay
        self._docs = {(d.get("kind"), (d.get("metadata") or {}).get("name")): d for d in docs}
        self._lock = threading.Lock()
        self._found: dict[tuple, Source] | None = None

    @property
    def sources(self) -> dict[tuple, Source]:
        with self._lock:
            if self._found is None:
                self._found = {}
                if self.overlay:
                    _collect(self.root, self.overlay, (), self._found, set())
            return self._found

    def locate(self, obj: ObjectRef, pointer: str | None = None) -> Location | None:
        doc = self._docs.get((obj.kind, obj.name), {})
        hashed = _HASHED.match(obj.name)
        source = self.sources.get((obj.kind, obj.name)) or (hashed and self.sources.get((obj.kind, hashed["base"])))
        if not source:
            return None
        path = split(pointer)
        if source.generated_in:
            return _generated(self.root, source, path)
        if path[-1:] == ["image"]:  # an image is set in an images: entry, wherever the container is
            for kustomization in reversed(source.images_in):
                found = _image_entry(self.root, kustomization, _value(doc, path))
                if found:
                    return found
        for kustomization in reversed(source.patched_in):  # the last patch applied wins
            found = _in_patches(self.root, kustomization, obj, doc, path)
            if found:
                return found
        return _in_file(self.root, source.file, obj, doc, path) if source.file else None


def _collect(root: Path, folder: str, above: tuple[dict, ...], found: dict[tuple, Source], seen: set) -> None:
    """Every object a kustomization folder makes, with the kustomizations above it (overlay first)."""
    rel = f"{folder}/kustomization.yaml" if folder else "kustomization.yaml"
    if rel in seen:
        return
    seen.add(rel)
    k = _quick(root, rel)
    chain = (*above, {"file": rel, "patches": bool(k.get("patches")), "images": bool(k.get("images")),
                      "prefix": str(k.get("namePrefix") or ""), "suffix": str(k.get("nameSuffix") or "")})
    prefix = "".join(c["prefix"] for c in chain)  # the overlay's prefix goes outside the base's
    suffix = "".join(c["suffix"] for c in reversed(chain))
    patched = tuple(c["file"] for c in reversed(chain) if c["patches"])
    images = tuple(c["file"] for c in reversed(chain) if c["images"])
    for entry in [*(k.get("resources") or ()), *(k.get("components") or ())]:
        target = _normal(folder, str(entry))
        if target is None:
            continue
        if (root / target / "kustomization.yaml").is_file():
            _collect(root, target, chain, found, seen)
        elif (root / target).is_file():
            for doc in _quick_all(root, target):
                key = (doc.get("kind"), f"{prefix}{(doc.get('metadata') or {}).get('name')}{suffix}")
                found.setdefault(key, Source(target, None, None, patched, {}, images))
    for field, kind in _GENERATED.items():
        for generator in k.get(field) or ():
            if isinstance(generator, dict) and generator.get("name"):
                name = f"{prefix}{generator['name']}{suffix}"
                found.setdefault((kind, name), Source(None, rel, generator["name"], patched, {}, images))


def _normal(folder: str, entry: str) -> str | None:
    """`entry` of a kustomization in `folder`, repository-relative; None when it leaves the repository."""
    parts: list[str] = [p for p in folder.split("/") if p]
    for part in entry.split("/"):
        if part == "..":
            if not parts:
                return None
            parts.pop()
        elif part not in ("", "."):
            parts.append(part)
    return "/".join(parts)


@functools.lru_cache(maxsize=512)
def _read(root: Path, rel: str, stamp: int) -> tuple:
    try:
        return tuple(d for d in yaml.load_all((root / rel).read_text(), Loader=yamldepth.CSafeLoader) if isinstance(d, dict))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return ()  # whoever reads the file for real reports it


def _quick_all(root: Path, rel: str) -> tuple:
    try:
        return _read(root, rel, (root / rel).stat().st_mtime_ns)
    except OSError:
        return ()


def _quick(root: Path, rel: str) -> dict:
    docs = _quick_all(root, rel)
    return docs[0] if docs else {}


# --- reading source files with line numbers (ruamel.yaml), once per file ---------------------

_lock = threading.Lock()


@functools.lru_cache(maxsize=256)
def _documents(root: Path, rel: str, stamp: float) -> list:
    from ruamel.yaml import YAML

    try:
        return [d for d in YAML().load_all((root / rel).read_text()) if d is not None]
    except Exception:  # noqa: BLE001 - an unreadable file is reported by whoever reads it
        return []


@functools.lru_cache(maxsize=256)
def _by_name(root: Path, rel: str, stamp: float) -> dict[tuple, object]:
    """(kind, name) -> the file's first document so named: a lookup per problem, where a scan of
    every document made a file of 2,000 objects cost seconds per thousand problems."""
    found: dict[tuple, object] = {}
    for doc in _documents(root, rel, stamp):
        if isinstance(doc, dict):
            found.setdefault((doc.get("kind"), str((doc.get("metadata") or {}).get("name"))), doc)
    return found


def documents(root: Path, rel: str) -> list:
    try:
        stamp = (root / rel).stat().st_mtime_ns
    except OSError:
        return []
    with _lock:
        return _documents(root, rel, stamp)


def named(root: Path, rel: str) -> dict[tuple, object]:
    try:
        stamp = (root / rel).stat().st_mtime_ns
    except OSError:
        return {}
    with _lock:
        return _by_name(root, rel, stamp)


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
    """The source list's item for rendered item `index`: by `name` when items have one (the
    second of two items with one name, for the second: a duplicate is reported at itself)."""
    wanted = rendered[index] if isinstance(rendered, list) and index < len(rendered) else None
    if isinstance(wanted, dict) and "name" in wanted:
        same = _named(node, wanted["name"])
        nth = len(_named(rendered[:index], wanted["name"]))
        return same[nth] if nth < len(same) else (same[0] if same else None)
    return index if index < len(node) else None


def _named(items: list, name: object) -> list[int]:
    return [i for i, item in enumerate(items) if isinstance(item, dict) and item.get("name") == name]


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
    """The source document of the rendered object (whose name may carry a prefix or suffix)."""
    name = (doc.get("metadata") or {}).get("name") if isinstance(doc, dict) else None
    return isinstance(doc, dict) and doc.get("kind") == obj.kind and (name is None or str(name) in obj.name)


def _in_file(root: Path, rel: str, obj: ObjectRef, rendered: dict, path: list[str]) -> Location:
    doc = named(root, rel).get((obj.kind, obj.name))
    if doc is None:  # a name with a prefix or suffix added
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
                    target = split(str((op or {}).get("path", "")))
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
    name = source.generator
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
