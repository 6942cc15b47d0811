"""Argo CD consistency: Applications, their AppProject, and the environments they deploy.

    problems = check(RepoContext(config, rendered))
"""
from __future__ import annotations

import datetime as dt
import fnmatch
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from yaml import Node

from fks_gitops import envcache, render, resultcache, textfile, yamlload
from fks_gitops.checks import argocd_project
from fks_gitops.errors import GitOpsError
from fks_gitops.environments import FILE
from fks_gitops.problem import Location, ObjectRef, Problem, from_dict
from fks_gitops.checks.context import REPOSITORY

FOLDER = "argocd"
FINALIZER = "resources-finalizer.argocd.argoproj.io"
PSA = "pod-security.kubernetes.io/"


@dataclass(frozen=True)
class Manifest:
    """One document of a file under argocd/, with its YAML node for the line of any field.

        app.problem("argocd.source", "targetRevision 'HEAD' is not 'main'", "spec", "source", "targetRevision")
    """
    file: str
    doc: dict
    node: Node | None = field(default=None, compare=False, repr=False)

    def location(self, *path: str | int) -> Location:
        """The line of the field at `path`, or of its nearest parent that exists."""
        return Location(self.file, *yamlload.position(self.node, path))

    def problem(self, rule: str, message: str, *path: str | int) -> Problem:
        return Problem(rule, "error", message, self.location(*path), ObjectRef.of(self.doc))


def load(repo: Path) -> list[Manifest]:
    found = []
    for path in sorted((repo / FOLDER).rglob("*.y*ml")):
        rel = str(path.relative_to(repo))
        found += [Manifest(rel, d, n) for n, d in yamlload.load_all_nodes(textfile.read(path, rel), rel)]
    return found


def _shown(value: object) -> str:
    return "unset" if value is None else repr(value)


def _app_problems(app: Manifest, ctx, projects: dict[str, Manifest], rendered_apps: dict) -> list[Problem]:
    spec = app.doc.get("spec") or {}
    source, dest = spec.get("source") or {}, spec.get("destination") or {}
    path, namespace = source.get("path", ""), dest.get("namespace", "")
    problems = []

    def add(rule: str, message: str, *at: str) -> None:
        problems.append(app.problem(f"argocd.{rule}", message, *at))

    project = projects.get(spec.get("project", ""))
    if project is None:
        add("project", f"project {_shown(spec.get('project'))} is not an AppProject in {FOLDER}/; "
                       f"use {ctx.config.project!r}", "spec", "project")
    if source.get("repoURL") != ctx.config.repository:
        add("source", f"repoURL {_shown(source.get('repoURL'))} is not this repository {ctx.config.repository!r}",
            "spec", "source", "repoURL")
    if str(source.get("targetRevision", "HEAD")) != ctx.config.revision:
        add("source", f"targetRevision {_shown(source.get('targetRevision'))} is not {ctx.config.revision!r}",
            "spec", "source", "targetRevision")
    if FINALIZER not in ((app.doc.get("metadata") or {}).get("finalizers") or []):
        add("finalizer", f"no {FINALIZER} finalizer; deleting the Application would orphan its resources",
            "metadata", "finalizers")
    sync = spec.get("syncPolicy") or {}
    # The environments' namespaces come from Argo CD; argocd and the cluster pieces need none.
    makes_namespace = any(path == env.overlay for env in ctx.config.environments)
    if makes_namespace and "CreateNamespace=true" not in (sync.get("syncOptions") or []):
        add("sync", "syncOptions lacks CreateNamespace=true", "spec", "syncPolicy", "syncOptions")
    automated = sync.get("automated") or {}
    if not (automated.get("prune") and automated.get("selfHeal")):
        add("sync", "automated sync needs prune: true and selfHeal: true so git stays the truth",
            "spec", "syncPolicy", "automated")
    result = rendered_apps.get(path)
    if isinstance(result, str):
        add("path", result, "spec", "source", "path")
    for env in ctx.config.environments:
        if path == env.overlay and namespace != env.namespace:
            add("destination", f"destination namespace {namespace!r} is not {env.name}'s namespace {env.namespace!r}",
                "spec", "destination", "namespace")
    if "CreateNamespace=true" in (sync.get("syncOptions") or []):
        problems += _pod_security(app, ctx, path, sync)
    if project is not None:
        problems += argocd_project.check(app, project, result if isinstance(result, list) else [])
    return problems


def _pod_security(app: Manifest, ctx, path: str, sync: dict) -> list[Problem]:
    """The namespace CreateNamespace makes enforces Pod Security `restricted`, pinned to the target version."""
    labels = (sync.get("managedNamespaceMetadata") or {}).get("labels") or {}
    want = {f"{PSA}enforce": "restricted"}
    want.update({f"{PSA}enforce-version": f"v{env.kubernetes}" for env in ctx.config.environments if env.overlay == path})
    return [app.problem("argocd.pod-security",
                        f"syncPolicy.managedNamespaceMetadata.labels[{key!r}] is {_shown(labels.get(key))}; set it to {value!r}",
                        "spec", "syncPolicy", "managedNamespaceMetadata", "labels", key)
            for key, value in want.items() if labels.get(key) != value]


