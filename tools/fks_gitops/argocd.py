"""Argo CD consistency: Applications, their AppProject, and the environments they deploy.

    problems = check(RepoContext(config, rendered))
"""
from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import Path

from . import render
from .errors import GitOpsError
from .problem import Problem

FOLDER = "argocd"
FINALIZER = "resources-finalizer.argocd.argoproj.io"
# Cluster-scoped kinds an Application may render; each needs the AppProject's clusterResourceWhitelist.
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "ClusterIssuer", "CustomResourceDefinition",
                  "PriorityClass", "StorageClass", "IngressClass", "PersistentVolume"}


@dataclass(frozen=True)
class Manifest:
    file: str
    doc: dict

    @property
    def where(self) -> str:
        return f"{self.file}: {self.doc.get('kind')}/{(self.doc.get('metadata') or {}).get('name', '?')}"


def load(repo: Path) -> list[Manifest]:
    found = []
    for path in sorted((repo / FOLDER).rglob("*.y*ml")):
        rel = str(path.relative_to(repo))
        found += [Manifest(rel, d) for d in render.parse(path.read_text(), rel)]
    return found


def _app_problems(app: Manifest, ctx, projects: dict[str, dict], rendered_apps: dict) -> list[Problem]:
    spec = app.doc.get("spec") or {}
    source, dest = spec.get("source") or {}, spec.get("destination") or {}
    path, namespace = source.get("path", ""), dest.get("namespace", "")
    problems = []

    def add(rule: str, message: str) -> None:
        problems.append(Problem(app.where, f"argocd.{rule}", "error", message))

    project = projects.get(spec.get("project", ""))
    if project is None:
        add("project", f"project {spec.get('project')!r} is not an AppProject in {FOLDER}/; use {ctx.config.project!r}")
    if source.get("repoURL") != ctx.config.repository:
        add("source", f"repoURL {source.get('repoURL')!r} is not this repository {ctx.config.repository!r}")
    if str(source.get("targetRevision", "HEAD")) != ctx.config.revision:
        add("source", f"targetRevision {source.get('targetRevision')!r} is not {ctx.config.revision!r}")
    if FINALIZER not in ((app.doc.get("metadata") or {}).get("finalizers") or []):
        add("finalizer", f"no {FINALIZER} finalizer; deleting the Application would orphan its resources")
    sync = spec.get("syncPolicy") or {}
    if "CreateNamespace=true" not in (sync.get("syncOptions") or []):
        add("sync", "syncOptions lacks CreateNamespace=true")
    automated = sync.get("automated") or {}
    if not (automated.get("prune") and automated.get("selfHeal")):
        add("sync", "automated sync needs prune: true and selfHeal: true so git stays the truth")
    result = rendered_apps.get(path)
    if isinstance(result, str):
        add("path", result)
    for env in ctx.config.environments:
        if path == env.overlay and namespace != env.namespace:
            add("destination", f"destination namespace {namespace!r} is not {env.name}'s namespace {env.namespace!r}")
    if project is not None:
        problems += _project_problems(app, project, source, dest, result if isinstance(result, list) else [])
    return problems


