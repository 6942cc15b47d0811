#!/usr/bin/env python3
"""How fast validate is, next to what it cannot avoid: rendering with kustomize.

    .venv/bin/python bench/validate.py              # both measurements
    .venv/bin/python bench/validate.py --rounds 7 --scale 25,50,100
    .venv/bin/python bench/validate.py --compare ce8133a --rounds 7 --scale ''

1. The repository: `tools/validate.py` (cold: result cache off; warm: on) against rendering the
   three overlays one after the other, alternating, median of --rounds. Target: at most 2x.
2. Scale: a generated copy of the repository with N extra components (copies of
   base/execution) in every environment. Target: 100 components in 3 environments under 10 s,
   time growing linearly with the number of objects.
3. With --compare REV, instead of 1: what the code since REV costs (issue 9: source mapping at
   most 5 % over the validate before it). `tools/validate.py --repo <this repository>`, result
   cache off, from this work tree (or a worktree of --against REV) against the same command from
   a git worktree of REV (worktrees removed at the end), alternating, median and min of --rounds.
   Both check the same files; only the code differs. Then, in-process, what the mapping itself
   costs: render.render_mapped against a plain render + parse of each overlay.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tools"))
sys.path.insert(0, str(REPO / "tests"))

from conftest import copy_repo  # noqa: E402
from fks_gitops import environments, render  # noqa: E402

VALIDATE = [sys.executable, str(REPO / "tools" / "validate.py")]


def _timed(argv: list[str], env: dict | None = None) -> float:
    started = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        sys.exit(f"{' '.join(argv)} exited {proc.returncode}: {proc.stderr.strip()[-300:]}")
    return elapsed


def _render_sequentially(repo: Path) -> float:
    prefix = list(render.renderer().argv)
    started = time.perf_counter()
    for env in environments.load(repo).environments:
        subprocess.run([*prefix, str(repo / env.overlay)], capture_output=True, check=True)
    return time.perf_counter() - started


def _render_in_parallel(repo: Path) -> float:
    prefix = list(render.renderer().argv)
    started = time.perf_counter()
    procs = [subprocess.Popen([*prefix, str(repo / e.overlay)], stdout=subprocess.DEVNULL)
             for e in environments.load(repo).environments]
    for proc in procs:
        proc.wait()
    return time.perf_counter() - started


def repository(rounds: int) -> None:
    cold_env = {**os.environ, "FKS_GITOPS_NO_CACHE": "1"}
    warm_env = {**os.environ, "FKS_GITOPS_NO_CACHE": "0"}
    renders, cold, warm = [], [], []
    _timed([*VALIDATE, "--repo", str(REPO)], warm_env)  # fills the result cache for the warm runs
    for _ in range(rounds):
        renders.append(_render_sequentially(REPO))
        cold.append(_timed([*VALIDATE, "--repo", str(REPO)], cold_env))
        warm.append(_timed([*VALIDATE, "--repo", str(REPO)], warm_env))
    base = statistics.median(renders)
    print(f"render 3 overlays one after the other: {base:.2f} s (median of {rounds})")
    for name, times in (("cold", cold), ("warm", warm)):
        t = statistics.median(times)
        print(f"tools/validate.py, {name} result cache: {t:.2f} s = {t / base:.2f}x rendering")


def _component(repo: Path, n: int) -> str:
    name = f"svc-{n:03d}"
    src, dest = repo / "base" / "execution", repo / "base" / name
    dest.mkdir()
    for path in src.iterdir():
        text = path.read_text().replace("fks-execution", name)
        # The image and the sealed secret stay the execution service's: they exist everywhere.
        text = text.replace(f"ghcr.io/fks-trading/{name}", "ghcr.io/fks-trading/fks-execution")
        text = text.replace(f"{name}-secrets", "fks-execution-secrets")
        # Only the execution service trades; prod's trading-mode policy would flag the copies.
        text = re.sub(r"(?m)^.*TRADING_MODE: paper\n", "", text)
        (dest / path.name).write_text(text)
    return f"../../base/{name}"


def generated(components: int, folder: Path) -> Path:
    repo = copy_repo(folder / f"repo-{components}")
    extra = [_component(repo, n) for n in range(components)]
    for env in environments.load(repo).environments:
        path = repo / env.overlay / "kustomization.yaml"
        lines = "".join(f"  - {e}\n" for e in extra)
        path.write_text(re.sub(r"(?m)^resources:\n", "resources:\n" + lines, path.read_text(), count=1))
    subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True)
    return repo


def scale(sizes: list[int], rounds: int) -> None:
    cold_env = {**os.environ, "FKS_GITOPS_NO_CACHE": "1"}
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            repo = generated(size, Path(tmp))
            objects = sum(len(render.render(repo / e.overlay)) for e in environments.load(repo).environments)
            times, renders = [], []
            for _ in range(rounds):
                renders.append(_render_in_parallel(repo))
                times.append(_timed([*VALIDATE, "--repo", str(repo)], cold_env))
            t, r = statistics.median(times), statistics.median(renders)
            print(f"{size:4d} components x 3 environments: {objects:5d} objects, validate {t:.2f} s "
                  f"({1000 * t / objects:.2f} ms/object, cold cache, {os.cpu_count()} cores); "
                  f"kustomize alone, the 3 overlays in parallel: {r:.2f} s")
            shutil.rmtree(repo)


@contextmanager
def _worktree(rev: str):
    """A git worktree of `rev` that runs with this repository's virtualenv."""
    with tempfile.TemporaryDirectory(prefix="fks-bench-") as tmp:
        tree = Path(tmp) / "tree"
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", "--quiet", str(tree), rev],
                       check=True)
        try:
            # tools/validate.py re-execs into <its repository>/.venv/bin/python: let that be this one.
            (tree / ".venv").symlink_to(REPO / ".venv")
            yield tree
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)], check=True)


