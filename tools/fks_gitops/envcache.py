"""One environment's render and problems, remembered between runs: an unchanged environment
reuses both; a whole-repository check reuses its problems while neither git's history nor the
files it reads changed (Run.whole: every file git holds or would add, unless the registry names
the check's inputs). FKS_GITOPS_NO_CACHE=1 turns it off.

    run = envcache.Run(repo, ["overlays/dev"], renderer.version)
    renders = render.Renders(repo, pool, render=run.render)   # an unchanged overlay: no kustomize
    run.reused                          # overlay -> its problems from the run that checked it
    run.store("overlays/dev", problems) # after checking a fresh render

The key is content, and the UTC day for the checks that read the clock (today()): every file the render reads (render_inputs.reached:
kustomizations, resources, patches, generator sources, components), the files the per-environment
checks read beside the render (CHECK_INPUTS), the kustomize version, the checkers' binaries and
pinned packages, and the check code (tools/fks_gitops/**/*.py and policy/). Kept beside
resultcache's passes, in the same folder.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml

from fks_gitops import render, render_inputs, resultcache, runcache
from fks_gitops.errors import GitOpsError
from fks_gitops.problem import Problem, from_dict
from fks_gitops.sourcemap import SourceMap

CODE = Path(__file__).resolve().parent  # tools/fks_gitops
# What per-environment checks read besides the render: the environments, secrets and
# certificates, schemas, promtool's unit tests, the baseline, the pinned packages.
CHECK_INPUTS = ("environments.yaml", "secrets.template.yaml", ".secrets.baseline", "requirements.lock",
                "requirements-opa.lock", "certs", "schemas", "policy", "base/*/tests")
BINARIES = ("promtool", "amtool")
UNSTABLE = runcache.UNSTABLE  # results never remembered


class Run:
    """One validate run's use of the cache, for the overlays of its environments."""

    def __init__(self, repo: Path, overlays: Sequence[str], renderer: str, extra: Sequence[str] = (),
                 contents: Contents | None = None, git: str | None = None) -> None:
        """`git`: git_digest's answer when the caller has it (runcache's probe)."""
        self.repo, self.renderer, self.extra, self._overlays = repo, renderer, tuple(extra), set(overlays)
        self.reused: dict[str, list[Problem]] = {}
        self._fresh: dict[str, tuple[str, str]] = {}  # overlay -> (key, its documents encoded)
        self._decided = {rel: threading.Event() for rel in overlays}
        self._launched = {rel: threading.Event() for rel in overlays}  # reused, or kustomize started (or failed)
        self._lock, self._git, self._tree = threading.Lock(), git, None  # git's and every file's digest, once a run
        self._contents = contents or Contents(repo)  # each file hashed once a run
        self._whole: dict[str, Whole] = {}  # check ID -> its entry
        self.inputs: dict[str, list[str]] = {}  # overlay -> its key's files, when render_inputs refused none

    def render(self, rel: str, files: frozenset[str] | None) -> tuple[list[dict], SourceMap]:
        """render.Renders' render: the remembered output of an unchanged folder, else kustomize's
        (any folder: Argo CD's application paths too; only the environments' come with problems)."""
        launched = self._launched.get(rel, threading.Event())
        try:
            inputs = render_inputs.reached(self.repo, rel, files) if resultcache.enabled() else None
            if inputs and not inputs[0] and rel in self._overlays:
                self.inputs[rel] = sorted(inputs[1] | self._contents.check_inputs())
            try:
                k = key(self.repo, rel, files, self.renderer, self.extra, self._contents, inputs)
                hit = load(k)
                if hit:
                    runcache.discard(str(self.repo / rel))  # a kustomize started early is not needed
                    docs = hit[0]
                    if rel in self._overlays:
                        self.reused[rel] = hit[1]
                    return docs, SourceMap(self.repo, rel, docs)
            finally:
                if rel in self._decided:
                    self._decided[rel].set()
            docs, sources = render.render_mapped(self.repo / rel, rel, files=files, checked=bool(inputs and not inputs[0]),
                                                 starting=launched.set)
        finally:
            launched.set()
        if k and rel in self._overlays:
            self._fresh[rel] = (k, _encode(docs))  # now: a check may change the documents
        elif k and self._contents.still(inputs[1]):  # else an input changed while kustomize read it
            store(k, _encode(docs), [])
        return docs, sources

    def launched(self, renders: dict[str, Future]) -> None:
        """Waits until each overlay is reused or its kustomize has started, or its render (overlay
        -> future) is done, failed before it reached this cache too: the checks that can start at
        once wait that long, so the renders that decide when the run ends go first."""
        for rel, event in self._launched.items():
            if rel in renders:
                renders[rel].add_done_callback(lambda _, event=event: event.set())
                event.wait()

    def close(self) -> None:
        """No lookup is coming (validate is done, or failed): fresh() and launched() wait no longer."""
        for event in (*self._decided.values(), *self._launched.values()):
            event.set()

    def fresh(self) -> bool:
        """Whether any overlay is checked this run (waits until each is looked up): warm-ups pay only then."""
        for decided in self._decided.values():
            decided.wait()
        return len(self.reused) < len(self._decided)

    def store(self, rel: str, problems: list[Problem]) -> None:
        """Keep an environment's render and problems under its key, only when every file the key
        names (what kustomize read, the checks' inputs) still reads as when it was hashed: a file
        changed during the run would keep results under a key they do not belong to."""
        if rel in self._fresh and self._contents.still(self.inputs[rel]):
            k, docs = self._fresh[rel]
            store(k, docs, problems)

    def whole(self, check, ctx) -> Whole:
        """A whole-repository check's entry (checks/registry.py's Check): its problems when nothing
        it can read changed; that is every file unless `check.reads` names the files it reads, and
        the environment variables `check.environ` names."""
        if not resultcache.enabled():
            return Whole(None, None)
        with self._lock:  # looked up once a run: validate asks first whether the extra renders pay
            if check.ID not in self._whole:
                if self._git is None:
                    self._git = git_digest(ctx)
                if self._tree is None and check.reads is None:
                    self._tree = files_digest(ctx.config.repo, ctx.files(), self._contents)
                read = self._tree if check.reads is None else files_digest(ctx.config.repo, check.reads(ctx), self._contents)
                environ = [f"{name}={os.environ.get(name, '')}" for name in check.environ]
                k = resultcache.digest("repository", check.ID, today(), self.renderer, code(), _binaries(),
                                       *self.extra, *ctx.selected, *environ, self._git, read)
                hit = load(k)
                self._whole[check.ID] = Whole(k, hit[1] if hit else None)
            return self._whole[check.ID]


    def per_object(self, check, ctx, run_one: Callable[[dict], list[Problem]]) -> list[Problem] | None:
        """A per-object check's problems (registry's Check.per_object), `run_one` run only on the
        objects no run of this check code has seen with these inputs; None when the check is
        not one, or the cache is off."""
        if not check.per_object or not resultcache.enabled():
            return None
        name = "objects-" + resultcache.digest("per-object", check.ID, ctx.env.overlay, today(), self.renderer, code(),
                                                _binaries(), *self.extra, *self._check_inputs()) + ".json"
        try:
            known = json.loads(resultcache.read(name) or "{}")
        except ValueError:
            known = {}  # a damaged entry is a miss
        found, seen, fresh = [], {}, False
        for doc in ctx.docs:
            d = resultcache.digest(json.dumps(doc, sort_keys=True, default=repr))
            if d not in seen:
                seen[d] = _problems(known.get(d))
                if seen[d] is None:
                    seen[d], fresh = run_one(doc), True
            found += seen[d]
        if fresh:
            kept = {d: [asdict(p) for p in ps] for d, ps in seen.items() if not any(p.rule in UNSTABLE for p in ps)}
            resultcache.write(name, json.dumps(kept))
        return found

    def _check_inputs(self) -> list[str]:
        return [f"{rel}\0{self._contents(rel)}" for rel in sorted(self._contents.check_inputs())]

    def objects(self, check, ctx) -> Whole:
        """An environment check's entry when the check names the kinds it reads (registry's
        Check.kinds): keyed like the environment, but by those objects of the render instead of
        the files kustomize read."""
        if not check.kinds or not resultcache.enabled():
            return Whole(None, None)
        docs = [d for d in ctx.docs if d.get("kind") in check.kinds]
        k = resultcache.digest("objects", check.ID, ctx.env.overlay, today(), self.renderer, code(), _binaries(),
                               *self.extra, *self._check_inputs(), json.dumps(docs, sort_keys=True, default=repr))
        hit = load(k)
        return Whole(k, hit[1] if hit else None)


