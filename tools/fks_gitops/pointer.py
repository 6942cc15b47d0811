"""JSON pointers (RFC 6901) into a rendered object: the field a problem is about.

    join("", "spec", "containers", 0, "ports")             # "/spec/containers/0/ports"
    join("/metadata/annotations", "cert-manager.io/issuer")  # "/metadata/annotations/cert-manager.io~1issuer"
    split("/metadata/annotations/cert-manager.io~1issuer")  # ["metadata", "annotations", "cert-manager.io/issuer"]
"""
from __future__ import annotations


def escape(part: str | int) -> str:
    return str(part).replace("~", "~0").replace("/", "~1")


def join(base: str, *parts: str | int) -> str:
    """`base` is a pointer ("" for the whole object); `parts` are keys and list indexes as they are."""
    return base + "".join(f"/{escape(p)}" for p in parts)


def split(pointer: str | None) -> list[str]:
    """The keys and indexes of `pointer`, unescaped; [] for none or the whole object."""
    if not pointer:
        return []
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer.lstrip("/").split("/")]
