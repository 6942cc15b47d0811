"""The Rego policies on what Argo CD deploys beyond the environments' overlays.

    problems = check(ctx)        # RepoContext of a full validate run
    [i.name for i in inputs(ctx)]  # ["argocd", "cluster"]

Each input is its own conftest --combine run, so a policy that relates objects (a
NetworkPolicy to its pods) never mixes two inputs. `data.fks.environment` tells them apart:
  - the manifests under argocd/ (the root app-of-apps deploys the folder as it is):
    name "argocd", namespace "argocd", each problem at the file and line of the object's document;
  - every other folder an Application deploys that is not an environment's overlay
    (base/cluster): name = the folder's last part ("cluster"), namespace = the
    Application's destination namespace, where Argo CD puts an object that names none;
    problems at the folder's kustomization.yaml (its objects are rendered), or at the
    object's file for a plain folder of manifests.
The overlays themselves are checked per environment (checks.py, "policies").
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from fks_gitops import policy, render
from fks_gitops.checks import argocd
from fks_gitops.problem import Location, Problem
from fks_gitops.render import object_id
from fks_gitops.checks.context import REPOSITORY

# Argo CD reads Applications and AppProjects only in its own namespace (its install's default).
ARGOCD_NAMESPACE = "argocd"


@dataclass(frozen=True)
class Input:
    name: str
    namespace: str
    folder: str
    docs: list[dict]
    files: dict[str, Location] = field(default_factory=dict)  # object id -> its document, when not rendered
    fallback: Location | None = None  # for what no object's document holds


_START = re.compile(r"^---")
_CONTENT = re.compile(r"^[^\s#]")  # a line that starts a document's content (not a comment, not indented)


def document_lines(text: str) -> list[int]:
    """The first content line of each non-empty document in a YAML stream, in order, as
    render.parse returns the documents (it skips empty ones)."""
    lines, waiting = [], True
    for number, line in enumerate(text.splitlines(), 1):
        if _START.match(line):
            waiting = True
            rest = line[3:].strip()
            if rest and not rest.startswith("#"):  # `--- {a: 1}`
                lines.append(number)
                waiting = False
        elif waiting and _CONTENT.match(line) and not line.startswith("..."):
            lines.append(number)
            waiting = False
    return lines


def _located(files: dict[str, list[dict]], read) -> dict[str, Location]:
    """Object id -> (file, line of its document); `files`: file -> its documents."""
    located = {}
    for file, docs in files.items():
        starts = document_lines(read(file))
        for i, doc in enumerate(docs):
            located[object_id(doc)] = Location(file, starts[i] if len(starts) == len(docs) else None)
    return located


def _argocd(repo: Path, manifests: list[argocd.Manifest]) -> Input:
    by_file: dict[str, list[dict]] = {}
    for m in manifests:
        by_file.setdefault(m.file, []).append(m.doc)
    files = _located(by_file, lambda file: (repo / file).read_text())
    root = Location(f"{argocd.FOLDER}/root.yaml")
    return Input("argocd", ARGOCD_NAMESPACE, argocd.FOLDER, [m.doc for m in manifests], files, root)


def _folder(ctx, app: dict) -> Input | None:
    """The documents an Application's folder holds; None when the Argo CD check reports it instead."""
    spec = app.get("spec") or {}
    source = spec.get("source") or {}
    path, repo = source.get("path", ""), ctx.config.repo
    namespace = (spec.get("destination") or {}).get("namespace", "")
    name = Path(path).name
    if (repo / path / "kustomization.yaml").is_file():
        try:
            return Input(name, namespace, path, ctx.render(path), fallback=Location(f"{path}/kustomization.yaml"))
        except render.RenderError:
            return None  # the argocd check says the path does not render
    folder = repo / path
    if not path or not folder.is_dir():
        return None
    recurse = bool((source.get("directory") or {}).get("recurse"))
    found = sorted(folder.rglob("*.y*ml") if recurse else folder.glob("*.y*ml"))
    texts = {str(f.relative_to(repo)): f.read_text() for f in found}
    docs = {rel: render.parse(text, rel) for rel, text in texts.items()}
    return Input(name, namespace, path, [d for ds in docs.values() for d in ds], _located(docs, texts.get),
                 Location(path))


def inputs(ctx) -> list[Input]:
    manifests = argocd.manifests(ctx)
    overlays = {e.overlay for e in ctx.config.environments}
    paths: dict[str, dict] = {}
    for m in manifests:
        path = ((m.doc.get("spec") or {}).get("source") or {}).get("path", "")
        if m.doc.get("kind") == "Application" and path and path not in overlays and path != argocd.FOLDER:
            paths.setdefault(path.rstrip("/"), m.doc)
    found = [_folder(ctx, app) for _, app in sorted(paths.items())]
    return [_argocd(ctx.config.repo, manifests), *(i for i in found if i is not None)]


def check(ctx) -> list[Problem]:
    """Nothing on an `--env` run: these inputs belong to no environment (as the Argo CD check
    narrows to the named environments' Applications)."""
    if not ctx.everything:
        return []
    policy_dir = ctx.config.repo / "policy"
    return [p for i in inputs(ctx) for p in policy.check(i.docs, i.name, i.namespace, policy_dir, i.files, i.fallback)]


ID, SCOPE = "policies-argocd", REPOSITORY  # argocd/ and the other folders Applications deploy
run = check