def manifests(ctx) -> list[Manifest]:
    """argocd/'s manifests, read once per run (the session keeps them for every check)."""
    return ctx.session.once("argocd.manifests", lambda: load(ctx.config.repo))


def app_paths(ctx) -> list[str]:
    """Every Kustomize folder an Application deploys, so validate can start rendering it early."""
    repo = ctx.config.repo
    paths = {((m.doc.get("spec") or {}).get("source") or {}).get("path", "") for m in manifests(ctx)
             if m.doc.get("kind") == "Application"}
    return sorted(p for p in paths if p and (repo / p / "kustomization.yaml").is_file())


def _excluded(relative: str, pattern: str) -> bool:
    """Argo CD's directory.exclude: a glob on the path inside the source, `{a,b}` for several."""
    inner = pattern[1:-1] if pattern.startswith("{") and pattern.endswith("}") else pattern
    return bool(pattern) and any(fnmatch.fnmatchcase(relative, p.strip()) for p in inner.split(","))


def _render_path(ctx, path: str, recurse: bool, exclude: str = "") -> list[dict] | str:
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
        files = [f for f in files if not _excluded(f.relative_to(folder).as_posix(), exclude)]
        return [d for f in files for d in render.parse(textfile.read(f, str(f.relative_to(repo))), str(f.relative_to(repo)))]
    except GitOpsError as exc:
        return f"source path {path!r} does not render: {exc}"


def _sync_windows(ctx, manifests: list[Manifest]) -> list[Problem]:
    """The project's windows against environments.yaml, kept by what they are made from (the
    project's files, environments.yaml, the exchange calendars' package, the day, the check
    code): an edit anywhere else loads neither ruamel.yaml nor a calendar."""
    # The real clock on purpose: the horizon check is about when validate runs, not about a commit.
    today = dt.datetime.now(dt.timezone.utc).date()
    projects = [m for m in manifests if m.doc.get("kind") == "AppProject" and m.doc["metadata"].get("name") == ctx.config.project]
    contents = envcache.contents(ctx)
    name = "windows-" + resultcache.digest("sync-windows", envcache.code(), today.isoformat(), contents(FILE),
                                           resultcache.package_identity("holidays") or "-",
                                           *sorted(f"{m.file}\0{contents(m.file)}" for m in projects)) + ".json"
    try:
        return [from_dict(p) for p in json.loads(resultcache.read(name) or "null")]
    except (TypeError, ValueError, KeyError):  # none kept, or damaged
        pass
    from fks_gitops import syncwindows_file  # noqa: PLC0415 - ruamel.yaml loads only for this check

    found = [p for m in projects for p in syncwindows_file.check(m, ctx.config, today)]
    resultcache.write(name, json.dumps([asdict(p) for p in found]))
    return found


def check(ctx) -> list[Problem]:
    found = manifests(ctx)
    apps = [m for m in found if m.doc.get("kind") == "Application"]
    if not ctx.everything:  # --env: only the Applications that deploy the named environments
        overlays = {e.overlay for e in ctx.config.select(list(ctx.selected))}
        apps = [a for a in apps if ((a.doc.get("spec") or {}).get("source") or {}).get("path") in overlays]
    projects = {m.doc["metadata"]["name"]: m for m in found if m.doc.get("kind") == "AppProject"}
    rendered_apps = {}
    for app in apps:
        source = (app.doc.get("spec") or {}).get("source") or {}
        path = source.get("path", "")
        if path not in rendered_apps:
            directory = source.get("directory") or {}
            rendered_apps[path] = _render_path(ctx, path, bool(directory.get("recurse")), directory.get("exclude", ""))
    problems = [p for app in apps for p in _app_problems(app, ctx, projects, rendered_apps)]
    problems += _sync_windows(ctx, found)
    for env in ctx.config.select(list(ctx.selected)):
        mine = [a for a in apps if ((a.doc.get("spec") or {}).get("source") or {}).get("path") == env.overlay]
        message = f"environment {env.name!r} has {len(mine)} Applications with path {env.overlay}; it needs exactly one"
        if not mine:  # the Application is missing from argocd/: point at the line that asks for it
            problems.append(Problem("argocd.environment", "error", f"{message}: add one under {FOLDER}/",
                                    location=_application_line(ctx.config.repo, env.application)))
        elif len(mine) > 1:
            problems += [a.problem("argocd.environment", message, "spec", "source", "path") for a in mine]
        elif mine[0].doc["metadata"].get("name") != env.application:
            problems.append(mine[0].problem(
                "argocd.environment", f"Application for {env.name} is named {_shown(mine[0].doc['metadata'].get('name'))}, "
                                      f"environments.yaml says {env.application!r}", "metadata", "name"))
    return problems


ID, SCOPE = "argocd", REPOSITORY
run = check


def _application_line(repo: Path, name: str) -> Location:
    """environments.yaml's `application: <name>` line."""
    lines = (repo / FILE).read_text().splitlines()
    line = next((n for n, text in enumerate(lines, 1) if text.strip() == f"application: {name}"), None)
    return Location(FILE, line, lines[line - 1].index("application") + 1 if line else None)
