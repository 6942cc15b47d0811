"""The field of a workload a policy message is about, as a JSON pointer for sourcemap.py.

    find(deployment, "container 'app' is privileged")           # "/spec/template/spec/containers/0"
    find(deployment, "container 'app' image 'x:1' has no ...")  # "/spec/template/spec/containers/0/image"
    find(deployment, "container 'app' sets securityContext.procMount 'Unmasked'")
    # "/spec/template/spec/containers/0/securityContext/procMount"
    find(deployment, "volume 'docker' mounts hostPath '/'")     # "/spec/template/spec/volumes/0"
    find(deployment, "pod sets hostPID: true")                  # "/spec/template/spec/hostPID"
    find(deployment, "pod annotation 'a/b' is 'x'")             # "/spec/template/metadata/annotations/a~1b"

Policies name containers and volumes the way kubectl does, and the fields a pod or a container
sets by their path in it; the fix is in those lines (or, for an image, in the overlay's images: entry, which
sourcemap.py knows). Any other message, or any other kind, points at the whole object (None).
"""
from __future__ import annotations

import re

from fks_gitops import selectors
from fks_gitops.pointer import join

_CONTAINER = re.compile(r"\b(?:init )?container '([^']+)'")
_VOLUME = re.compile(r"\bvolume '([^']+)'")
_FIELD = r" sets ([A-Za-z][A-Za-z.]*[A-Za-z])"
_SETS = re.compile(_FIELD)
_POD_FIELD = re.compile(r"\bpod" + _FIELD)
_ANNOTATION = re.compile(r"\bpod annotation '([^']+)'")
_CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")


def find(doc: dict, message: str) -> str | None:
    at = selectors.template_path(doc)
    if at is None:
        return None
    spec = (selectors.template(doc) or {}).get("spec") or {}
    if match := _CONTAINER.search(message):
        return _named(spec, _CONTAINER_LISTS, match[1], f"{at}/spec", _below(message, match.end()))
    if match := _VOLUME.search(message):
        return _named(spec, ("volumes",), match[1], f"{at}/spec")
    if match := _POD_FIELD.search(message):
        return join(f"{at}/spec", *match[1].split("."))
    if match := _ANNOTATION.search(message):
        return join(f"{at}/metadata/annotations", match[1])
    return None


def _below(message: str, end: int) -> tuple[str, ...]:
    """The container's field the message goes on about after its name: the image, or what it sets."""
    if "image" in message[end:end + 12]:
        return ("image",)
    field = _SETS.match(message, end)
    return tuple(field[1].split(".")) if field else ()


def _named(spec: dict, lists: tuple[str, ...], name: str, at: str, below: tuple[str, ...] = ()) -> str | None:
    """The pointer to the item called `name` in the first of the spec's `lists` that has one."""
    for field in lists:
        for i, item in enumerate(spec.get(field) or ()):
            if isinstance(item, dict) and item.get("name") == name:
                return join(at, field, i, *below)
    return None
