"""Names the API server rejects before any controller sees them: object, namespace, container,
volume and port names (rules api.name and api.port-name).

    problems = check(docs)
    # [Problem("api.port-name", "error", "container 'web' port name 'metrics-endpoint-http' is longer
    #   than 15 characters", pointer="/spec/template/spec/containers/0/ports/0/name", ...)]

Which format each name must have is apiformats.py's.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from fks_gitops import apiformats, problem, selectors
from fks_gitops.checks.context import ENVIRONMENT, EnvContext
from fks_gitops.pointer import join
from fks_gitops.problem import Problem

Finding = tuple[str, str, str]  # (rule, message, pointer)
CONTAINER_GROUPS = ("initContainers", "containers", "ephemeralContainers")


def _metadata(doc: dict) -> Iterator[Finding]:
    meta = doc.get("metadata") or {}
    name, namespace = meta.get("name"), meta.get("namespace")
    why = apiformats.object_name(str(doc.get("kind")), name) if isinstance(name, str) else None
    if why:
        yield "api.name", f"name {name!r} {why}", "/metadata/name"
    why = apiformats.label(namespace) if isinstance(namespace, str) else None
    if why:
        yield "api.name", f"namespace {namespace!r} {why}", "/metadata/namespace"


def _pod(spec: dict, at: str) -> Iterator[Finding]:
    for group in CONTAINER_GROUPS:
        for i, container in enumerate(spec.get(group) or ()):
            name, here = container.get("name"), join(at, group, i)
            why = apiformats.label(name) if isinstance(name, str) else None
            if why:
                yield "api.name", f"container name {name!r} {why}", join(here, "name")
            for p, port in enumerate(container.get("ports") or ()):
                why = apiformats.port_name(port["name"]) if isinstance(port.get("name"), str) else None
                if why:
                    yield ("api.port-name", f"container {name!r} port name {port['name']!r} {why}",
                           join(here, "ports", p, "name"))
    for v, volume in enumerate(spec.get("volumes") or ()):
        name = volume.get("name")
        why = apiformats.label(name) if isinstance(name, str) else None
        if why:
            yield "api.name", f"volume name {name!r} {why}", join(at, "volumes", v, "name")


def _service_ports(doc: dict) -> Iterator[Finding]:
    for i, port in enumerate((doc.get("spec") or {}).get("ports") or ()):
        name, target = port.get("name"), port.get("targetPort")
        why = apiformats.label(name) if isinstance(name, str) else None
        if why:
            yield "api.port-name", f"port name {name!r} {why}", join("/spec/ports", i, "name")
        why = apiformats.port_name(target) if isinstance(target, str) else None
        if why:
            yield "api.port-name", f"targetPort {target!r} {why}", join("/spec/ports", i, "targetPort")


def findings(doc: dict) -> Iterator[Finding]:
    yield from _metadata(doc)
    tpl, at = selectors.template(doc), selectors.template_path(doc)
    if isinstance(tpl, dict) and isinstance(tpl.get("spec"), dict):
        yield from _pod(tpl["spec"], f"{at}/spec")
    if doc.get("kind") == "Service":
        yield from _service_ports(doc)


def errors(docs: list[dict], found: Callable[[dict], Iterable[Finding]]) -> list[Problem]:
    """One error per finding of each document, at its object and pointer (every api-* check)."""
    return [problem.at(doc, rule, "error", message, pointer=at) for doc in docs for rule, message, at in found(doc)]


def check(docs: list[dict]) -> list[Problem]:
    return errors(docs, findings)


ID, SCOPE = "api-names", ENVIRONMENT


def run(ctx: EnvContext) -> list[Problem]:
    return check(ctx.docs)
