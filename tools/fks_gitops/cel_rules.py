"""Custom resources' validation rules (`x-kubernetes-validations` in their schemas), evaluated with
cel-python as the API server evaluates them with cel-go.

    rules = Rules.load(Path("schemas/example.com/widget_v1.json"))  # None: the schema has no rules
    rules.check(doc)  # [("error", "maxReplicas must not be below minReplicas", "/spec")]

Each rule runs where it sits in the schema, with `self` bound to the value there (to each item
of a list or each value of a map whose `items` or `additionalProperties` carry it), and only when
that value is present. A false rule is reported with its `message` (else "failed rule: <rule>"),
at the value's JSON pointer or at the field its `fieldPath` names; an error while evaluating is
an error too, as on the API server
(https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#validation-rules).

Not evaluated:
- transition rules (any rule naming `oldSelf`): they compare an update with the stored object,
  and an offline check has no stored object;
- `messageExpression`: the static `message` is reported instead;
- calls into the Kubernetes CEL libraries cel-python lacks (lists' isSorted, strings' lowerAscii,
  quantity, url, ip, ...): such a rule is a warning that it was not checked.
At the root `self` is the whole object, where the API server shows only metadata.name and generateName.
"""
from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path

from fks_gitops.pointer import join, split

Finding = tuple[str, str, str]  # (level, message, pointer)
KEY = "x-kubernetes-validations"
_OLD_SELF = re.compile(r"\boldSelf\b")
_UNDECLARED = re.compile(r"undeclared reference to '([^']+)'")
_FIELD = re.compile(r"\.([^.\[\]']+)|\['([^']*)'\]")  # fieldPath steps: .name or ['name']


class Rules:
    """The rules of one schema file; each rule is compiled once, on first use."""

    def __init__(self, schema: dict) -> None:
        import celpy  # noqa: PLC0415 - lark's grammar load is most of an import of this module

        self._schema = schema
        self._env = celpy.Environment()
        self._programs: dict[str, object] = {}
        self._lock = threading.Lock()  # lark's parser is not known to be thread-safe

    @classmethod
    def load(cls, path: Path) -> Rules | None:
        text = path.read_text()
        return cls(json.loads(text)) if KEY in text else None

    def check(self, doc: dict) -> list[Finding]:
        """`doc` as JSON has it (schemas.jsonable)."""
        found = (self._evaluate(rule, value, at) for rule, value, at in self._walk(self._schema, doc, ""))
        return [f for f in found if f]

    def _nodes(self, schema: dict) -> list[dict]:
        """`schema` and the local schemas its `$ref`s lead to (siblings of a `$ref` apply too)."""
        nodes = [schema]
        while isinstance(nodes[-1].get("$ref"), str) and nodes[-1]["$ref"].startswith("#") and len(nodes) < 32:
            target = self._schema
            for part in split(nodes[-1]["$ref"][1:]):
                target = target[part]
            nodes.append(target)
        return nodes

    def _walk(self, schema: dict, value: object, at: str) -> Iterator[tuple[dict, object, str]]:
        if value is None:  # a null field is an absent one to the rules
            return
        nodes = self._nodes(schema)
        for node in nodes:
            yield from ((rule, value, at) for rule in node.get(KEY) or () if isinstance(rule, dict))

        def first(field: str) -> object:
            return next((n[field] for n in nodes if isinstance(n.get(field), dict)), None)

        if isinstance(value, dict):
            properties, extra = first("properties") or {}, first("additionalProperties")
            for key, item in value.items():
                child = properties.get(key, extra)
                if isinstance(child, dict):
                    yield from self._walk(child, item, join(at, key))
        elif isinstance(value, list) and (items := first("items")):
            for i, item in enumerate(value):
                yield from self._walk(items, item, join(at, i))

    def _program(self, text: str):
        with self._lock:
            if text not in self._programs:
                self._programs[text] = self._env.program(self._env.compile(text))
            return self._programs[text]

    def _evaluate(self, rule: dict, value: object, at: str) -> Finding | None:
        import celpy  # noqa: PLC0415 - loaded by __init__
        from celpy import celtypes  # noqa: PLC0415

        text = rule.get("rule")
        if not isinstance(text, str) or _OLD_SELF.search(text):
            return None
        try:
            result = self._program(text).evaluate({"self": celpy.json_to_cel(value)})
        except celpy.CELParseError as exc:
            return "error", f"rule {text!r} does not compile (column {getattr(exc, 'column', '?')})", at
        except celpy.CELEvalError as exc:
            reason = str(exc.args[0] if exc.args else exc).split(" (in activation")[0]
            missing = _UNDECLARED.search(reason)
            if missing:
                return "warning", f"rule {text!r} not checked: cel-python has no {missing[1]!r}", at
            return "error", f"rule {text!r} could not be evaluated: {reason}", at
        if not isinstance(result, celtypes.BoolType):
            return "error", f"rule {text!r} gives {type(result).__name__}, not a bool", at
        return None if result else ("error", str(rule.get("message") or f"failed rule: {text}"), _field(at, rule))


def _field(at: str, rule: dict) -> str:
    """The pointer of the rule's `fieldPath` (".spec.x", "['a.b']") below `at`, else `at`."""
    path = rule.get("fieldPath")
    steps = _FIELD.findall(path) if isinstance(path, str) else []
    if not steps or "".join(f".{a}" if a else f"['{b}']" for a, b in steps) != path:
        return at
    return join(at, *(a or b for a, b in steps))
