"""Where every image version is: environment x image, with the time since it arrived and, in an
environment that holds versions back, the soak progress in the unit it counts (soak.py).

    envs, rows = status(repo, now)
    rows[0].component, rows[0].cells["prod"].version, rows[0].cells["prod"].differs
    rows[0].cells["staging"].soak.short      # "20h/24h" or "1/2 sessions"
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from fks_gitops import environments
from fks_gitops.promote import images, soak
from fks_gitops.promote.history import History


@dataclass(frozen=True)
class Cell:
    version: str
    ref: str
    since: dt.datetime | None  # None when the version is not committed yet
    commit: str | None
    differs: bool  # from the environment before this one
    soak: soak.Progress | None = None  # None where the environment holds no version back


@dataclass(frozen=True)
class Row:
    name: str
    component: str
    cells: dict[str, Cell | None]  # None: the environment has no entry for this image


def status(repo: Path, now: dt.datetime, history: History | None = None) -> tuple[list[str], list[Row]]:
    """(environment names in chain order, one Row per image name found in any overlay);
    `history`: the run's, when the caller has read it already (the status board)."""
    config = environments.load(repo)
    history = history or History(repo)
    found = {
        env.name: images.read((repo / env.overlay / "kustomization.yaml").read_text(), env.overlay)
        for env in config.environments
    }
    names = list(dict.fromkeys(name for entries in found.values() for name in entries))
    rows = []
    for name in names:
        cells: dict[str, Cell | None] = {}
        previous = None
        for env in config.environments:
            image = found[env.name].get(name)
            snap = history.entered(env.overlay, image) if image else None
            cells[env.name] = image and Cell(
                image.version,
                image.ref,
                snap.when if snap else None,
                snap.sha if snap else None,
                env.order > 0 and (previous is None or previous.key != image.key),
                soak.progress(env, image, history, now) if soak.required(env) else None,
            )
            previous = image
        rows.append(Row(name, images.component(name), cells))
    return [env.name for env in config.environments], rows
