"""Render Kustomize overlays with the real kustomize, in parallel.

    docs = render(repo / "overlays/prod")          # list of dicts
    rendered = render_all(repo, ["overlays/dev", "overlays/prod"])
"""
from __future__ import annotations

import functools
import os
import re
import shutil
import sys
import threading
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import yaml

from fks_gitops import yamlload
from fks_gitops.errors import GitOpsError
from fks_gitops.problem import Problem
from fks_gitops.proc import run

HOW_TO_GET = "run `make setup`, or install kustomize >= 5 or kubectl >= 1.27"
# kustomize spends much of its CPU in Go's garbage collector; collecting less often costs some
# memory (about 2x) and saves a quarter of the CPU when three renders share two cores.
_ENV = {**os.environ, "GOGC": os.environ.get("GOGC", "400")}


@dataclass(frozen=True)
class Renderer:
    argv: tuple[str, ...]  # prefix; the overlay folder is appended
    version: str


class RenderError(GitOpsError):
    def __init__(self, overlay: str, message: str) -> None:
        super().__init__(f"{overlay}: kustomize failed: {message}", exit_code=1)
        self.overlay, self.detail = overlay, message

    def problem(self) -> Problem:
        """How a report shows it: one error at the folder, with kustomize's message."""
        return Problem(self.overlay, "render", "error", self.detail)


def _major(version: str) -> int:
    match = re.search(r"v?(\d+)\.", version)
    return int(match.group(1)) if match else 0


@functools.cache
def renderer() -> Renderer:
    """kustomize on PATH, else kubectl's embedded kustomize (PATH, then this virtualenv)."""
    kustomize = shutil.which("kustomize")
    if kustomize:
        version = run([kustomize, "version"]).stdout.strip()
        if _major(version) >= 5:
            return Renderer((kustomize, "build"), version)
    venv_bin = str(Path(sys.prefix) / "bin")
    for kubectl in filter(None, (shutil.which("kubectl"), shutil.which("kubectl", path=venv_bin))):
        out = run([kubectl, "version", "--client"], check=False).stdout
        match = re.search(r"Kustomize Version:\s*(\S+)", out)
        if match and _major(match.group(1)) >= 5:
            return Renderer((kubectl, "kustomize"), match.group(1))
    raise GitOpsError(f"no kustomize >= 5 found; {HOW_TO_GET}")


def parse(text: str, where: str, strict: bool = True) -> list[dict]:
    """The non-empty documents of `text`. A file from the repository is read strictly (a key
    twice is an error); kustomize's output is not: kustomize wrote it, and it is large."""
    if strict:
        return yamlload.load_all(text, where)
    try:
        return [d for d in yaml.load_all(text, Loader=yaml.CSafeLoader) if d]
    except yaml.YAMLError as exc:
        raise GitOpsError(f"{where}: not valid YAML: {str(exc).splitlines()[0]}") from None


def render(overlay: Path, label: str | None = None) -> list[dict]:
    label = label or str(overlay)
    if not (overlay / "kustomization.yaml").is_file():
        raise RenderError(label, "no kustomization.yaml in this folder")
    proc = run([*renderer().argv, str(overlay)], check=False, env=_ENV)
    if proc.returncode != 0:
        raise RenderError(label, _clean(proc.stderr, overlay) or f"exit {proc.returncode}")
    return parse(proc.stdout, label, strict=False)


def _clean(stderr: str, overlay: Path) -> str:
    """kustomize's last line, without kubectl's log prefix and without this machine's paths."""
    lines = [ln for ln in stderr.strip().splitlines() if ln.strip()]
    if not lines:
        return ""
    last = lines[-1]
    wrapped = re.search(r'"command failed" err="(.*)"$', last)
    if wrapped:
        last = wrapped.group(1).replace('\\"', '"')
    last = re.sub(r"^Error: ", "", last)
    root = overlay.resolve()
    for folder in (root.parent.parent, *root.parents):
        if (folder / "environments.yaml").exists():
            return last.replace(f"{folder}/", "")
    return last


class Renders:
    """Each folder rendered once, started early, shared by every check that needs it.

        renders = Renders(repo, pool)
        renders.start("overlays/prod")      # returns at once
        docs = renders.get("overlays/prod")  # waits; raises RenderError
    """

    def __init__(self, repo: Path, pool: Executor, known: dict[str, list[dict]] | None = None) -> None:
        self.repo, self._pool = repo, pool
        self._futures: dict[str, Future] = {}
        self._lock = threading.Lock()
        for rel, docs in (known or {}).items():
            self._futures[rel] = done = Future()
            done.set_result(docs)

    def start(self, rel: str) -> Future:
        with self._lock:
            if rel not in self._futures:
                self._futures[rel] = self._pool.submit(render, self.repo / rel, rel)
            return self._futures[rel]

    def get(self, rel: str) -> list[dict]:
        return self.start(rel).result()


def render_all(repo: Path, overlays: list[str]) -> dict[str, list[dict] | RenderError]:
    """Each overlay (relative to repo) -> its documents, or the RenderError it raised."""

    def one(rel: str) -> list[dict] | RenderError:
        try:
            return render(repo / rel, rel)
        except RenderError as exc:
            return exc

    with ThreadPoolExecutor(max_workers=max(1, min(len(overlays), 8))) as pool:
        return dict(zip(overlays, pool.map(one, overlays)))


def object_id(doc: dict) -> str:
    """Kind/namespace/name, or Kind/name for cluster-scoped objects."""
    meta = doc.get("metadata") or {}
    parts = [doc.get("kind", "?"), meta.get("namespace"), meta.get("name", "?")]
    return "/".join(p for p in parts if p)
