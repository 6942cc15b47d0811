"""Every check validate runs, in one place (yamllint's _RULES).

Per-environment checks take an EnvContext (one rendered environment); whole-repository checks
take a RepoContext (every environment that rendered).
"""
from __future__ import annotations

from . import argocd, monitoring, parity

PER_ENVIRONMENT = [
    ("monitoring", monitoring.check),
]
WHOLE_REPOSITORY = [
    ("argocd", argocd.check),
    ("parity", parity.check),
]
