"""Render Kustomize overlays with the real kustomize, in parallel.

    docs = render(repo / "overlays/prod")          # list of dicts
    rendered = render_all(repo, ["overlays/dev", "overlays/prod"])

kustomize runs only on local inputs (render_inputs.py), within a time, memory and output bound;
meeting one is a RenderError that names it.
"""
from __future__ import annotations

import functools
import hashlib
import json
import re
import shutil
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import yaml

from fks_gitops import kustomize_errors, render_inputs, resultcache, runcache, yamldepth, yamlload
from fks_gitops.errors import GitOpsError, Refused
from fks_gitops.problem import Location, Problem
from fks_gitops.sourcemap import SourceMap
from fks_gitops.proc import RENDER_MEMORY, RENDER_TIMEOUT, LimitExceeded, render_env, run

MAX_OUTPUT = 128 << 20  # characters: 25,000 ordinary objects print about 40 MiB
HOW_TO_GET = "run `make setup`, or install kustomize >= 5 or kubectl >= 1.27"
_ENV = render_env()


@dataclass(frozen=True)
class Renderer:
    argv: tuple[str, ...]  # prefix; the overlay folder is appended
    version: str


class RenderError(Refused):
    def __init__(self, overlay: str, message: str, location: Location | None = None, rule: str = "render",
                 refused: Sequence[Problem] = ()) -> None:
        super().__init__(f"{overlay}: kustomize failed: {message}")
        self.overlay, self.detail, self.rule, self.refused = overlay, message, rule, list(refused)
        self.location = location or Location(f"{overlay}/kustomization.yaml")

    def problem(self) -> Problem:
        """How a report shows it: kustomize's whole message, at the file it names."""
        return Problem(self.rule, "error", f"kustomize failed: {self.detail}", location=self.location)

    def problems(self) -> list[Problem]:
        """The inputs refused before kustomize ran, each at its line; else the one problem."""
        return self.refused or [self.problem()]


def _major(version: str) -> int:
    match = re.search(r"v?(\d+)\.", version)
    return int(match.group(1)) if match else 0


@functools.cache
def renderer() -> Renderer:
    """kustomize on PATH, else kubectl's embedded kustomize (PATH, then this virtualenv)."""
    kustomize = shutil.which("kustomize")
    if kustomize:
        version = version_output([kustomize, "version"], check=True).strip()
        if _major(version) >= 5:
            return Renderer((kustomize, "build"), version)
    venv_bin = str(Path(sys.prefix) / "bin")
    for kubectl in filter(None, (shutil.which("kubectl"), shutil.which("kubectl", path=venv_bin))):
        out = version_output([kubectl, "version", "--client"])
        match = re.search(r"Kustomize Version:\s*(\S+)", out)
        if match and _major(match.group(1)) >= 5:
            return Renderer((kubectl, "kustomize"), match.group(1))
    raise GitOpsError(f"no kustomize >= 5 found; {HOW_TO_GET}")


def version_output(argv: list[str], check: bool = False) -> str:
    """The output of a version query (`kubectl version --client`), remembered per binary
    (resultcache.binary_identity: an upgrade asks again): kubectl takes 60 ms to answer, on
    every run, before any render can start. A failed query is not remembered."""
    key = resultcache.digest("version", resultcache.binary_identity(argv[0]), *argv[1:])
    out = resultcache.read(f"version-{key}")
    if out is None:
        done = run(argv, check=check)
        out = done.stdout
        if done.returncode == 0:
            resultcache.write(f"version-{key}", out)
    return out


def parse(text: str, where: str, strict: bool = True) -> list[dict]:
    """The non-empty documents of `text`. A file from the repository is read strictly (a key
    twice is an error); kustomize's output is not: kustomize wrote it, and it is large."""
    if strict:
        return yamlload.load_all(text, where)
    try:
        return [d for d in yaml.load_all(text, Loader=yamldepth.CSafeLoader) if d]
    except yaml.YAMLError as exc:
        raise GitOpsError(f"{where}: not valid YAML: {str(exc).splitlines()[0]}") from None


_MARKER = re.compile(r"^---[ \t]*\n", re.MULTILINE)  # a line that is a document marker alone


def parse_output(text: str, where: str) -> list[dict]:
    """kustomize's output, as parse(strict=False) reads it, each document parsed once for all
    runs: a one-line change re-renders an overlay whose other documents print as before, and
    reading a document back from JSON is about twenty times faster than parsing its YAML.
    The output splits at its `---` lines (a document marker alone on its line, never inside a
    scalar by the YAML spec); a part is kept by the digest of its text, with the documents it
    parses to, only when JSON holds them as they are (no timestamp, binary or non-string key).
    The last render of `where` is what is kept; a part that does not parse takes parse()'s way,
    for its message."""
    name = f"documents-{resultcache.digest('documents', where)}.json"
    try:
        known = json.loads(resultcache.read(name) or "{}")
    except ValueError:
        known = {}  # a damaged entry is a miss
    if not isinstance(known, dict):
        known = {}
    docs: list[dict] = []
    kept: dict[str, str] = {}
    for part in _MARKER.split(text):
        key = hashlib.sha256(part.encode()).hexdigest()
        found = _kept(known.get(key))  # each use its own objects: a check may change them
        if found is not None:
            docs += found
            kept[key] = known[key]
            continue
        try:
            parsed = [d for d in yaml.load_all(part, Loader=yamldepth.CSafeLoader) if d]
        except yaml.YAMLError:
            return parse(text, where, strict=False)
        docs += parsed
        try:
            encoded = json.dumps(parsed)
            if json.loads(encoded) == parsed:
                kept[key] = encoded
        except (TypeError, ValueError):
            pass
    if kept != known:
        resultcache.write(name, json.dumps(kept))
    return docs


