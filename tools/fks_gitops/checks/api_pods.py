"""Pod templates the API server or the kubelet rejects although the schema accepts them:
resource quantities that are not quantities (api.quantity), duplicate env var names
(api.duplicate-env) and probes naming a port their container does not have (api.probe-port).

    problems = check(docs)
    # [Problem("api.quantity", "error", "container 'web' resources.limits.memory '512mb' is not a quantity (...)",
    #          pointer="/spec/template/spec/containers/0/resources/limits/memory", ...)]

A probe's named port is resolved against its own container's ports, as the kubelet does; a
numeric one needs no declaration. Quantities in PersistentVolumeClaims are api_objects.py's.
"""
from __future__ import annotations

from collections.abc import Iterator

from fks_gitops import apiformats, selectors
from fks_gitops.checks.api_names import CONTAINER_GROUPS, Finding, errors
from fks_gitops.checks.context import ENVIRONMENT, EnvContext
from fks_gitops.pointer import join
from fks_gitops.problem import Problem

PROBES = ("livenessProbe", "readinessProbe", "startupProbe")


def resources(what: str, value: object, at: str) -> Iterator[Finding]:
    """Every quantity of a requests/limits block (`value`, at pointer `at`) that is not one."""
    for field in ("requests", "limits"):
        amounts = value.get(field) if isinstance(value, dict) else None
        for name, amount in (amounts or {}).items() if isinstance(amounts, dict) else ():
            why = apiformats.quantity(amount)
            if why:
                yield "api.quantity", f"{what}resources.{field}.{name} {amount!r} {why}", join(at, field, name)


def _env(container: dict, at: str) -> Iterator[Finding]:
    seen: set[str] = set()
    for e, env in enumerate(container.get("env") or ()):
        name = env.get("name") if isinstance(env, dict) else None
        if name in seen:
            yield ("api.duplicate-env", f"container {container.get('name')!r} sets env {name!r} twice; "
                   "the later one hides the first, remove one", join(at, "env", e, "name"))
        seen.add(name)


def _probes(container: dict, at: str) -> Iterator[Finding]:
    names = {p.get("name") for p in container.get("ports") or () if isinstance(p, dict)}
    have = ", ".join(sorted(str(n) for n in names if n)) or "none"
    for probe in PROBES:
        for handler in ("httpGet", "tcpSocket"):
            port = ((container.get(probe) or {}).get(handler) or {}).get("port")
            if isinstance(port, str) and port not in names:
                yield ("api.probe-port", f"container {container.get('name')!r} {probe} {handler} port {port!r} "
                       f"is no port name of the container (it has: {have})", join(at, probe, handler, "port"))


def _pod(spec: dict, at: str) -> Iterator[Finding]:
    for group in CONTAINER_GROUPS:
        for i, container in enumerate(spec.get(group) or ()):
            here = join(at, group, i)
            yield from resources(f"container {container.get('name')!r} ", container.get("resources"), join(here, "resources"))
            yield from _env(container, here)
            yield from _probes(container, here)
    yield from resources("pod ", spec.get("resources"), join(at, "resources"))
    for v, volume in enumerate(spec.get("volumes") or ()):
        limit = (volume.get("emptyDir") or {}).get("sizeLimit")
        why = apiformats.quantity(limit)
        if why:
            yield ("api.quantity", f"volume {volume.get('name')!r} emptyDir.sizeLimit {limit!r} {why}",
                   join(at, "volumes", v, "emptyDir", "sizeLimit"))


def findings(doc: dict) -> Iterator[Finding]:
    tpl = selectors.template(doc)
    if isinstance(tpl, dict) and isinstance(tpl.get("spec"), dict):
        yield from _pod(tpl["spec"], f"{selectors.template_path(doc)}/spec")


def check(docs: list[dict]) -> list[Problem]:
    return errors(docs, findings)


ID, SCOPE = "api-pods", ENVIRONMENT


def run(ctx: EnvContext) -> list[Problem]:
    return check(ctx.docs)
