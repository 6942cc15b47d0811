"""Repository files read as UTF-8 text, with the place of the first byte that is not.

    text = read(repo / "environments.yaml", "environments.yaml")  # else GitOpsError at file:line:col
    found = first_invalid(data)                                    # (line, col, byte) or None
    message(found)                                                 # "not UTF-8: byte 0xe9 ...; save it as UTF-8"

Kubernetes, Prometheus and every tool here read YAML as UTF-8; kustomize silently turns a file
that is not into a ConfigMap's binaryData, where no config check looks.
"""
from __future__ import annotations

from pathlib import Path

from fks_gitops.errors import GitOpsError

RULE = "encoding.utf8"  # the encoding check's, and monitoring's for a config kustomize made binaryData of


def first_invalid(data: bytes) -> tuple[int, int, int] | None:
    """1-based line and column (in characters) of the first byte that is not UTF-8, and the byte."""
    try:
        data.decode()
    except UnicodeDecodeError as exc:
        start = data.rfind(b"\n", 0, exc.start) + 1
        col = len(data[start:exc.start].decode()) + 1
        return data.count(b"\n", 0, exc.start) + 1, col, data[exc.start]
    return None


def message(found: tuple[int, int, int]) -> str:
    return f"not UTF-8: byte 0x{found[2]:02x} cannot be decoded; save the file as UTF-8"


def read(path: Path, where: str) -> str:
    """The file's text; a GitOpsError at the first byte that is not UTF-8 (OSError as it is)."""
    data = path.read_bytes()
    found = first_invalid(data)
    if found:
        raise GitOpsError(f"{where}:{found[0]}:{found[1]}: {message(found)}")
    return data.decode()