def _project_problems(app: Manifest, project: dict, source: dict, dest: dict, docs: list[dict]) -> list[Problem]:
    spec = project.get("spec") or {}
    problems = []
    name = project["metadata"]["name"]
    if not any(fnmatch.fnmatchcase(source.get("repoURL", ""), r) for r in spec.get("sourceRepos") or []):
        problems.append(Problem(app.where, "argocd.project-source", "error",
                                f"AppProject {name!r} does not allow source {source.get('repoURL')!r}; add it to sourceRepos"))
    allowed = [(d.get("server", "*"), d.get("namespace", "*")) for d in spec.get("destinations") or []]
    want = (dest.get("server", ""), dest.get("namespace", ""))
    if not any(fnmatch.fnmatchcase(want[0], s) and fnmatch.fnmatchcase(want[1], n) for s, n in allowed):
        problems.append(Problem(app.where, "argocd.project-destination", "error",
                                f"AppProject {name!r} does not allow destination {want[0]} namespace {want[1]!r}; add it to destinations"))
    whitelist = {(w.get("group", ""), w.get("kind", "")) for w in spec.get("clusterResourceWhitelist") or []}
    options = ((app.doc.get("spec") or {}).get("syncPolicy") or {}).get("syncOptions") or []
    needed = {("", "Namespace")} if "CreateNamespace=true" in options else set()
    needed |= {(d.get("apiVersion", "").rpartition("/")[0], d["kind"]) for d in docs if d.get("kind") in CLUSTER_SCOPED}
    for group, kind in sorted(needed):
        if not any(fnmatch.fnmatchcase(group, g) and fnmatch.fnmatchcase(kind, k) for g, k in whitelist):
            problems.append(Problem(app.where, "argocd.project-cluster-resource", "error",
                                    f"AppProject {name!r} does not allow cluster-scoped {kind} (group {group!r}); add it to clusterResourceWhitelist"))
    return problems


def app_paths(repo: Path) -> list[str]:
    """Every Kustomize folder an Application deploys, so validate can start rendering it early."""
    paths = {((m.doc.get("spec") or {}).get("source") or {}).get("path", "") for m in load(repo) if m.doc.get("kind") == "Application"}
    return sorted(p for p in paths if p and (repo / p / "kustomization.yaml").is_file())


def _render_path(ctx, path: str, recurse: bool) -> list[dict] | str:
    for env in ctx.config.environments:
        if path == env.overlay and env.name in ctx.rendered:
            return ctx.rendered[env.name]
    repo = ctx.config.repo
    folder = repo / path
    if not path or not folder.is_dir():
        return f"source path {path!r} does not exist in the repository"
    try:
        if (folder / "kustomization.yaml").is_file():
            return ctx.render(path)
        files = sorted(folder.rglob("*.y*ml") if recurse else folder.glob("*.y*ml"))
        return [d for f in files for d in render.parse(f.read_text(), str(f.relative_to(repo)))]
    except GitOpsError as exc:
        return f"source path {path!r} does not render: {exc}"


def check(ctx) -> list[Problem]:
    repo = ctx.config.repo
    manifests = load(repo)
    apps = [m for m in manifests if m.doc.get("kind") == "Application"]
    if not ctx.everything:  # --env: only the Applications that deploy the named environments
        overlays = {e.overlay for e in ctx.config.select(list(ctx.selected))}
        apps = [a for a in apps if ((a.doc.get("spec") or {}).get("source") or {}).get("path") in overlays]
    projects = {m.doc["metadata"]["name"]: m.doc for m in manifests if m.doc.get("kind") == "AppProject"}
    rendered_apps = {}
    for app in apps:
        source = (app.doc.get("spec") or {}).get("source") or {}
        path = source.get("path", "")
        if path not in rendered_apps:
            recurse = bool((source.get("directory") or {}).get("recurse"))
            rendered_apps[path] = _render_path(ctx, path, recurse)
    problems = [p for app in apps for p in _app_problems(app, ctx, projects, rendered_apps)]
    for env in ctx.config.select(list(ctx.selected)):
        mine = [a for a in apps if ((a.doc.get("spec") or {}).get("source") or {}).get("path") == env.overlay]
        if len(mine) != 1:
            problems.append(Problem(f"{FOLDER}/", "argocd.environment", "error",
                                    f"environment {env.name!r} has {len(mine)} Applications with path {env.overlay}; it needs exactly one"))
        elif mine[0].doc["metadata"].get("name") != env.application:
            problems.append(Problem(mine[0].where, "argocd.environment", "error",
                                    f"Application for {env.name} is named {mine[0].doc['metadata'].get('name')!r}, environments.yaml says {env.application!r}"))
    return problems