def _spread(times: list[float]) -> str:
    return f"median {statistics.median(times):.3f} s, min {min(times):.3f} s"


def _short(rev: str) -> str:
    return subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", rev],
                          capture_output=True, text=True, check=True).stdout.strip()


def compare(rev: str, rounds: int, against: str | None = None) -> None:
    """validate's code at `against` (default: this working tree) against its code at `rev`."""
    with ExitStack() as stack:
        pyc = stack.enter_context(tempfile.TemporaryDirectory(prefix="fks-pyc-"))
        now_tree = stack.enter_context(_worktree(against)) if against else REPO
        before_tree = stack.enter_context(_worktree(rev))
        # Both sides compile to a shared bytecode cache outside either tree, so neither pays
        # for compiling its sources on every run (or on the first run only).
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env.update(FKS_GITOPS_NO_CACHE="1", PYTHONPYCACHEPREFIX=pyc)
        now, before = (_short(against) if against else "this tree"), _short(rev)
        sides = {name: ([sys.executable, str(tree / "tools" / "validate.py"), "--repo", str(REPO)],
                        {**env, "PYTHONPATH": str(tree / "tools")})
                 for name, tree in ((now, now_tree), (before, before_tree))}
        times: dict[str, list[float]] = {name: [] for name in sides}
        for argv, side_env in sides.values():
            _timed(argv, side_env)  # warm-up: bytecode, page cache
        for n in range(rounds):
            order = list(sides) if n % 2 == 0 else list(reversed(sides))  # alternate who goes first
            for name in order:
                times[name].append(_timed(*sides[name]))
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"tools/validate.py --repo {REPO}, result cache off, {rounds} rounds alternating "
          f"({os.cpu_count()} cores, load average now {load}):")
    for name, t in times.items():
        print(f"  {name:>9}: {_spread(t)}")
    median = 100 * (statistics.median(times[now]) / statistics.median(times[before]) - 1)
    fastest = 100 * (min(times[now]) / min(times[before]) - 1)
    print(f"source mapping costs {median:.1f} % (target ≤ 5 %): {now} over {before}, by the medians; "
          f"{fastest:.1f} % by the minima")
    mapping_cost(rounds)


def _render_plain(overlay: Path) -> list[dict]:
    proc = subprocess.run([*render.renderer().argv, str(overlay)], capture_output=True, text=True,
                          check=True, env=render._ENV)
    return [d for d in yaml.load_all(proc.stdout, Loader=yaml.CSafeLoader) if d]


def mapping_cost(rounds: int) -> None:
    """The mapping's direct cost: render_mapped against a plain render, and the map itself."""
    overlays = [e.overlay for e in environments.load(REPO).environments]
    ways = {"plain": lambda rel: _render_plain(REPO / rel),
            "mapped": lambda rel: render.render_mapped(REPO / rel, rel)}
    times: dict[str, list[float]] = {name: [] for name in ways}
    strips: list[float] = []
    for n in range(rounds + 1):
        order = list(ways) if n % 2 == 0 else list(reversed(ways))
        for name in order:
            started = time.perf_counter()
            for rel in overlays:
                ways[name](rel)
            if n:  # the first round is a warm-up
                times[name].append(time.perf_counter() - started)
        if n:
            strips.append(_map_only(overlays))
    plain, mapped = times["plain"], times["mapped"]
    print(f"render + parse of {len(overlays)} overlays one after the other, in-process:")
    for name, t in times.items():
        print(f"  {name:>9}: {_spread(t)}")
    print(f"  mapping's direct cost: {1000 * (statistics.median(mapped) - statistics.median(plain)):+.0f} ms "
          f"({100 * (statistics.median(mapped) / statistics.median(plain) - 1):+.1f} %) by the medians, "
          f"{1000 * (min(mapped) - min(plain)):+.0f} ms by the minima; building the maps and locating every object: "
          f"{1000 * statistics.median(strips):.0f} ms")


def _map_only(overlays: list[str]) -> float:
    """Building each overlay's source map from its kustomizations and locating every object once:
    what validate pays when problems need lines (nothing when there are none)."""
    from fks_gitops import sourcemap
    from fks_gitops.problem import ObjectRef

    total = 0.0
    for rel in overlays:
        docs = _render_plain(REPO / rel)
        started = time.perf_counter()
        sources = sourcemap.SourceMap(REPO, rel, docs)
        for doc in docs:
            sources.locate(ObjectRef.of(doc), "/metadata/name")
        total += time.perf_counter() - started
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--scale", default="25,50,100", help="component counts for the scale run")
    parser.add_argument("--compare", metavar="REV", help="instead of 1, time validate against its code at REV")
    parser.add_argument("--against", metavar="REV", help="with --compare: time the code at REV, not the work tree")
    args = parser.parse_args()
    if args.compare:
        compare(args.compare, args.rounds, args.against)
    else:
        repository(args.rounds)
    scale([int(n) for n in args.scale.split(",") if n], max(1, args.rounds // 2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