def _kept(entry: object) -> list | None:
    """A kept part's documents, None when the entry is damaged (a miss)."""
    try:
        found = json.loads(entry) if isinstance(entry, str) else None
    except ValueError:
        return None
    return found if isinstance(found, list) and all(isinstance(d, dict) for d in found) else None


def render(overlay: Path, label: str | None = None) -> list[dict]:
    return render_mapped(overlay, label)[0]


def render_mapped(overlay: Path, label: str | None = None, files: set[str] | None = None, checked: bool = False,
                  starting: Callable[[], None] | None = None) -> tuple[list[dict], SourceMap]:
    """The overlay's documents as Argo CD renders them, and the map of where each came from
    (read from the kustomizations, only when a problem asks: sourcemap.py). `files`: what git
    holds (render_inputs.py); without it only remote and escaping inputs are refused. `checked`:
    the caller found no refused input with these `files` already; `starting`: called as
    kustomize starts."""
    label = label or str(overlay)
    if not (overlay / "kustomization.yaml").is_file():
        raise RenderError(label, "no kustomization.yaml in this folder", Location(f"{label}/kustomization.yaml"))
    root = _root(overlay, label)
    top = root if root != overlay.absolute() else _top(overlay.absolute())
    folder = overlay.absolute().relative_to(top).as_posix()
    refused = [] if checked else render_inputs.refused(top, "" if folder == "." else folder, files)
    if refused:
        raise RenderError(label, f"not run: {refused[0].location} is refused ({refused[0].rule})", refused=refused)
    if starting:
        starting()
    argv = [*renderer().argv, str(overlay)]
    try:
        started = runcache.adopt(argv)  # started before validate loaded (runcache.Probe.prestart)
        if started:
            proc = started.wait(RENDER_TIMEOUT)
        else:
            proc = run(argv, check=False, env=_ENV, timeout=RENDER_TIMEOUT, memory=RENDER_MEMORY)
    except LimitExceeded as exc:
        raise RenderError(label, f"stopped at its {exc.limit}; an input expands without bound "
                                 "(YAML aliases nested in aliases?) or the folder is too large", rule="render.limit") from None
    if proc.returncode != 0:
        message = kustomize_errors.clean(proc.stderr, root) or f"kustomize exited with {proc.returncode}"
        raise RenderError(label, message, kustomize_errors.where(message, root, label))
    if len(proc.stdout) > MAX_OUTPUT:
        raise RenderError(label, f"printed {len(proc.stdout) >> 20} MiB, over the {MAX_OUTPUT >> 20} MiB limit "
                                 "of one render", rule="render.limit")
    docs = parse_output(proc.stdout, label) if resultcache.enabled() else parse(proc.stdout, label, strict=False)
    return docs, SourceMap(root, label, docs)


def _root(overlay: Path, label: str) -> Path:
    """The repository holding `overlay` (`label` is its path there, like overlays/prod)."""
    parts = Path(label).parts
    base = overlay.absolute()
    if not Path(label).is_absolute() and tuple(base.parts[-len(parts):]) == parts:
        return Path(*base.parts[: -len(parts)])
    return base


def _top(folder: Path) -> Path:
    """Without a repository-relative label: the repository holding `folder` (environments.yaml or
    .git), else the folder itself, so render_inputs knows where `../` may lead."""
    return next((f for f in (folder, *folder.parents) if (f / "environments.yaml").is_file() or (f / ".git").exists()), folder)


class Renders:
    """Each folder rendered once, started early, shared by every check that needs it.

        renders = Renders(repo, pool)
        renders.start("overlays/prod")      # returns at once
        docs = renders.get("overlays/prod")  # waits; raises RenderError
    """

    def __init__(self, repo: Path, pool: Executor, known: dict[str, list[dict]] | None = None,
                 files: Callable[[], set[str]] | None = None,
                 render: Callable[[str, set[str] | None], tuple[list[dict], SourceMap]] | None = None) -> None:
        self.repo, self._pool, self._files, self._render_one = repo, pool, files, render
        self._futures: dict[str, Future] = {}
        self._lock = threading.Lock()
        for rel, docs in (known or {}).items():  # rendered elsewhere: no source map
            self._futures[rel] = done = Future()
            done.set_result((docs, SourceMap(repo, rel, docs)))

    def start(self, rel: str) -> Future:
        """A future of (documents, source map)."""
        with self._lock:
            if rel not in self._futures:
                self._futures[rel] = self._pool.submit(self._render, rel)
            return self._futures[rel]

    def _render(self, rel: str) -> tuple[list[dict], SourceMap]:
        files = self._files() if self._files else None
        if self._render_one:  # envcache's, for the environments
            return self._render_one(rel, files)
        return render_mapped(self.repo / rel, rel, files=files)

    def get(self, rel: str) -> list[dict]:
        return self.start(rel).result()[0]

    def sources(self, rel: str) -> SourceMap:
        return self.start(rel).result()[1]


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
