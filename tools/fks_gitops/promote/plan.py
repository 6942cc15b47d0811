"""Which image versions a promotion moves: from --image refs, the previous environment, or history.

    changes = plan(repo, config, config.get("prod"), request, text, History(repo))
    [f"{c.new.component} {c.old.version} -> {c.new.version}" for c in changes]
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from fks_gitops.promote import images, soak
from fks_gitops.environments import Config, Environment
from fks_gitops.errors import GitOpsError, Refused
from fks_gitops.promote.history import History
from fks_gitops.promote.images import Image

if TYPE_CHECKING:
    from fks_gitops.promote.promotion import Request


@dataclass(frozen=True)
class Change:
    old: Image
    new: Image
    soaked: dt.timedelta | None = None  # how long `new` has run in the source environment
    sessions: int | None = None  # the trading sessions it completed there, when the source counts them


def plan(repo: Path, config: Config, target: Environment, req: Request, text: str, history: History) -> list[Change]:
    check_request(config, target, req)
    current = images.read(text, target.overlay)
    if req.rollback:
        return _rollback(target, req, current, history)
    if target.order == 0:
        return _from_refs(target, req, current, config.images)
    return _from_source(repo, config, config.previous(target), target, req, current, history)


def check_request(config: Config, target: Environment, req: Request) -> None:
    """Usage errors (exit 2), before anything is read."""
    first = config.environments[0].name
    if req.rollback and (req.images or req.break_glass):
        raise GitOpsError("--rollback takes neither --image nor --break-glass; it bypasses soak and freeze already")
    if not req.rollback and target.order == 0 and not req.images:
        raise GitOpsError(f"--to {first} needs --image [NAME=]NEWNAME[:TAG][@DIGEST]")
    if target.order > 0 and req.images:
        raise GitOpsError(f"--image sets {first} only; --to {target.name} takes the versions of the environment before it")
    if req.images and req.components:
        raise GitOpsError("--component selects among promoted images; with --image name them in the refs")
    if req.break_glass is not None and not req.break_glass.strip():
        raise GitOpsError("--break-glass needs --reason TEXT; it is recorded in the commit")


def _from_refs(target: Environment, req: Request, current: dict[str, Image], allowed: dict[str, tuple[str, ...]]) -> list[Change]:
    changes: dict[str, Change] = {}
    for text in req.images:
        ref = images.parse_ref(text)
        old = images.resolve(current, ref.key, target.overlay)
        if old.name in changes:
            raise GitOpsError(f"image {old.component!r} given twice; give one --image per image")
        changes[old.name] = Change(old, images.apply_ref(old, ref, allowed))
    return [c for c in changes.values() if c.old.key != c.new.key]


def _from_source(
    repo: Path, config: Config, source: Environment, target: Environment, req: Request, current: dict[str, Image], history: History
) -> list[Change]:
    offered = images.read((repo / source.overlay / "kustomization.yaml").read_text(), source.overlay)
    names = [images.resolve(offered, c, source.overlay).name for c in req.components] or list(offered)
    _refuse_unpinned(source, target, [offered[name] for name in names])
    for name in names:
        images.refuse(offered[name], config.images, source.overlay)
    changes = []
    for name in names:
        if name not in current:
            raise GitOpsError(f"{target.overlay}: no images entry for {name!r}; add one as in {source.overlay}")
        new = replace(offered[name], name=name)
        if new.key != current[name].key:
            ran = soak.progress(source, new, history, req.now)
            changes.append(Change(current[name], new, ran and ran.ran, ran and ran.sessions))
    return changes


def _refuse_unpinned(source: Environment, target: Environment, offered: list[Image]) -> None:
    """A usage error before anything is written: validation would refuse it only after the write."""
    for image in offered:
        if not image.pinned:
            raise GitOpsError(
                f"{source.overlay}: image {image.ref!r} is not pinned; pin it in {source.name} "
                f"(a tag other than 'latest', or a digest) before promoting to {target.name}"
            )


def _rollback(target: Environment, req: Request, current: dict[str, Image], history: History) -> list[Change]:
    named = [images.resolve(current, c, target.overlay) for c in req.components]
    changes = []
    for image in named or current.values():
        previous = history.rollback_target(target.overlay, image)
        if previous is not None:
            changes.append(Change(image, previous))
        elif named:
            raise Refused(f"{target.name}: history has no version of {image.component} before {image.version}")
    return changes
