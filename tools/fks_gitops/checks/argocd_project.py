"""What an Application's AppProject lets it do, checked against what the Application renders.

    problems = check(app_where, project, source, destination, rendered_docs)

Argo CD's own rules: a namespaced kind is allowed when the project gives no
namespaceResourceWhitelist or lists it, and no blacklist names it; a cluster-scoped kind
only when clusterResourceWhitelist lists it
(https://argo-cd.readthedocs.io/en/stable/user-guide/projects/).
"""
from __future__ import annotations

import fnmatch

from fks_gitops.problem import Problem

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


def _kind_problems(where: str, name: str, spec: dict, app_doc: dict, docs: list[dict]) -> list[Problem]:
    problems = []
    for group, kind in sorted(_kinds(app_doc, docs)):
        if permitted(spec, group, kind):
            continue
        if kind in CLUSTER_SCOPED:
            problems.append(Problem(where, "argocd.project-cluster-resource", "error",
                                    f"AppProject {name!r} does not allow cluster-scoped {kind} (group {group!r}); add it to clusterResourceWhitelist"))
        else:
            fix = ("namespaceResourceBlacklist denies it" if _listed(spec.get("namespaceResourceBlacklist"), group, kind)
                   else "add it to namespaceResourceWhitelist")
            problems.append(Problem(where, "argocd.project-namespace-resource", "error",
                                    f"AppProject {name!r} does not allow {kind} (group {group!r}); {fix}"))
    return problems


def _self_managed(where: str, name: str, docs: list[dict]) -> list[Problem]:
    # An Application that syncs its own AppProject could widen its own permissions by a commit.
    if any(d.get("kind") == "AppProject" and (d.get("metadata") or {}).get("name") == name for d in docs):
        return [Problem(where, "argocd.project-self-managed", "error",
                        f"the Application syncs its own AppProject {name!r}; exclude that file from its source (directory.exclude)")]
    return []


def check(where: str, project: dict, app_doc: dict, docs: list[dict]) -> list[Problem]:
    spec, name = project.get("spec") or {}, project["metadata"]["name"]
    app_spec = app_doc.get("spec") or {}
    source, dest = app_spec.get("source") or {}, app_spec.get("destination") or {}
    problems = []
    if not any(fnmatch.fnmatchcase(source.get("repoURL", ""), r) for r in spec.get("sourceRepos") or []):
        problems.append(Problem(where, "argocd.project-source", "error",
                                f"AppProject {name!r} does not allow source {source.get('repoURL')!r}; add it to sourceRepos"))
    allowed = [(d.get("server", "*"), d.get("namespace", "*")) for d in spec.get("destinations") or []]
    want = (dest.get("server", ""), dest.get("namespace", ""))
    if not any(fnmatch.fnmatchcase(want[0], s) and fnmatch.fnmatchcase(want[1], n) for s, n in allowed):
        problems.append(Problem(where, "argocd.project-destination", "error",
                                f"AppProject {name!r} does not allow destination {want[0]} namespace {want[1]!r}; add it to destinations"))
    return problems + _kind_problems(where, name, spec, app_doc, docs) + _self_managed(where, name, docs)
