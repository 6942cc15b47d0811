#!/usr/bin/env python3
"""What the promotion audit adds to validate, over a 2,000-commit history (a benchmark, not a test).

    .venv/bin/python bench/audit.py                      # 2,000 commits, 5 rounds
    .venv/bin/python bench/audit.py --commits 5000 --rounds 7 --profile

Copies the repository's overlays and bases into a scratch git repository with a bare origin
(promote_repo.copy_real) and writes, with one `git fast-import`, a history like a year of real
life on main: most commits touch unrelated files (README, docs, comments in base/), a few edit an
overlay's other lines, and a few hundred are promotions as tools/promote.py writes them (subject,
`Promoted-From`, `Image`, `Soak` from message.commit_message): dev takes new versions from CI,
staging takes dev's, prod takes staging's after its 24h soak and outside NYSE hours (evenings
and weekends, never an exchange holiday), with two rollbacks and one break-glass. The audit must
find no error on it, else the timings would measure the wrong thing.

Then, interleaved, median and min of --rounds (the result cache off, FKS_GITOPS_NO_CACHE=1):
`tools/validate.py --repo`, in-process `validate(repo)` against `validate(repo, skip=("promotions",))`,
and the audit alone: reading the ledger (git log + cat-file + parsing) and the replay.
The issue's target: the audit adds at most 0.5 s to validate.
"""
from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import os
import pstats
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ["FKS_GITOPS_NO_CACHE"] = "1"  # every round does the whole work
REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "tools"), str(REPO / "tests" / "fixtures" / "promote_lib")]

import holidays  # noqa: E402

from fks_gitops.repo_git import Git
from fks_gitops import environments, validate
from fks_gitops.checks import promotions as audit
from fks_gitops.promote import ledger  # noqa: E402
from fks_gitops.promote.images import Image  # noqa: E402
from fks_gitops.promote.message import commit_message  # noqa: E402
from fks_gitops.promote.plan import Change  # noqa: E402
from fks_gitops.validate import RepoContext  # noqa: E402
from promote_repo import copy_real  # noqa: E402

TARGET = 0.5
UTC = dt.timezone.utc
ENVS = ("dev", "staging", "prod")
IMAGES = {"fks-execution": "ghcr.io/fks-trading/fks-execution", "grafana": "docker.io/grafana/grafana"}
PEOPLE = ["Ana Ruiz <ana@fks.example>", "Ben Okafor <ben@fks.example>", "Chen Wei <chen@fks.example>",
          "Dana Levi <dana@fks.example>"]
CI = "fks-ci <ci@fks.example>"
SOAK = dt.timedelta(hours=24)
SPAN = dt.timedelta(hours=4)  # mean gap between commits: 2,000 commits ~ a year


