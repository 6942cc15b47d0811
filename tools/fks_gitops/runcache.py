"""A whole `validate.py` run remembered, read before validate loads anything else.

    probe = runcache.Probe.take(repo, envs, schema_locations)  # digests what any key reads
    report = probe.report()        # the last run's report when none of it changed, else None
    probe.prestart()               # else: start kustomize now for each overlay that must render
    ...validate...
    probe.record(report, envcache.CHECK_INPUTS)  # keep it for the next (only a complete, stable one)

envcache's keys need its modules, OPA's and the checks' imports and a walk of every
kustomization: about 0.15 s before the first render can start. A record keeps, from the last run
with these arguments, the content digest of every file any key read (Contents), what git lists,
the refs, the check code, the checkers' binaries, the environment variables a check reads and
the UTC day: a superset of every key's inputs (envcache.py). When all of them are unchanged,
every key is unchanged, and the report is the one that run printed. When some are not, each
overlay whose render or checks read one of them will not be reused: its kustomize starts at
once, beside validate's imports, and render.render_mapped adopts it (proc.Started). It starts
only when none of the overlay's kustomizations changed, each input that changed is still a
plain file, and the last run refused none of its inputs: kustomize then reads the files
render_inputs allowed the last time, and no new one.
Anything the record cannot vouch for (no record, another git file list, a changed
kustomization) takes the ordinary way. A report holding a clocked finding (envcache.UNSTABLE)
is never kept, nor one where a render failed. Content decides, never a file's time; FKS_GITOPS_NO_CACHE=1 turns it off.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from fks_gitops import proc, resultcache

VERSION = "1"
CODE = Path(__file__).resolve().parent  # tools/fks_gitops: the check code
KUSTOMIZATIONS = ("kustomization.yaml", "kustomization.yml", "Kustomization")  # render_inputs.NAMES: what kustomize reads
# Read by a check or by how validate finds its binaries: a change is a miss.
ENVIRON = ("CI", "GITHUB_BASE_REF", "PATH", "HOME")
ENVIRON_PREFIXES = ("FKS_", "GIT_")
# Set by git around a hook, per run or per process, and read by no check: a pre-commit hook's
# GIT_INDEX_FILE names a temporary index for a partial commit (what it lists, git ls-files says).
ENVIRON_VOLATILE = ("GIT_INDEX_FILE", "GIT_EDITOR", "GIT_SEQUENCE_EDITOR", "GIT_PAGER", "GIT_EXEC_PATH", "GIT_PREFIX",
                    "GIT_REFLOG_ACTION")
# A result holding one of these is never remembered (here, and in envcache's entries): a finding
# that depends on the clock (a commit dated in the future stops being so; one that is not never
# becomes so), a verification the audit could not ask Prometheus about, and a check that failed.
UNSTABLE = ("promotions.future-dated", "promotions.verify-not-replayed", "validate.check-failed")
GIT_TIMEOUT = 30  # seconds
UNREAD = "unread"  # a file git lists that no key read this run: no digest matches it, so the record cannot vouch for it
_started: dict[str, proc.Started] = {}  # overlay folder -> its kustomize, started by prestart()


def content(path: str) -> str:
    """What envcache.Contents records for a path: sha256 of what it reads ("-": nothing), a
    symlink's marked as one."""
    try:
        with open(path, "rb") as f:
            found = hashlib.sha256(f.read()).hexdigest()
    except OSError:
        found = "-"
    return ("link:" if os.path.islink(path) else "") + found


def _identity(path: str | None) -> str:
    return resultcache.binary_identity(path) if path else "-"


def _binaries() -> list[str]:
    """Every binary a run may pick: kustomize and kubectl (PATH, then this Python's bin), the
    checkers (.venv/bin first), conftest."""
    venv_bin = str(Path(sys.prefix) / "bin")
    found = [shutil.which("kustomize"), shutil.which("kubectl"), shutil.which("kubectl", path=venv_bin), shutil.which("conftest")]
    found += [shutil.which(name, path=str(proc.BIN)) or shutil.which(name) for name in ("promtool", "amtool")]
    return [_identity(p) for p in found]


@functools.cache
def code() -> str:
    """The check code and the command lines beside it (tools/*.py), read once per process:
    every key holds it (envcache.code)."""
    files = [*sorted(CODE.rglob("*.py")), *sorted(CODE.parent.glob("*.py"))]
    return resultcache.digest(*(f"{p.relative_to(CODE.parent)}\0{content(str(p))}" for p in files))


def _git(repo: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, timeout=GIT_TIMEOUT,
                              env={**os.environ, "GIT_TERMINAL_PROMPT": "0"})
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


_early: list[Probe] = []  # the probe early() took, until validate asks for it
# validate.py's options a probe reads (their attribute), and those it does not; any other
# argument (--diff, --help, an abbreviation, `--`) leaves the probe to the ordinary way.
_OPTIONS = {"--env": "env", "--schema-location": "schema_location", "--repo": "repo",
            "--format": None, "--output": None, "--sarif": None}


