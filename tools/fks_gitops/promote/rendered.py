"""An environment's rendered manifests before and after an edit of its kustomization.yaml.

    before, after = render(repo / "overlays/prod"), candidate(repo, "overlays/prod", new_text)
    drift(before, after)      # ["Deployment/fks-trading/x: spec.replicas"]: anything but image fields
    print(unified(before, after, "overlays/prod"))

The "after" render runs in a scratch tree (the edited overlay copied, everything else linked), so
a dry run writes nothing in the repository.
"""
from __future__ import annotations

import difflib
import re
import shutil
import tempfile
from pathlib import Path

import yaml

from fks_gitops.docdiff import diff, show
from fks_gitops.render import object_id, render

# kustomize's images transformer writes only these; a change anywhere else is drift.
IMAGE_FIELD = re.compile(r"(?:^|\.)(?:initContainers|containers|ephemeralContainers)\[\d+\]\.image$")


def candidate(repo: Path, overlay: str, text: str) -> list[dict]:
    """The overlay rendered as if its kustomization.yaml were `text`."""
    with tempfile.TemporaryDirectory(prefix="fks-promote-") as tmp:
        root = Path(tmp)
        for entry in repo.iterdir():
            if entry.name not in (".git", "overlays"):
                (root / entry.name).symlink_to(entry.resolve())
        (root / "overlays").mkdir()
        for entry in (repo / "overlays").iterdir():
            if entry.name != Path(overlay).name:
                (root / "overlays" / entry.name).symlink_to(entry.resolve())
        # copied, not linked: kustomize refuses files whose real path is outside the overlay
        shutil.copytree(repo / overlay, root / overlay, symlinks=True)
        (root / overlay / "kustomization.yaml").write_text(text)
        return render(root / overlay, overlay)


def drift(before: list[dict], after: list[dict]) -> list[str]:
    """Every object id and path that differs, except container image fields."""
    old = {object_id(d): d for d in before}
    new = {object_id(d): d for d in after}
    found = [f"{oid}: added" for oid in sorted(new.keys() - old.keys())]
    found += [f"{oid}: removed" for oid in sorted(old.keys() - new.keys())]
    for oid in sorted(old.keys() & new.keys()):
        paths = [show(path) for path, _, _ in diff(old[oid], new[oid])]
        found += [f"{oid}: {path}" for path in paths if not IMAGE_FIELD.search(path)]
    return found


def unified(before: list[dict], after: list[dict], overlay: str) -> str:
    return "".join(
        difflib.unified_diff(_dump(before), _dump(after), f"a/{overlay} (rendered)", f"b/{overlay} (rendered)")
    )


def _dump(docs: list[dict]) -> list[str]:
    ordered = sorted(docs, key=object_id)
    return yaml.dump_all(ordered, Dumper=yaml.CSafeDumper, sort_keys=False, width=4096).splitlines(keepends=True)


def text_diff(old: str, new: str, path: str) -> str:
    return "".join(difflib.unified_diff(old.splitlines(True), new.splitlines(True), f"a/{path}", f"b/{path}"))