@dataclass(frozen=True)
class Whole:
    key: str | None
    problems: list[Problem] | None  # None: not remembered

    def store(self, problems: list[Problem]) -> None:
        if self.key and not any(p.rule in UNSTABLE for p in problems):
            store(self.key, json.dumps({"docs": []}), problems)


def git_digest(ctx) -> str:
    """The history a whole-repository check can read (the audit, the secret scan): every ref and
    HEAD, a shallow clone's boundary, and .mailmap, which names the authors git log prints."""
    git = ctx.git
    refs = git.run("show-ref", "--head", check=False).stdout
    return runcache.history(Path(git.top), refs, git.out("rev-parse", "--git-path", "shallow").strip())


class Contents:
    """Each file's content digest, and its bytes, read once a run (a file edited during the run is
    judged as first read): the keys share environments.yaml and the bases, and the file scans ask
    for the digest first and read the bytes only when it is not remembered clean (FileScan).

        contents = envcache.contents(ctx)    # the run's, shared by every check (RepoContext)
        contents("base/x.yaml")              # sha256 hex of what the path reads, "-" when it reads nothing
        contents.data("base/x.yaml")         # bytes; None for a symlink or anything but a file
    """

    KEEP = 1 << 20  # bytes kept for the next reader, per file: larger files are read again

    def __init__(self, repo: Path, digests: dict[str, str] | None = None) -> None:
        """`digests`: what runcache's probe read moments before (runcache.content's)."""
        self.repo, self._digests, self._data, self._inputs = repo, dict(digests or {}), {}, None
        self._moved: set[str] = set()  # read with other bytes than its digest says

    def __call__(self, rel: str) -> str:
        found = self._digests.get(rel)
        if found is None:  # a symlink's differs from its target's: the scans skip symlinks
            found = self._digests[rel] = runcache.content(str(self.repo / rel))
        return found

    def data(self, rel: str) -> bytes | None:
        if rel in self._data:
            return self._data[rel]
        path = self.repo / rel
        try:
            data = None if path.is_symlink() or not path.is_file() else path.read_bytes()
        except OSError:
            data = None
        actual = hashlib.sha256(data).hexdigest() if data is not None else runcache.content(str(path))
        if self._digests.setdefault(rel, actual) != actual:
            self._moved.add(rel)
        if data is None or len(data) <= self.KEEP:
            self._data[rel] = data
        return data

    def unchanged(self, rel: str) -> bool:
        """Whether the bytes data() gave are those its digest names: a scan remembers a clean
        file by that digest only then (an edit between the two reads is scanned again next run)."""
        return rel not in self._moved

    def still(self, paths) -> bool:
        """Whether each of `paths` reads as its digest says, now (after kustomize read them)."""
        return all(runcache.content(str(self.repo / rel)) == self(rel) for rel in paths)

    def check_inputs(self) -> set[str]:
        if self._inputs is None:
            self._inputs = set(runcache.globbed(self.repo, CHECK_INPUTS))
        return self._inputs

    def digests(self) -> dict[str, str]:
        """Every path hashed so far and its digest as first read (runcache's record)."""
        return dict(self._digests)