def early(argv: list[str]) -> None:
    """Take validate.py's probe before its other imports, and start kustomize for what changed
    (prestart): about 15 ms sooner. Only for plain options, and never an error: whatever this
    cannot read, validate's own argument parsing and probe decide (Probe.early)."""
    asked: dict[str, list[str]] = {"env": [], "schema_location": [], "repo": []}
    args = list(argv)
    while args:
        name, _, value = args.pop(0).partition("=")
        if name not in _OPTIONS or (not value and (not args or args[0].startswith("-"))):
            return
        value = value or args.pop(0)
        if _OPTIONS[name]:
            asked[_OPTIONS[name]].append(value)
    if len(asked["repo"]) > 1:
        return
    try:
        from fks_gitops.cli import find_repo  # noqa: PLC0415

        repo = find_repo(Path(asked["repo"][0]) if asked["repo"] else None)
        probe = Probe.take(repo, asked["env"] or None, asked["schema_location"])
        if probe is not None and probe.report() is None:
            probe.prestart()
    except Exception:  # noqa: BLE001 - the ordinary way reports it
        abandon()
        return
    if probe is not None:
        _early.append(probe)


class Probe:
    """What the last run's record says against the repository as it is now."""

    def __init__(self, repo: Path, name: str, scalars: str, files: list[str] | None, git: str | None,
                 record: dict | None, asked: tuple = (), top: Path | None = None) -> None:
        self.repo, self.name, self.scalars, self.files, self.git, self.last = repo, name, scalars, files, git, record
        self.asked, self.top = asked, top  # (repo, envs, schema locations) as take() was called; git's top level
        self._digests: dict[str, str] = {}
        self._answer: tuple[dict | None] | None = None  # report()'s, once worked out
        self._prestarted: list[str] | None = None  # prestart()'s, once done

    @classmethod
    def early(cls, repo: Path, envs: list[str] | None, schema_locations: list[str]) -> Probe | None:
        """The probe early() took for exactly these arguments, else None (and any kustomize it
        started is stopped)."""
        probe = _early.pop() if _early else None
        if probe is not None and probe.asked == (repo, envs or None, list(schema_locations)):
            return probe
        abandon()
        return None

    @classmethod
    def take(cls, repo: Path, envs: list[str] | None, schema_locations: list[str]) -> Probe | None:
        """None when the cache is off."""
        if not resultcache.enabled():
            return None
        locations = [f"{p}\0{folder_digest(Path(p))}" for p in schema_locations]
        name = resultcache.digest("run", VERSION, str(repo.resolve()), *(envs or ["*"]), "\0", *locations)
        environ = sorted(f"{k}={v}" for k, v in os.environ.items()
                         if (k in ENVIRON or k.startswith(ENVIRON_PREFIXES)) and k not in ENVIRON_VOLATILE)
        day = dt.datetime.now(dt.timezone.utc).date().isoformat()
        scalars = resultcache.digest(day, sys.executable, sys.version, code(), *_binaries(), *environ)
        listed = _git(repo, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
        refs = _git(repo, "show-ref", "--head")
        where = (_git(repo, "rev-parse", "--show-toplevel", "--git-path", "shallow") or "").splitlines()
        files = sorted(set(filter(None, listed.split("\0")))) if listed is not None else None
        git, top = None, Path(where[0]) if len(where) == 2 else None
        if refs is not None and top is not None:
            git = history(repo, refs, where[1])
        try:
            record = json.loads(resultcache.read(f"run-{name}.json") or "null")
        except ValueError:
            record = None  # a damaged record is none
        return cls(repo, name, scalars, files, git, record if isinstance(record, dict) else None,
                   (repo, envs or None, list(schema_locations)), top)

    def seen(self) -> Seen | None:
        """What this probe read, for validate to use instead of reading it again: git's file list
        and history digest (only where the repository is git's top level, as repo_git's are)
        and each file's digest."""
        if self.files is None or self.git is None or self.top is None or self.top.resolve() != self.repo.resolve():
            return None
        return Seen(list(self.files), self.git, dict(self._digests))

    def digest(self, rel: str) -> str:
        if rel not in self._digests:
            self._digests[rel] = content(str(self.repo / rel))
        return self._digests[rel]

    def _same(self, digests: dict[str, str]) -> bool:
        return all(self.digest(rel) == d for rel, d in digests.items())

    def _files_same(self) -> bool:
        last = self.last or {}
        return self.files is not None and resultcache.digest(*self.files) == last.get("files")

    def report(self) -> dict | None:
        """The last run's report (Report's fields, problems as dicts) when nothing it read changed."""
        if self._answer is None:
            self._answer = (self._remembered(),)
        return self._answer[0]

    def _remembered(self) -> dict | None:
        last = self.last
        if not last or self.git is None or not self._files_same():
            return None
        if last.get("scalars") != self.scalars or last.get("git") != self.git:
            return None
        if sorted(globbed(self.repo, last.get("globs") or [])) != last.get("globbed"):
            return None
        return last["report"] if self._same(last.get("read") or {}) else None

    def prestart(self) -> list[str]:
        """Start kustomize for each overlay the last run rendered cleanly whose key will change
        while its kustomizations did not; the overlays started."""
        last = self.last
        if self._prestarted is not None:
            return self._prestarted  # once: early() may have done it
        started: list[str] = []
        self._prestarted = started
        if not last or not self._files_same() or last.get("renderer_binary") != _identity(_which(last.get("renderer") or [])):
            return []
        for overlay, info in (last.get("overlays") or {}).items():  # each rendered with no refused input
            if not self._same(info.get("kustomizations") or {}):
                continue
            changed = [self.digest(rel) for rel, d in (info.get("inputs") or {}).items() if self.digest(rel) != d]
            if last.get("scalars") == self.scalars and not changed:
                continue  # its key is the same: reused
            if any(d == "-" or d.startswith("link:") for d in changed):
                continue  # gone, a folder or a symlink now: render_inputs says first where it leads
            folder = str(self.repo / overlay)
            try:
                _started[folder] = proc.Started([*last["renderer"], folder], env=proc.render_env(), memory=proc.RENDER_MEMORY)
            except proc.ToolFailed:
                continue  # the render reports it
            started.append(overlay)
        return started

    def record(self, report, globs: list[str]) -> None:
        """Keep this run (report.Report) for the next: its `read`, every path any key hashed and
        its digest as first read (never a digest taken after the run: each must still hold, or
        nothing is kept); its `reached`, each cleanly rendered overlay's key inputs; `globs`,
        envcache.CHECK_INPUTS."""
        if self.files is None or self.git is None or any(p.rule in UNSTABLE for p in report.problems):
            return
        if any(p.rule.startswith("render") for p in report.problems):
            return  # a render that failed (or met a time or memory bound) is tried again, as envcache does
        read, overlays = report.read, {}
        if any(content(str(self.repo / rel)) != d for rel, d in read.items()):
            return  # a file changed while the run read it: its report is not that content's
        from dataclasses import asdict  # noqa: PLC0415 - only a run that checked something records

        for overlay, inputs in report.reached.items():
            digests = {rel: read.get(rel, UNREAD) for rel in inputs}
            overlays[overlay] = {"inputs": digests, "kustomizations": {
                rel: d for rel, d in digests.items() if rel.rsplit("/", 1)[-1] in KUSTOMIZATIONS}}
        renderer = list(report.renderer_argv)
        data = {
            "scalars": self.scalars, "git": self.git, "files": resultcache.digest(*self.files),
            "globs": list(globs), "globbed": sorted(globbed(self.repo, globs)),
            "read": {**{rel: UNREAD for rel in self.files if rel not in read}, **read},
            "overlays": overlays, "renderer": renderer, "renderer_binary": _identity(_which(renderer)),
            "report": {"environments": report.environments, "objects": report.objects, "renderer": report.renderer,
                       "notes": report.notes, "policy_engine": report.policy_engine,
                       "problems": [asdict(p) for p in report.problems]},
        }
        resultcache.write(f"run-{self.name}.json", json.dumps(data))


class Seen:
    """A probe's reading of the repository (Probe.seen), handed to validate."""

    __slots__ = ("files", "git", "digests")

    def __init__(self, files: list[str], git: str, digests: dict[str, str]) -> None:
        self.files, self.git, self.digests = files, git, digests


def history(top: Path, refs: str, shallow: str) -> str:
    """The digest of the history a check can read (envcache.git_digest): `refs`, git show-ref
    --head's output; `shallow`, git rev-parse --git-path shallow's (the boundary of a shallow
    clone); and .mailmap, which names the authors git log prints."""
    return resultcache.digest(refs, content(str(top / shallow)), content(str(top / ".mailmap")))


def adopt(argv: list[str]) -> proc.Started | None:
    """The kustomize prestart() started with exactly this command line, if any."""
    started = _started.get(argv[-1])
    if started is not None and started.argv == list(argv):
        return _started.pop(argv[-1])
    return None


def discard(folder: str) -> None:
    """This overlay's render is not needed (its key was found): stop its kustomize."""
    started = _started.pop(folder, None)
    if started is not None:
        started.kill()


def abandon() -> None:
    """Stop every kustomize no render adopted (validate is done, or failed)."""
    for folder in list(_started):
        discard(folder)


def _which(renderer: list[str]) -> str | None:
    return renderer[0] if renderer and os.path.isfile(renderer[0]) else None


def globbed(repo: Path, patterns) -> list[str]:
    """The files each pattern names, and those under the folders it names (envcache.CHECK_INPUTS:
    a new file under certs/ or schemas/ is a change)."""
    found = []
    for pattern in patterns:
        for top in repo.glob(pattern):
            paths = [p for p in top.rglob("*") if p.is_file()] if top.is_dir() else [top]
            found += [p.relative_to(repo).as_posix() for p in paths]
    return found


def folder_digest(folder: Path) -> str:
    """The contents of every file under `folder` (validate's --schema-location)."""
    return resultcache.digest(*(f"{p.relative_to(folder)}\0{content(str(p))}" for p in sorted(folder.rglob("*")) if p.is_file()))
