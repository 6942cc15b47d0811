"""Image references and an overlay's `images:` list, edited in place.

    ref = parse_ref("fks-execution=ghcr.io/fks-trading/fks-execution:1.4.3")
    current = read(text, "overlays/dev")             # {name: Image}
    new = apply_ref(resolve(current, ref.key, "overlays/dev"), ref, config.images)
    text = edit(text, {new.name: new}, "overlays/dev")

The edit replaces only the value spans of `newName`/`newTag`/`digest` (positions from
ruamel.yaml's composer), so comments, quoting and indentation stay byte for byte and a
promotion is a one-line diff per image; a full round trip could still re-indent lists.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Mapping

import yaml

from fks_gitops import image_refs, yamlload
from fks_gitops.errors import GitOpsError

FIELDS = {"new_name": "newName", "tag": "newTag", "digest": "digest"}
_REF = re.compile(r"^(?:(?P<name>[^=@\s]+)=)?(?P<ref>[^=\s]+)$")  # the parts' grammar: image_refs.py


@dataclass(frozen=True)
class Image:
    name: str
    new_name: str | None = None
    tag: str | None = None
    digest: str | None = None

    @property
    def component(self) -> str:
        return component(self.name)

    @property
    def key(self) -> tuple[str | None, str | None, str | None]:
        return (self.new_name, self.tag, self.digest)

    @property
    def version(self) -> str:
        """`1.4.3`, `1.4.3@sha256:…` or `@sha256:…`, with the new name first when it is set."""
        text = (self.tag or "") + (f"@{self.digest}" if self.digest else "")
        return f"{self.new_name}:{text}" if self.new_name else (text or "(unpinned)")

    @property
    def short_version(self) -> str:
        return re.sub(r"(sha256:[0-9a-f]{12})[0-9a-f]+", r"\1", self.version)

    @property
    def ref(self) -> str:
        return (self.new_name or self.name) + (f":{self.tag}" if self.tag else "") + (
            f"@{self.digest}" if self.digest else ""
        )

    @property
    def pinned(self) -> bool:
        return bool(self.digest) or (bool(self.tag) and not image_refs.is_latest(self.tag))


@dataclass(frozen=True)
class Ref:
    """`[NAME=]NEWNAME[:TAG][@DIGEST]`, as `kustomize edit set image` takes it."""

    name: str | None
    new_name: str
    tag: str | None
    digest: str | None

    @property
    def key(self) -> str:
        return self.name or self.new_name


def component(name: str) -> str:
    return name.rsplit("/", 1)[-1]


def parse_ref(text: str) -> Ref:
    match = _REF.match(text.strip())
    if not match:
        raise GitOpsError(f"image {image_refs.quote(text)} is not like [NAME=]NEWNAME[:TAG][@DIGEST]")
    new, tag, digest = image_refs.split(match["ref"])
    # `latest` is a question of pinning, which apply_ref answers with the entry in hand.
    for rule, message in image_refs.findings(None, new, tag, digest, None):
        if rule != "latest":
            raise GitOpsError(f"image {image_refs.quote(text)}: {message}")
    return Ref(match["name"], new, tag, digest)


def apply_ref(current: Image, ref: Ref, allowed: Mapping[str, tuple[str, ...]]) -> Image:
    """The entry `current` after `kustomize edit set image REF`; the ref states the whole version,
    from a repository `allowed` (environments.yaml images:) lists for the entry's component."""
    new_name = current.new_name
    if ref.name is not None:
        new_name = None if ref.new_name in (current.name, current.component) else ref.new_name
    image = Image(current.name, new_name, ref.tag, ref.digest)
    if not image.pinned:
        raise GitOpsError(f"image {image_refs.quote(image.ref)} is not pinned; give a tag other than 'latest' or a digest")
    refuse(image, allowed)
    return image


def refuse(image: Image, allowed: Mapping[str, tuple[str, ...]], where: str = "") -> None:
    """Raise a GitOpsError for the first thing image_refs finds wrong with `image`."""
    for _, message in image_refs.findings(image.component, image.new_name or image.name, image.tag, image.digest, allowed):
        raise GitOpsError(f"{where}{': ' if where else ''}image {image_refs.quote(image.ref)}: {message}")


def resolve(images: Mapping[str, Image], key: str, where: str) -> Image:
    """The entry whose name or component (last path segment) is `key`."""
    if key in images:
        return images[key]
    found = [i for i in images.values() if i.component == key]
    if len(found) == 1:
        return found[0]
    known = ", ".join(sorted(i.component for i in images.values())) or "none"
    if found:
        raise GitOpsError(f"{where}: image {key!r} is ambiguous; use the full name")
    raise GitOpsError(f"{where}: unknown image {key!r}; known: {known}")


