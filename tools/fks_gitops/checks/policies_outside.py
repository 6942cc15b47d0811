"""The Rego policies on what Argo CD deploys beyond the environments' overlays.

    problems = check(ctx)        # RepoContext of a full validate run
    [i.name for i in inputs(ctx)]  # ["argocd", "cluster"]

Each input is its own conftest --combine run, so a policy that relates objects (a
NetworkPolicy to its pods) never mixes two inputs. `data.fks.environment` tells them apart:
  - the manifests under argocd/ (the root app-of-apps deploys the folder as it is):
    name "argocd", namespace "argocd", each problem at the file that holds the object;
  - every other folder an Application deploys that is not an environment's overlay
    (base/cluster): name = the folder's last part ("cluster"), namespace = the
    Application's destination namespace, where Argo CD puts an object that names none.
The overlays themselves are checked per environment (checks.py, "policies").
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fks_gitops import policy, render
from fks_gitops.checks import argocd
from fks_gitops.problem import Problem
from fks_gitops.render import object_id

# Argo CD reads Applications and AppProjects only in its own namespace (its install's default).
ARGOCD_NAMESPACE = "argocd"


@dataclass(frozen=True)
class Input:
    name: str
    namespace: str
    where: str
    docs: list[dict]
    files: dict[str, str] = field(default_factory=dict)  # object id -> file, when objects have their own


def _argocd(manifests: list[argocd.Manifest]) -> Input:
    files = {object_id(m.doc): m.file for m in manifests}
    return Input("argocd", ARGOCD_NAMESPACE, argocd.FOLDER, [m.doc for m in manifests], files)


def _folder(ctx, app: dict) -> Input | None:
    """The documents an Application's folder holds; None when the Argo CD check reports it instead."""
    spec = app.get("spec") or {}
    source = spec.get("source") or {}
    path, repo = source.get("path", ""), ctx.config.repo
    namespace = (spec.get("destination") or {}).get("namespace", "")
    name = Path(path).name
    if (repo / path / "kustomization.yaml").is_file():
        try:
            return Input(name, namespace, path, ctx.render(path))
        except render.RenderError:
            return None  # the argocd check says the path does not render
    folder = repo / path
    if not path or not folder.is_dir():
        return None
    recurse = bool((source.get("directory") or {}).get("recurse"))
    found = sorted(folder.rglob("*.y*ml") if recurse else folder.glob("*.y*ml"))
    files = {f: str(f.relative_to(repo)) for f in found}
    docs = {rel: render.parse(f.read_text(), rel) for f, rel in files.items()}
    return Input(name, namespace, path, [d for ds in docs.values() for d in ds],
                 {object_id(d): rel for rel, ds in docs.items() for d in ds})


def inputs(ctx) -> list[Input]:
    manifests = argocd.load(ctx.config.repo)
    overlays = {e.overlay for e in ctx.config.environments}
    paths: dict[str, dict] = {}
    for m in manifests:
        path = ((m.doc.get("spec") or {}).get("source") or {}).get("path", "")
        if m.doc.get("kind") == "Application" and path and path not in overlays and path != argocd.FOLDER:
            paths.setdefault(path.rstrip("/"), m.doc)
    found = [_folder(ctx, app) for _, app in sorted(paths.items())]
    return [_argocd(manifests), *(i for i in found if i is not None)]


def check(ctx) -> list[Problem]:
    """Nothing on an `--env` run: these inputs belong to no environment (as the Argo CD check
    narrows to the named environments' Applications)."""
    if not ctx.everything:
        return []
    policy_dir = ctx.config.repo / "policy"
    return [p for i in inputs(ctx) for p in policy.check(i.docs, i.name, i.namespace, policy_dir, i.where, i.files)]
