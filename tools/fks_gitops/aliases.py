"""How far a YAML file's aliases expand: kustomize copies every alias out, so nine lines of
aliases nested in aliases (a "billion laughs") become 23 GB in the render.

    found = too_far(path.read_text())   # (line, nodes) of the first node past MAX_NODES, else None
    found = past_limit(node)            # the same for a composed document (yamlload.py)

Composing keeps each alias as a reference to its anchor's node, so the count costs one pass over
the file; files without an alias (`*name`) are not even composed.
"""
from __future__ import annotations

import re

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

from fks_gitops import yamldepth

MAX_NODES = 1_000_000  # a 25,000-object overlay has about 2,000,000 nodes in all, none near this in one node
_ALIAS = re.compile(r"(?:^|[\s\[{,:-])\*[^\s\[\]{},]")


def too_far(text: str) -> tuple[int, int] | None:
    """(1-based line, expanded node count) of the first, smallest node whose expansion passes
    MAX_NODES; None when none does, or when the text is not YAML (its reader reports that)."""
    if not has_alias(text):
        return None
    loader = yamldepth.CSafeLoader(text)
    try:
        while loader.check_node():
            found = past_limit(loader.get_node())
            if found:
                return found
    except yaml.YAMLError:
        pass
    finally:
        loader.dispose()
    return None


def has_alias(text: str) -> bool:
    """Whether `text` may hold an alias; False is certain, True only likely."""
    return _ALIAS.search(text) is not None


def _children(node: Node) -> list[Node]:
    if isinstance(node, MappingNode):
        return [n for pair in node.value for n in pair]
    return list(node.value) if isinstance(node, SequenceNode) else []


def past_limit(root: Node) -> tuple[int, int] | None:
    """As too_far, for one composed document. Post-order, each node counted once however many aliases point at it: a node's children
    are all counted before it, so the first node past the limit is a smallest one."""
    sizes: dict[int, int] = {}
    stack: list[tuple[Node, bool]] = [(root, False)]
    open_: set[int] = set()  # on the stack: an alias back to one of them is a cycle, counted once
    while stack:
        node, children_done = stack.pop()
        if id(node) in sizes or (not children_done and id(node) in open_):
            continue
        kids = _children(node)
        if not children_done and kids:
            open_.add(id(node))
            stack.append((node, True))
            stack += [(k, False) for k in kids if id(k) not in sizes and id(k) not in open_]
            continue
        sizes[id(node)] = size = 1 + sum(sizes.get(id(k), 0) for k in kids)
        if size > MAX_NODES:
            return node.start_mark.line + 1, size
    return None