def contents(ctx) -> Contents:
    """The run's Contents (a RepoContext's session; validate shares it with the cache's keys)."""
    return ctx.session.once("contents", lambda: Contents(ctx.config.repo))


def files_digest(repo: Path, files, contents: Contents | None = None) -> str:
    """The content of each of `files` (every file git holds or would add, for a check that does
    not say what it reads)."""
    contents = contents or Contents(repo)
    return resultcache.digest(*(f"{rel}\0{contents(rel)}" for rel in sorted(set(files))))


def key(repo: Path, overlay: str, files: frozenset[str] | None, renderer: str, extra: Sequence[str] = (),
        contents: Contents | None = None, reached: tuple[list, frozenset[str]] | None = None) -> str | None:
    """The digest of everything `overlay`'s render and checks depend on; None when the cache is off
    or render_inputs refuses an input (the render reports it). `reached`: render_inputs.reached's
    answer for these `files`, when the caller has it."""
    if not resultcache.enabled():
        return None
    problems, read = reached or render_inputs.reached(repo, overlay, files)
    if problems:
        return None
    contents = contents or Contents(repo)
    return resultcache.digest("environment", overlay, today(), renderer, code(), _binaries(), *extra,
                              *(f"{rel}\0{contents(rel)}" for rel in sorted(read | contents.check_inputs())))


