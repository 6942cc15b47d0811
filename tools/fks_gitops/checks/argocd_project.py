"""What an Application's AppProject lets it do, checked against what the Application renders.

    problems = check(app, project, rendered_docs)   # argocd.Manifest each

Argo CD's own rules: a namespaced kind is allowed when the project gives no
namespaceResourceWhitelist or lists it, and no blacklist names it; a cluster-scoped kind
only when clusterResourceWhitelist lists it
(https://argo-cd.readthedocs.io/en/stable/user-guide/projects/).
"""
from __future__ import annotations

import fnmatch

from fks_gitops.problem import ObjectRef, Problem

# Cluster-scoped kinds an Application may render; each needs the AppProject's clusterResourceWhitelist.
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "ClusterIssuer", "CustomResourceDefinition",
                  "PriorityClass", "StorageClass", "IngressClass", "PersistentVolume"}


def _listed(entries: list[dict] | None, group: str, kind: str) -> bool:
    return any(fnmatch.fnmatchcase(group, e.get("group", "")) and fnmatch.fnmatchcase(kind, e.get("kind", ""))
               for e in entries or ())


def permitted(spec: dict, group: str, kind: str) -> bool:
    """Whether the project spec lets an Application sync objects of this group and kind."""
    if kind in CLUSTER_SCOPED:
        return _listed(spec.get("clusterResourceWhitelist"), group, kind) and \
            not _listed(spec.get("clusterResourceBlacklist"), group, kind)
    white = spec.get("namespaceResourceWhitelist")
    return (white is None or _listed(white, group, kind)) and not _listed(spec.get("namespaceResourceBlacklist"), group, kind)


def _kinds(app_doc: dict, docs: list[dict]) -> set[tuple[str, str]]:
    options = ((app_doc.get("spec") or {}).get("syncPolicy") or {}).get("syncOptions") or []
    needed = {("", "Namespace")} if "CreateNamespace=true" in options else set()
    return needed | {(d.get("apiVersion", "").rpartition("/")[0], d["kind"]) for d in docs if d.get("kind")}


def _kind_problems(app, project, docs: list[dict]) -> list[Problem]:
    spec, name = project.doc.get("spec") or {}, project.doc["metadata"]["name"]
    problems = []
    for group, kind in sorted(_kinds(app.doc, docs)):
        if permitted(spec, group, kind):
            continue
        if kind in CLUSTER_SCOPED:
            message = f"AppProject {name!r} does not allow cluster-scoped {kind} (group {group!r}); add it to clusterResourceWhitelist"
            problems.append(_needs(app, project, "argocd.project-cluster-resource", message, "clusterResourceWhitelist"))
        elif _listed(spec.get("namespaceResourceBlacklist"), group, kind):
            message = f"AppProject {name!r} does not allow {kind} (group {group!r}); namespaceResourceBlacklist denies it"
            problems.append(_needs(app, project, "argocd.project-namespace-resource", message, "namespaceResourceBlacklist"))
        else:
            message = f"AppProject {name!r} does not allow {kind} (group {group!r}); add it to namespaceResourceWhitelist"
            problems.append(_needs(app, project, "argocd.project-namespace-resource", message, "namespaceResourceWhitelist"))
    return problems


def _needs(app, project, rule: str, message: str, field: str) -> Problem:
    """About the Application that needs it, at the AppProject's field the fix goes in."""
    return Problem(rule, "error", message, project.location("spec", field), ObjectRef.of(app.doc))


def _self_managed(app, name: str, docs: list[dict]) -> list[Problem]:
    # An Application that syncs its own AppProject could widen its own permissions by a commit.
    if any(d.get("kind") == "AppProject" and (d.get("metadata") or {}).get("name") == name for d in docs):
        return [app.problem("argocd.project-self-managed",
                            f"the Application syncs its own AppProject {name!r}; exclude that file from its source (directory.exclude)",
                            "spec", "source", "directory")]
    return []


def check(app, project, docs: list[dict]) -> list[Problem]:
    """`app` and `project` are argocd.Manifest: documents with the lines of their fields."""
    spec, name = project.doc.get("spec") or {}, project.doc["metadata"]["name"]
    app_spec = app.doc.get("spec") or {}
    source, dest = app_spec.get("source") or {}, app_spec.get("destination") or {}
    problems = []
    if not any(fnmatch.fnmatchcase(source.get("repoURL", ""), r) for r in spec.get("sourceRepos") or []):
        shown = repr(source["repoURL"]) if source.get("repoURL") else "(none)"
        problems.append(_needs(app, project, "argocd.project-source",
                               f"AppProject {name!r} does not allow source {shown}; add it to sourceRepos", "sourceRepos"))
    allowed = [(d.get("server", "*"), d.get("namespace", "*")) for d in spec.get("destinations") or []]
    want = (dest.get("server", ""), dest.get("namespace", ""))
    if not any(fnmatch.fnmatchcase(want[0], s) and fnmatch.fnmatchcase(want[1], n) for s, n in allowed):
        problems.append(_needs(app, project, "argocd.project-destination",
                               f"AppProject {name!r} does not allow destination {want[0]} namespace {want[1]!r}; "
                               "add it to destinations", "destinations"))
    return problems + _kind_problems(app, project, docs) + _self_managed(app, name, docs)
