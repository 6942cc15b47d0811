"""Every container image of a rendered environment is well formed and comes from a repository
environments.yaml lists (image_refs.py, the judgement promote makes before it writes).

    problems = run(EnvContext(config, config.get("dev"), render(repo / "overlays/dev")))

Each problem points at the container's image, which validate locates at the overlay's
images: entry that set it. The overlay's entries are checked too, by their component: a
rendered image alone cannot tell which component it stands in for, so only the entry shows
one component's image swapped for another's.

Named image-references, since the Rego package `images` already owns the rule ids `images.*`.
"""
from __future__ import annotations

from collections.abc import Iterator

from fks_gitops import image_refs, problem, selectors
from fks_gitops.checks.context import ENVIRONMENT, EnvContext
from fks_gitops.errors import GitOpsError
from fks_gitops.pointer import join
from fks_gitops.problem import Problem
from fks_gitops.promote import images

ID, SCOPE = "image-references", ENVIRONMENT
GROUPS = ("initContainers", "containers", "ephemeralContainers")


def containers(doc: dict) -> Iterator[tuple[str, dict]]:
    tpl, at = selectors.template(doc), selectors.template_path(doc)
    spec = (tpl or {}).get("spec") or {}
    for group in GROUPS:
        for i, container in enumerate(spec.get(group) or ()):
            if isinstance(container, dict):
                yield join(f"{at}/spec", group, i, "image"), container


def _rendered(ctx: EnvContext) -> Iterator[Problem]:
    for doc in ctx.docs:
        for at, container in containers(doc):
            image = container.get("image")
            if not isinstance(image, str):
                continue  # the schema check reports a missing image
            for rule, message in image_refs.findings(None, *image_refs.split(image), ctx.config.images):
                yield problem.at(doc, f"{ID}.{rule}", "error",
                                 f"container {container.get('name')!r} image {image_refs.quote(image)}: {message}", pointer=at)


def _entries(ctx: EnvContext) -> Iterator[Problem]:
    rel = f"{ctx.env.overlay}/kustomization.yaml"
    try:
        entries = images.read((ctx.config.repo / rel).read_text(), rel)
    except (OSError, GitOpsError):
        return  # the overlay did not render, and that is reported already
    for image in entries.values():
        repository = image.new_name or image.name
        if image_refs.findings(None, repository, None, None, ctx.config.images):
            continue  # not allowed for any component: reported where it renders
        for rule, message in image_refs.findings(image.component, repository, None, None, ctx.config.images):
            yield problem.in_file(rel, f"{ID}.{rule}", "error", f"images entry {image.name!r}: {message}")


def run(ctx: EnvContext) -> list[Problem]:
    return [*_rendered(ctx), *_entries(ctx)]