class FileScan:
    """Findings of one kind of scan, file by file: none when a scan of that kind found none in
    this path and content (Contents' digest) with this check code, so a repository-wide scan
    reads and scans only what changed.

        with envcache.FileScan("encoding", contents) as scanned:
            problems += scanned(rel, lambda data: scan(rel, data))
    """

    def __init__(self, kind: str, contents: Contents) -> None:
        self.kind, self._contents, self._passes = kind, contents, resultcache.Passes(f"file {kind}")

    def __call__(self, rel: str, scan: Callable[[bytes | None], list]) -> list:
        k = resultcache.digest("file", self.kind, code(), rel, self._contents(rel))
        if k in self._passes:
            return []
        found = scan(self._contents.data(rel))
        if not found and self._contents.unchanged(rel):
            self._passes.add(k)
        return found

    def __enter__(self) -> FileScan:
        return self

    def __exit__(self, *exc) -> None:
        self._passes.__exit__(*exc)


def today() -> str:
    """The UTC day, an input of every key: two checks read the clock (a certificate's expiry, the
    sync windows' horizon), so their answer is recomputed at least each day. Not an expiry: the
    content decides a hit, and a day's entries stay valid for that day only."""
    return dt.datetime.now(dt.timezone.utc).date().isoformat()


code = runcache.code  # the check code, read once per process


@functools.cache
def _binaries() -> str:
    from fks_gitops.proc import require  # noqa: PLC0415

    parts = []
    for name in BINARIES:
        try:
            parts.append(resultcache.binary_identity(require(name, "")))
        except Exception:  # noqa: BLE001 - a missing checker is its check's to report
            parts.append(f"{name}: none")
    return ",".join(parts)


def _problems(raw: object) -> list[Problem] | None:
    """Problems kept as dicts; None when absent or damaged."""
    try:
        return [from_dict(p) for p in raw] if isinstance(raw, list) else None
    except (KeyError, TypeError):
        return None


def load(key: str | None) -> tuple[list[dict], list[Problem]] | None:
    """(documents, problems) stored under `key`, or None."""
    text = resultcache.read(f"env-{key}.json") if key else None
    if text is None:
        return None
    try:
        data = json.loads(text)
        return load_docs(data), [from_dict(p) for p in data["problems"]]
    except (ValueError, KeyError, TypeError, GitOpsError):
        return None  # a damaged entry is a miss


def load_docs(data: dict) -> list[dict]:
    """The documents of an entry (_encode's, loaded from JSON)."""
    return data["docs"] if "docs" in data else render.parse(data["yaml"], "cache", strict=False)


def _encode(docs: list[dict]) -> str:
    """The documents as JSON, which reads back ten times faster than YAML; a render JSON cannot
    hold as it is (a YAML timestamp, binary or key that is not a string) is kept as YAML."""
    try:
        text = json.dumps({"docs": docs})
        if json.loads(text)["docs"] == docs:
            return text
    except (TypeError, ValueError):
        pass
    return json.dumps({"yaml": yaml.safe_dump_all(docs, sort_keys=False)})


def store(key: str | None, encoded: str, problems: list[Problem]) -> None:
    """`encoded`: _encode's documents."""
    if key:
        data = {**json.loads(encoded), "problems": [asdict(p) for p in problems]}
        resultcache.write(f"env-{key}.json", json.dumps(data))


