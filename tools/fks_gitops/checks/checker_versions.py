"""Prometheus and Alertmanager images run the minor version of the promtool and amtool that
check their configs: a checker of another minor accepts fields the server rejects, or the
other way round (promtool 2.42 knew no Kubernetes discovery).

    problems = run(EnvContext(config, config.get("prod"), docs))

A container counts when its image comes from a repository environments.yaml allows for the
`prometheus` or `alertmanager` component. Each problem points at the container's image, which
validate locates at the overlay's images: entry; the message says which side to move.
"""
from __future__ import annotations

import re

from fks_gitops import image_refs, problem
from fks_gitops.checks.context import ENVIRONMENT, EnvContext
from fks_gitops.checks.image_references import containers
from fks_gitops.checks.monitoring import HOW_TO_GET
from fks_gitops.problem import Problem
from fks_gitops.proc import require
from fks_gitops.render import version_output

ID, SCOPE = "checker-versions", ENVIRONMENT
CHECKERS = {"prometheus": ("promtool", "Prometheus"), "alertmanager": ("amtool", "Alertmanager")}
_VERSION = re.compile(r"\bversion v?(\d+\.\d+\.\d+)")  # `promtool, version 3.5.3+ds1 (branch: ...`
_TAG = re.compile(r"v?(\d+)\.(\d+)(?:\.\d+)?(?:[-+].*)?")


def checker_version(binary: str) -> str:
    """`3.5.3` from `promtool --version` (or amtool's; both answer on stdout), remembered per
    binary as kubectl's is (render.version_output: about 40 ms a run)."""
    found = _VERSION.search(version_output([require(binary, HOW_TO_GET), "--version"], check=True))
    return found.group(1) if found else "unknown"


def _minor(version: str) -> tuple[str, str] | None:
    found = _TAG.fullmatch(version)
    return (found.group(1), found.group(2)) if found else None


def _finding(component: str, tag: str, checker: str, version: str) -> str | None:
    binary, server = CHECKERS[component]
    want = _minor(version)
    if _minor(tag) is None or _minor(tag) == want:
        return None  # a digest-only or unversioned tag: the images policy asks for a version
    line = ".".join(want) if want else version
    return (f"{server} {tag} is checked with {binary} {version}: move the images: entry to v{line}.x, "
            f"or {binary} to the image's version (the pinned .deb in the Makefile)")


def run(ctx: EnvContext) -> list[Problem]:
    repositories = {repo: c for c in CHECKERS for repo in ctx.config.images.get(c, ())}
    found = []
    for doc in ctx.docs:
        for at, container in containers(doc):
            image = container.get("image")
            repository, tag, _ = image_refs.split(image) if isinstance(image, str) else (None, None, None)
            if repository not in repositories or tag is None:
                continue
            component = repositories[repository]
            version = ctx.session.once((ID, component), lambda c=component: checker_version(CHECKERS[c][0]))
            message = _finding(component, tag, CHECKERS[component][0], version)
            if message:
                found.append(problem.at(doc, f"{ID}.minor", "error", f"container {container.get('name')!r}: {message}",
                                        pointer=at))
    return found
