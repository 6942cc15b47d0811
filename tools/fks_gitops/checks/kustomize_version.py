"""validate renders with the kustomize Argo CD runs: a warning when the one found here differs
from the version the Argo CD in environments.yaml (`argocd_version`) bundles.

    problems = run(RepoContext(config, {}))   # [] or one warning at environments.yaml's argocd_version

Kustomize changes output between minor versions (5.7 to 5.8 changed how namespaces reach Helm
charts), so a render here may not be the one Argo CD applies.
"""
from __future__ import annotations

import re

from fks_gitops import render
from fks_gitops.checks.context import FILES
from fks_gitops.environments import FILE
from fks_gitops.problem import Problem, in_file

ID, SCOPE = "kustomize-version", FILES
# Argo CD minor -> the kustomize its repo-server image bundles, from its upgrade notes
# (docs/operator-manual/upgrading/3.2-3.3.md: "upgrades the bundled Kustomize version from
# v5.7.0 to v5.8.1"). Add a row when environments.yaml moves to a newer Argo CD.
BUNDLED = {"3.2": "v5.7.0", "3.3": "v5.8.1"}


def _minor(version: str) -> str:
    return ".".join(version.lstrip("v").split(".")[:2])


def _line(text: str) -> int | None:
    return next((n for n, line in enumerate(text.splitlines(), 1) if line.startswith("argocd_version:")), None)


def run(ctx) -> list[Problem]:
    argocd = ctx.config.argocd_version
    if not argocd:
        return []
    used = render.renderer().version
    line = _line((ctx.config.repo / FILE).read_text())
    bundled = BUNDLED.get(_minor(argocd))
    if bundled is None:
        return [in_file(FILE, f"{ID}.unknown", "warning", f"no bundled kustomize known for Argo CD {argocd}; "
                        f"add it to BUNDLED in tools/fks_gitops/checks/kustomize_version.py", line, 1)]
    if re.sub(r"^v", "", used) == bundled.lstrip("v"):
        return []
    return [in_file(FILE, f"{ID}.differs", "warning",
                    f"rendered with kustomize {used}, but Argo CD {argocd} bundles {bundled}: renders may differ; "
                    f"put kustomize {bundled} (or a kubectl embedding it) first on PATH",
                    line, 1)]