class Stream:
    """One long-lived `git fast-import`; `sha(mark)` asks it for a commit's id (get-mark)."""

    def __init__(self, repo: Path, parent: str) -> None:
        self.proc = subprocess.Popen(["git", "fast-import", "--quiet", "--date-format=raw", "--done"],
                                     cwd=repo, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.mark, self.parent = 0, parent

    def commit(self, who: str, when: dt.datetime, message: str, files: dict[str, str]) -> int:
        self.mark += 1
        stamp = f"{who} {int(when.timestamp())} +0000"
        data = message.encode()
        out = [f"commit refs/heads/main\nmark :{self.mark}\nauthor {stamp}\ncommitter {stamp}\n".encode(),
               b"data %d\n%s\n" % (len(data), data)]
        if self.mark == 1:
            out.append(f"from {self.parent}\n".encode())
        for path, text in files.items():
            blob = text.encode()
            out.append(b"M 100644 inline %s\ndata %d\n%s\n" % (path.encode(), len(blob), blob))
        self.proc.stdin.write(b"".join(out) + b"\n")
        return self.mark

    def sha(self, mark: int) -> str:
        self.proc.stdin.write(f"get-mark :{mark}\n".encode())
        self.proc.stdin.flush()
        return self.proc.stdout.readline().decode().strip()

    def close(self) -> None:
        self.proc.stdin.write(b"done\n")
        self.proc.stdin.close()
        if self.proc.wait():
            sys.exit("git fast-import failed")


def allowed(moment: dt.datetime, closed: holidays.HolidayBase) -> bool:
    """Outside NYSE hours by the calendar itself, not by the code under test: weekday evenings
    from 22:00 UTC (after 16:00 New York in summer and winter), Saturdays after 06:00 UTC
    (Friday evening New York may be a holiday), Sundays; never an exchange holiday."""
    day, hour = moment.weekday(), moment.hour + moment.minute / 60
    if day < 5:
        return 22 <= hour <= 23.5 and moment.date() not in closed
    return hour >= 6 if day == 5 else hour <= 20


class Synthetic:
    """The state of the made-up history: files, each environment's tags, when each arrived."""

    def __init__(self, work, stream: Stream, start: dt.datetime, seed: int) -> None:
        self.work, self.stream, self.now = work, stream, start
        self.rng = random.Random(seed)
        self.closed = holidays.financial_holidays("NYSE", years=range(start.year, start.year + 3))
        self.text = {e: work.kustomization(e).read_text() for e in ENVS}
        self.tags = {e: {c: self._tag(e, c) for c in IMAGES} for e in ENVS}
        self.entered = {e: {c: start for c in IMAGES} for e in ENVS}
        self.prod_history: list[dict[str, str]] = []  # prod's tags before each promotion: rollback pops
        self.blocked: set[tuple[str, str]] = set()
        self.versions = {"fks-execution": [1, 5, 0], "grafana": [11, 3, 0]}
        self.notes = {p: 0 for p in self._unrelated()}
        self.counts = {"promote(dev)": 0, "promote(staging)": 0, "promote(prod)": 0, "rollback(prod)": 0,
                       "break-glass": 0, "overlay edits": 0, "unrelated": 0}
        self.last = 0

    def _tag(self, env: str, comp: str) -> str:
        match = re.search(rf"- name: {re.escape(IMAGES[comp])}\n\s+newTag: (\S+)", self.text[env])
        return match[1]

    def _unrelated(self) -> list[str]:
        base = sorted(str(p.relative_to(self.work.path)) for p in (self.work.path / "base").rglob("*.yaml")
                      if p.name in ("deployment.yaml", "service.yaml", "networkpolicy.yaml", "hpa.yaml", "pdb.yaml"))
        return ["README.md", "docs/runbook.md", "docs/changelog.md", *base]

    def _edit(self, path: str, n: int) -> str:
        """An unrelated change: a line in a document, a trailing comment in a base manifest."""
        if path.endswith(".md"):
            return f"# {path}\n\nRevision {n}: notes kept by the platform team.\n"
        text = (self.work.path / path).read_text()
        return re.sub(r"(?m)^# rev \d+\n", "", text) + f"# rev {n}\n"

    def _image(self, env: str, comp: str) -> Image:
        return Image(IMAGES[comp], None, self.tags[env][comp], None)

    def _set(self, env: str, tags: dict[str, str]) -> str:
        text = self.text[env]
        for comp, tag in tags.items():
            text, count = re.subn(rf"(- name: {re.escape(IMAGES[comp])}\n\s+newTag: )\S+", rf"\g<1>{tag}", text)
            assert count == 1, (env, comp)
        self.text[env] = text
        return text

    def _advance(self, at_least: dt.timedelta = dt.timedelta(0)) -> dt.datetime:
        self.now += max(at_least, dt.timedelta(minutes=self.rng.uniform(5, 2 * SPAN.total_seconds() / 60 - 5)))
        return self.now

    def _promote(self, env: str, tags: dict[str, str], who: str, kind: str = "promote",
                 glass: str | None = None) -> None:
        source = ENVS[ENVS.index(env) - 1] if env != "dev" and kind == "promote" else None
        changes = [Change(self._image(env, c), Image(IMAGES[c], None, t, None),
                          self.now - self.entered[source][c] if source else None)
                   for c, t in tags.items() if t != self.tags[env][c]]
        parent = self.stream.sha(self.last) if self.last else self.stream.parent
        origin = f"{source}@{parent}" if source else None
        message = commit_message(kind, env, changes, origin, glass)
        path = f"overlays/{env}/kustomization.yaml"
        self.last = self.stream.commit(who, self.now, message, {path: self._set(env, tags)})
        for change in changes:
            self.tags[env][change.new.component] = change.new.tag
            self.entered[env][change.new.component] = self.now
        self.counts[f"{kind}({env})"] += 1

    def step(self) -> None:
        rng, now = self.rng, self._advance()
        behind = {c: t for c, t in self.tags["staging"].items() if t != self.tags["prod"][c]}
        soaked = behind and all(now - self.entered["staging"][c] >= SOAK for c in behind)
        if soaked and not any((c, t) in self.blocked for c, t in behind.items()) and rng.random() < 0.3:
            if self.counts["break-glass"] == 0 and self.counts["promote(prod)"] == 20:
                while now.weekday() > 4 or not 15 <= now.hour < 19 or now.date() in self.closed:
                    now = self._advance(dt.timedelta(minutes=30))  # market hours: only with break-glass
                self.counts["break-glass"] += 1
                glass = "execution hotfix for order routing (INC-2041), approved by Dana Levi"
            else:
                while not allowed(now, self.closed):
                    now = self._advance(dt.timedelta(minutes=30))
                glass = None
            self.prod_history.append(dict(self.tags["prod"]))
            self._promote("prod", self.tags["staging"], rng.choice(PEOPLE), glass=glass)
            if self.counts["promote(prod)"] in (12, 31):  # a bad release: rolled back a few hours later
                self._advance(dt.timedelta(hours=2))
                bad, previous = dict(self.tags["prod"]), self.prod_history.pop()
                self.blocked |= {(c, t) for c, t in bad.items() if t != previous[c]}
                self._promote("prod", previous, rng.choice(PEOPLE), kind="rollback")
        elif self.tags["dev"] != self.tags["staging"] and now - max(self.entered["dev"].values()) > dt.timedelta(hours=3) \
                and rng.random() < 0.12:
            self._promote("staging", self.tags["dev"], rng.choice(PEOPLE))
        elif rng.random() < 0.08:
            bumped = {"fks-execution": self._bump("fks-execution")}
            if rng.random() < 0.25:
                bumped["grafana"] = self._bump("grafana")
            self._promote("dev", {**self.tags["dev"], **bumped}, CI)
        elif rng.random() < 0.02:  # an overlay's other lines: reviewed, images untouched
            env = rng.choice(ENVS)
            self.text[env] = re.sub(r"(?m)^# reviewed .*\n", "", self.text[env]) + f"# reviewed {now:%Y-%m-%d}\n"
            self.last = self.stream.commit(rng.choice(PEOPLE), now, f"{env}: reviewed the overlay\n",
                                           {f"overlays/{env}/kustomization.yaml": self.text[env]})
            self.counts["overlay edits"] += 1
        else:
            paths = rng.sample(sorted(self.notes), rng.choice((1, 1, 1, 2, 3)))
            files = {}
            for path in paths:
                self.notes[path] += 1
                files[path] = self._edit(path, self.notes[path])
            self.last = self.stream.commit(rng.choice(PEOPLE), now, f"{paths[0].split('/')[0]}: routine change\n", files)
            self.counts["unrelated"] += 1

    def _bump(self, comp: str) -> str:
        version = self.versions[comp]
        version[2] += 1
        if self.rng.random() < 0.1:
            version[1:] = [version[1] + 1, 0]
        return ".".join(map(str, version))


def build(folder: Path, commits: int, seed: int) -> tuple[Path, dict[str, int], float]:
    """The scratch repository with `commits` commits after the initial one, ending an hour ago."""
    started = time.perf_counter()
    end = dt.datetime.now(UTC) - dt.timedelta(hours=1)
    start = (end - commits * SPAN * 1.5).replace(hour=12, minute=0, second=0, microsecond=0)
    work = copy_real(folder, REPO, when=start)
    stream = Stream(work.path, work.head())
    synth = Synthetic(work, stream, start + dt.timedelta(hours=1), seed)
    while synth.stream.mark < commits:
        synth.step()
    stream.close()
    if synth.now > end:
        sys.exit(f"the synthetic history runs to {synth.now:%Y-%m-%d %H:%M}, past the clock; lower --commits")
    work.git("reset", "-q", "--hard", "main")
    work.push()
    return work.path, synth.counts, time.perf_counter() - started


def audited(repo: Path) -> list[audit.Finding]:
    config = environments.load(repo)
    read = ledger.read(Git.open(repo), [e.overlay for e in config.environments])
    return audit.audit(config, read, [e for e in config.environments if e.order > 0])


def timed(named: dict[str, callable], rounds: int) -> dict[str, list[float]]:
    """Seconds of each, after one untimed warm-up; rounds interleave, so a change in the
    machine's load hits every candidate alike."""
    samples: dict[str, list[float]] = {name: [] for name in named}
    for run in range(rounds + 1):
        for name, fn in named.items():
            start = time.perf_counter()
            fn()
            if run:
                samples[name].append(time.perf_counter() - start)
    return samples


def cli(repo: Path) -> None:
    proc = subprocess.run([sys.executable, str(REPO / "tools" / "validate.py"), "--repo", str(repo)],
                          capture_output=True, text=True)
    if proc.returncode not in (0, 1):
        sys.exit(f"tools/validate.py exited {proc.returncode}: {proc.stderr.strip()[-300:]}")


def profile(repo: Path, top: int) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(3):
        audited(repo)
    profiler.disable()
    print("\nprofile of the audit alone (3 runs), by own time:")
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(top)
    print("by cumulative time:")
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(top)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--profile", action="store_true", help="cProfile the audit alone afterwards")
    parser.add_argument("--top", type=int, default=25, help="profile rows to print")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-audit-") as tmp:
        repo, counts, seconds = build(Path(tmp), args.commits, args.seed)
        shown = ", ".join(f"{n} {k}" for k, n in counts.items())
        print(f"history: {args.commits} commits on main in {seconds:.1f} s ({shown})")
        found = audited(repo)
        errors = [f for f in found if f.level == "error"]
        print(f"audit: {len(errors)} errors, {len(found) - len(errors)} warnings on the synthetic history")
        for f in found[:10]:
            print(f"  {f.where}: [{f.level}] {f.message} ({f.rule})")
        if errors:
            sys.exit("the audit rejects the synthetic history: fix the generator or the audit before timing it")

        config = environments.load(repo)
        overlays = [e.overlay for e in config.environments]
        gated = [e for e in config.environments if e.order > 0]
        read = ledger.read(Git.open(repo), overlays)
        samples = timed({
            "tools/validate.py --repo": lambda: cli(repo),
            "validate(repo)": lambda: validate.validate(repo),
            "validate(repo, skip=promotions)": lambda: validate.validate(repo, skip=("promotions",)),
            "audit.check(RepoContext)": lambda: audit.check(RepoContext(config, {})),
            "  ledger.read": lambda: ledger.read(Git.open(repo), overlays),
            "  audit.audit (replay)": lambda: audit.audit(config, read, gated),
        }, args.rounds)
        print(f"\nmedian and min of {args.rounds} interleaved rounds, result cache off, {os.cpu_count()} cores:")
        for name, times in samples.items():
            print(f"{name:>34}: median {statistics.median(times):.3f} s, min {min(times):.3f} s")
        full, skipped = samples["validate(repo)"], samples["validate(repo, skip=promotions)"]
        added = statistics.median(full) - statistics.median(skipped)
        verdict = "ok" if added <= TARGET else "OVER"
        print(f"\naudit adds {added:.3f} s on top of validate (target <= {TARGET} s) {verdict}"
              f" [min vs min: {min(full) - min(skipped):.3f} s; audit alone, median: "
              f"{statistics.median(samples['audit.check(RepoContext)']):.3f} s]")
        if args.profile:
            profile(repo, args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
