"""The checks validate runs; their registry is checks/registry.py (CHECKS, SECRETS, selected, ...).

    from fks_gitops import checks
    checks.selected("environment")      # loads the registry; a check's module loads on its first run

A check's context types (checks/context.py) come without the registry: validate imports them at
start, and the registry only once kustomize is rendering (PEP 562's module __getattr__).
"""
from __future__ import annotations

import importlib

_REGISTRY = ("CHECKS", "SECRETS", "POLICIES", "selected", "extra_renders", "warm_ups")


def __getattr__(name: str):
    if name not in _REGISTRY:  # `from fks_gitops.checks import monitoring` loads only that module
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.registry"), name)
