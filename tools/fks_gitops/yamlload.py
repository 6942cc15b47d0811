"""YAML loading that refuses a key given twice in one mapping, where PyYAML keeps the last.

    raw = load_strings(path.read_text(), "environments.yaml")  # one document, every scalar a string
    docs = load_all(path.read_text(), "argocd/root.yaml")       # SafeLoader documents, empty ones dropped
    pairs = load_all_nodes(text, "argocd/root.yaml")             # [(node, document)]: lines of fields
    refuse_duplicates(text, "overlays/prod/kustomization.yaml")  # before a ruamel.yaml round trip
    found = duplicates(text)                                     # [Duplicate], for validate's scan

Every refusal is one line: `environments.yaml:9:5: duplicate key 'soak' (first at line 8); remove one`.
So is a document whose aliases expand past aliases.MAX_NODES: whatever walks it (json.dumps,
a policy's input) would copy every alias out.
Keys compare by their text, as Kubernetes' YAML-to-JSON conversion does, so `1:` and `"1":` clash.
Rendered kustomize output does not come through here: kustomize wrote it, and it is large.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from fks_gitops import aliases, yamldepth
from fks_gitops.errors import GitOpsError


@dataclass(frozen=True, order=True)
class Duplicate:
    line: int  # 1-based, of the second occurrence
    col: int
    key: str
    first_line: int

    @property
    def message(self) -> str:
        return f"duplicate key {self.key!r} (first at line {self.first_line}); remove one"

    def error(self, where: str) -> GitOpsError:
        return GitOpsError(f"{where}:{self.line}:{self.col}: {self.message}")


def _in_mapping(node: MappingNode) -> Iterator[Duplicate]:
    seen: dict[str, ScalarNode] = {}
    for key, _ in node.value:
        if isinstance(key, ScalarNode):  # a complex key (a mapping as key) never occurs in our files
            first = seen.setdefault(key.value, key)
            if first is not key:
                yield Duplicate(key.start_mark.line + 1, key.start_mark.column + 1, key.value, first.start_mark.line + 1)


def _in_tree(root: Node) -> list[Duplicate]:
    """Every duplicate under `root`, in file order; an alias is walked once."""
    found, stack, visited = [], [root], set()
    while stack:
        node = stack.pop()
        if id(node) in visited:
            continue
        visited.add(id(node))
        if isinstance(node, MappingNode):
            found += _in_mapping(node)
            stack += [n for pair in node.value for n in pair]
        elif isinstance(node, SequenceNode):
            stack += node.value
    return sorted(found)


def _invalid(exc: yaml.YAMLError, where: str) -> GitOpsError:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    at = f"{where}:{mark.line + 1}:{mark.column + 1}" if mark else where
    return GitOpsError(f"{at}: not valid YAML: {problem}")


def _documents(text: str, where: str, loader_class: type, nodes: bool = False) -> list:
    """Each document composed (in C), checked, then constructed: one parse for both."""
    loader = loader_class(text)
    may_alias = aliases.has_alias(text)
    try:
        docs = []
        while loader.check_node():
            node = loader.get_node()
            found = _in_tree(node)
            if found:
                raise found[0].error(where)
            bomb = aliases.past_limit(node) if may_alias else None
            if bomb:
                raise GitOpsError(f"{where}:{bomb[0]}: YAML aliases here expand to {bomb[1]:,} nodes, "
                                  f"over the {aliases.MAX_NODES:,} allowed; write the values out")
            doc = loader.construct_document(node)
            docs.append((node, doc) if nodes else doc)
        return docs
    except yaml.YAMLError as exc:
        raise _invalid(exc, where) from None
    finally:
        loader.dispose()


def load_strings(text: str, where: str) -> object:
    """The one document in `text` with every scalar a string (a tag `1.10` stays `1.10`); None if empty."""
    docs = _documents(text, where, yamldepth.CBaseLoader)
    if len(docs) > 1:
        raise GitOpsError(f"{where}: holds {len(docs)} YAML documents; it must hold one")
    return docs[0] if docs else None


def load_all(text: str, where: str) -> list:
    """Every non-empty document in `text`, typed as YAML 1.1 reads it (SafeLoader)."""
    return [d for d in _documents(text, where, yamldepth.CSafeLoader) if d]


def load_all_nodes(text: str, where: str) -> list[tuple[Node, object]]:
    """As load_all, each document with its composed node: the node's marks give every field's line."""
    return [(node, doc) for node, doc in _documents(text, where, yamldepth.CSafeLoader, nodes=True) if doc]


def position(node: Node | None, path: tuple = ()) -> tuple[int | None, int | None]:
    """1-based line and column of the deepest node on `path` (keys, list indexes) that exists:
    a key's own line for a mapping entry; (None, None) without a node.

        position(node, ("spec", "source", "targetRevision"))  # (12, 5)
    """
    if node is None:
        return None, None
    mark = node.start_mark
    for step in path:
        if isinstance(node, MappingNode):
            pair = next(((k, v) for k, v in node.value if isinstance(k, ScalarNode) and k.value == str(step)), None)
            if pair is None:
                break
            mark, node = pair[0].start_mark, pair[1]
        elif isinstance(node, SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
            node = node.value[step]
            mark = node.start_mark
        else:
            break
    return mark.line + 1, mark.column + 1


def duplicates(text: str) -> list[Duplicate]:
    """The duplicates in every document that parses; a syntax error ends the scan quietly,
    since whoever reads the file (kustomize, a tool) reports it."""
    loader = yamldepth.CBaseLoader(text)
    found: list[Duplicate] = []
    try:
        while loader.check_node():
            found += _in_tree(loader.get_node())
    except yaml.YAMLError:
        pass
    finally:
        loader.dispose()
    return found


def refuse_duplicates(text: str, where: str) -> None:
    """Raise the one-line error for the first duplicate, for files another parser will load."""
    found = duplicates(text)
    if found:
        raise found[0].error(where)
