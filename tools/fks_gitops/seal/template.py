"""secrets.template.yaml: every Secret the platform reads, with its keys and no values.

    declared = load(repo)      # {"grafana-admin": frozenset({"admin-user", "admin-password"}), ...}
    keys(declared)             # every key of every Secret

A SealedSecret or a key it does not declare is an error (seal/verify.py): nothing reads it, or
the manifests read something nobody wrote down.
"""
from __future__ import annotations

from pathlib import Path

from fks_gitops import textfile, yamlload
from fks_gitops.errors import GitOpsError

FILE = "secrets.template.yaml"


def load(repo: Path) -> dict[str, frozenset[str]] | None:
    """Secret name -> its keys; None when the repository has no template, or one that does not
    load (the duplicate-keys and encoding checks say why)."""
    path = repo / FILE
    if not path.is_file():
        return None
    try:
        raw = yamlload.load_all(textfile.read(path, FILE), FILE)
    except GitOpsError:
        return None
    secrets = (raw[0] if raw and isinstance(raw[0], dict) else {}).get("secrets") or []
    return {str(s["name"]): frozenset(str(k) for k in (s.get("keys") or {}))
            for s in secrets if isinstance(s, dict) and s.get("name")}


def keys(declared: dict[str, frozenset[str]] | None) -> frozenset[str]:
    return frozenset(k for ks in (declared or {}).values() for k in ks)
