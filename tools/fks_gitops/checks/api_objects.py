"""Objects the API server rejects although the schema accepts them: an HPA whose maxReplicas is
below its minReplicas (api.hpa-bounds), a workload whose selector does not select its own pod
template (api.selector), and claim sizes that are not quantities (api.quantity).

    problems = check(docs)
    # [Problem("api.hpa-bounds", "error", "maxReplicas 1 is below minReplicas 2", pointer="/spec/maxReplicas", ...)]
"""
from __future__ import annotations

from collections.abc import Iterator

from fks_gitops import selectors
from fks_gitops.checks.api_names import Finding, errors
from fks_gitops.checks.api_pods import resources
from fks_gitops.checks.context import ENVIRONMENT, EnvContext
from fks_gitops.pointer import join
from fks_gitops.problem import Problem

# Kinds whose spec.selector is a LabelSelector the API server requires and matches to the template.
_REQUIRED = ("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet")


def _hpa(doc: dict) -> Iterator[Finding]:
    spec = doc.get("spec") or {}
    low, high = spec.get("minReplicas", 1), spec.get("maxReplicas")
    if isinstance(low, int) and isinstance(high, int) and high < low:
        yield "api.hpa-bounds", f"maxReplicas {high} is below minReplicas {low}", "/spec/maxReplicas"


def _selector(doc: dict) -> Iterator[Finding]:
    kind, spec = doc.get("kind"), doc.get("spec") or {}
    at = "/spec/jobTemplate/spec/selector" if kind == "CronJob" else "/spec/selector"
    if kind == "CronJob":
        spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    selector = spec.get("selector")
    if kind == "ReplicationController" and isinstance(selector, dict):
        selector = {"matchLabels": selector} if selector else None  # empty: defaults to the template's labels
    labels = ((selectors.template(doc) or {}).get("metadata") or {}).get("labels") or {}
    if kind in _REQUIRED and not (selector or {}).get("matchLabels") and not (selector or {}).get("matchExpressions"):
        yield "api.selector", f"{kind} needs a non-empty selector; select the template's labels", at
    elif isinstance(selector, dict) and not selectors.matches(selector, labels):
        have = selectors.describe({"matchLabels": labels})
        yield ("api.selector", f"selector {selectors.describe(selector)!r} does not match the template's labels "
               f"{have!r}; make them agree", at)


def _claims(doc: dict) -> Iterator[Finding]:
    kind, spec = doc.get("kind"), doc.get("spec") or {}
    if kind == "PersistentVolumeClaim":
        yield from resources("", spec.get("resources"), "/spec/resources")
    for i, claim in enumerate(spec.get("volumeClaimTemplates") or () if kind == "StatefulSet" else ()):
        name = (claim.get("metadata") or {}).get("name")
        yield from resources(f"volumeClaimTemplate {name!r} ", (claim.get("spec") or {}).get("resources"),
                             join("/spec/volumeClaimTemplates", i, "spec", "resources"))


def findings(doc: dict) -> Iterator[Finding]:
    if doc.get("kind") == "HorizontalPodAutoscaler":
        yield from _hpa(doc)
    if selectors.template_path(doc):  # every workload but a bare Pod
        yield from _selector(doc)
    yield from _claims(doc)


def check(docs: list[dict]) -> list[Problem]:
    return errors(docs, findings)


ID, SCOPE = "api-objects", ENVIRONMENT


def run(ctx: EnvContext) -> list[Problem]:
    return check(ctx.docs)