def read(text: str, where: str) -> dict[str, Image]:
    """The `images:` entries by name; every scalar read as a string (a tag `1.10` stays `1.10`)."""
    doc = yamlload.load_strings(text, where) or {}  # a key twice would hide the first value
    entries = (doc.get("images") or []) if isinstance(doc, dict) else []
    if not isinstance(entries, list) or not all(isinstance(e, dict) and e.get("name") for e in entries):
        raise GitOpsError(f"{where}: images must be a list of entries with a name")
    return {
        e["name"]: Image(e["name"], e.get("newName") or None, e.get("newTag") or None, e.get("digest") or None)
        for e in entries
    }


def edit(text: str, changes: Mapping[str, Image], where: str) -> str:
    """`text` with each changed entry's version fields set; nothing else in the file moves."""
    wanted = {**read(text, where), **changes}
    nodes = _entry_nodes(text, where)
    spans: list[tuple[int, int, str]] = []
    for name, image in changes.items():
        if name not in nodes:
            raise GitOpsError(f"{where}: no images entry named {name!r}")
        spans += _entry_spans(text, nodes[name], image, where)
    for start, end, replacement in sorted(spans, reverse=True):
        text = text[:start] + replacement + text[end:]
    if read(text, where) != wanted:
        raise AssertionError(f"{where}: edit did not produce the wanted images")
    return text


def _entry_nodes(text: str, where: str) -> dict[str, MappingNode]:
    from ruamel.yaml import YAML  # noqa: PLC0415 - ruamel.yaml loads only for an edit
    from ruamel.yaml.nodes import MappingNode, SequenceNode  # noqa: PLC0415
    root = YAML().compose(text)
    images = next((v for k, v in root.value if k.value == "images"), None) if isinstance(root, MappingNode) else None
    if not isinstance(images, SequenceNode):
        raise GitOpsError(f"{where}: no images list")
    return {
        next(v.value for k, v in e.value if k.value == "name"): e
        for e in images.value
        if isinstance(e, MappingNode) and any(k.value == "name" for k, _ in e.value)
    }


def _entry_spans(text: str, entry: MappingNode, image: Image, where: str) -> list[tuple[int, int, str]]:
    pairs = {k.value: (k, v) for k, v in entry.value}
    spans = []
    for attr, field in FIELDS.items():
        value = getattr(image, attr)
        if field in pairs:
            key, node = pairs[field]
            if value is None:
                spans.append(_deletion(text, key, node, entry, where))
            elif node.value != value:
                spans.append((node.start_mark.index, node.end_mark.index, _scalar(value, node)))
        elif value is not None:
            spans.append(_insertion(text, entry, field, value, where))
    return spans


def _scalar(value: str, like: ScalarNode | None = None) -> str:
    from ruamel.yaml.nodes import ScalarNode  # noqa: PLC0415
    style = like.style if isinstance(like, ScalarNode) else None
    if style == "'":
        return "'" + value.replace("'", "''") + "'"
    if style == '"' or not _plain_safe(value):
        return json.dumps(value)
    return value


def _plain_safe(value: str) -> bool:
    """True when `value` written plain reads back as the same string (`1.10` would read as a float)."""
    try:
        return yaml.safe_load(f"k: {value}") == {"k": value}
    except yaml.YAMLError:
        return False


def _insertion(text: str, entry: MappingNode, field: str, value: str, where: str) -> tuple[int, int, str]:
    from ruamel.yaml.nodes import ScalarNode  # noqa: PLC0415
    if entry.flow_style:
        end = entry.end_mark.index - 1  # before the closing brace
        return (end, end, f", {field}: {_scalar(value)}")
    last = entry.value[-1][1]
    if not isinstance(last, ScalarNode) or last.start_mark.line != last.end_mark.line:
        raise GitOpsError(f"{where}: cannot add {field} after a multi-line value; add it by hand once")
    eol = text.find("\n", last.end_mark.index)
    at = len(text) if eol < 0 else eol + 1
    lead = "" if eol >= 0 else "\n"
    return (at, at, f"{lead}{' ' * entry.value[0][0].start_mark.column}{field}: {_scalar(value)}\n")


def _deletion(text: str, key: ScalarNode, node: ScalarNode, entry: MappingNode, where: str) -> tuple[int, int, str]:
    if entry.flow_style or key.start_mark.line != node.end_mark.line or entry.value[0][0] is key:
        raise GitOpsError(f"{where}: cannot remove {key.value} from this images entry; edit it by hand")
    start = text.rfind("\n", 0, key.start_mark.index) + 1
    eol = text.find("\n", node.end_mark.index)
    return (start, len(text) if eol < 0 else eol + 1, "")
