#!/usr/bin/env python3
"""How fast validate is, next to what it cannot avoid: rendering with kustomize.

    .venv/bin/python bench/validate.py              # both measurements
    .venv/bin/python bench/validate.py --rounds 5 --scale ''   # the floors only
    .venv/bin/python bench/validate.py --rounds 7 --scale 25,50,100
    .venv/bin/python bench/validate.py --compare ce8133a --rounds 7 --scale ''
    .venv/bin/python bench/validate.py --bytecode --rounds 5 --scale ''   # as a default Python: bytecode cached

1. The repository, against its floors (issue 15), interleaved, min and median of --rounds: the
   render floor (the three overlays rendered in parallel with validate's kustomize command) and
   the work floor (those renders and `promtool test rules` over the bases' tests, all at once).
   `tools/validate.py` as the user runs it: cache off (FKS_GITOPS_NO_CACHE=1), target at most
   1.15x the work floor; cache on, nothing changed (the remembered run, runcache.py), at most
   0.8x the render floor. Then its
   start-up imports (`python -X importtime`, target 0.15 s) and a re-validate after a one-line
   change in overlays/dev (target: the dev render + 100 ms). Beside each, the CPU the run used,
   every process together, and the time that allows on this machine's cores at best: where that
   is over a target, no reordering of the same work can meet it.
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
import resource
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
from fks_gitops import environments, proc, render  # noqa: E402
from fks_gitops.checks import monitoring  # noqa: E402

VALIDATE = [sys.executable, str(REPO / "tools" / "validate.py")]


CPU: list[float] = []  # the CPU seconds of each _timed or _at_once call, its children's included


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _timed(argv: list[str], env: dict | None = None) -> float:
    started, cpu = time.perf_counter(), _children_cpu()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - started
    CPU.append(_children_cpu() - cpu)
    if proc.returncode not in (0, 1):
        sys.exit(f"{' '.join(argv)} exited {proc.returncode}: {proc.stderr.strip()[-300:]}")
    return elapsed


def _renders(repo: Path) -> list[tuple[list[str], Path | None]]:
    """The overlays' renders, with the kustomize command validate uses."""
    prefix = list(render.renderer().argv)
    return [([*prefix, str(repo / e.overlay)], None) for e in environments.load(repo).environments]


def _unit_tests(repo: Path) -> list[tuple[list[str], Path | None]]:
    """`promtool test rules` over each base's tests, in their folder (their rule_files are relative)."""
    promtool = proc.require("promtool", monitoring.HOW_TO_GET)
    return [([promtool, "test", "rules", *sorted(p.name for p in folder.glob("*.yaml"))], folder)
            for folder in sorted(repo.glob("base/*/tests"))]


def _at_once(commands: list[tuple[list[str], Path | None]]) -> float:
    """Wall time of the commands, all started at once."""
    started, cpu = time.perf_counter(), _children_cpu()
    procs = [subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=render._ENV)
             for argv, cwd in commands]
    for (argv, _), p in zip(commands, procs):
        if p.wait():
            sys.exit(f"{' '.join(argv)} exited {p.returncode}: {p.stderr.read().decode()[-300:]}")
    elapsed = time.perf_counter() - started
    CPU.append(_children_cpu() - cpu)
    return elapsed


def _cpu_bound(name: str, cpu: list[float], floor: list[float], floor_name: str) -> None:
    """What the CPU a run used allows on this machine's cores, at best, against a floor's time:
    the share of a target that no ordering of the work can reach."""
    cores = os.cpu_count() or 1
    least = statistics.median(cpu) / cores
    print(f"    {name} used {statistics.median(cpu):.2f} CPU-s (median, every process): on {cores} cores "
          f"no run of it takes under {least:.3f} s = {least / statistics.median(floor):.2f}x the {floor_name}")


def _render_in_parallel(repo: Path) -> float:
    return _at_once(_renders(repo))


def _ratio(name: str, times: list[float], floor: list[float], floor_name: str, target: float) -> None:
    by_median, by_min = statistics.median(times) / statistics.median(floor), min(times) / min(floor)
    print(f"  {name}: {_spread(times)} = {by_median:.2f}x the {floor_name} by the medians, "
          f"{by_min:.2f}x by the minima (target <= {target}x)")


def startup(rounds: int) -> float:
    """What tools/validate.py imports before its work starts: `python -X importtime`, the top-level
    imports of running the script's module without its main() (less runpy's own)."""

    def imports(code: str) -> float:
        err = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True,
                             text=True, check=True).stderr
        return sum(int(m[1]) for m in re.finditer(r"(?m)^import time:\s+\d+ \|\s+(\d+) \| \S", err)) / 1e6

    script = f"import runpy; runpy.run_path({str(REPO / 'tools' / 'validate.py')!r}, run_name='bench')"
    return statistics.median(imports(script) - imports("import runpy") for _ in range(rounds))


def one_change(rounds: int) -> None:
    """validate (cache on) after a one-line change in overlays/dev, against rendering dev alone."""
    with tempfile.TemporaryDirectory() as tmp:
        repo = copy_repo(Path(tmp) / "repo")
        patch = repo / "overlays" / "dev" / "prometheus-retention.yaml"
        text = patch.read_text()
        # A cache of its own: the shared one may hold these contents from an earlier invocation.
        warm_env = {**os.environ, "FKS_GITOPS_NO_CACHE": "0", "XDG_CACHE_HOME": str(Path(tmp) / "cache")}
        argv = [*VALIDATE, "--repo", str(repo)]
        _timed(argv, warm_env)
        dev = [([*render.renderer().argv, str(repo / "overlays" / "dev")], None)]
        changed, renders, cpu = [], [], []
        for n in range(rounds):
            # A value no earlier run saw: the cache must not have this content already.
            patch.write_text(text.replace("retention.time=3d", f"retention.time={4 + n}d"))
            changed.append(_timed(argv, warm_env))
            cpu.append(CPU[-1])
            renders.append(_at_once(dev))
        extra = 1000 * (statistics.median(changed) - statistics.median(renders))
        print(f"  re-validate after one line changed in overlays/dev: {_spread(changed)}; dev render alone "
              f"{_spread(renders)}: +{extra:.0f} ms by the medians (target <= +100 ms)")
        least = statistics.median(cpu) / (os.cpu_count() or 1)
        print(f"    it used {statistics.median(cpu):.2f} CPU-s (median, every process): on {os.cpu_count()} cores no "
              f"re-validate takes under {least:.3f} s = +{1000 * (least - statistics.median(renders)):.0f} ms")


def repository(rounds: int) -> None:
    """tools/validate.py against the floors: rendering the overlays in parallel, and those renders
    with promtool's unit tests, all at once; interleaved, --rounds rounds."""
    cold_env = {**os.environ, "FKS_GITOPS_NO_CACHE": "1"}
    warm_env = {**os.environ, "FKS_GITOPS_NO_CACHE": "0"}
    argv = [*VALIDATE, "--repo", str(REPO)]
    renders, work = _renders(REPO), _renders(REPO) + _unit_tests(REPO)
    times: dict[str, list[float]] = {"render floor": [], "work floor": [], "cache off": [], "cache on": []}
    cpu: dict[str, list[float]] = {name: [] for name in times}
    _timed(argv, warm_env)  # fills the caches for the warm runs; page cache, bytecode
    for _ in range(rounds):
        times["render floor"].append(_at_once(renders))
        times["work floor"].append(_at_once(work))
        times["cache off"].append(_timed(argv, cold_env))
        times["cache on"].append(_timed(argv, warm_env))
        for name, used in zip(times, CPU[-4:]):
            cpu[name].append(used)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"tools/validate.py --repo {REPO}, {rounds} rounds interleaved ({os.cpu_count()} cores, load average now {load}):")
    print(f"  render floor ({len(renders)} overlays in parallel): {_spread(times['render floor'])}")
    print(f"  work floor (those and {len(work) - len(renders)} promtool test rules, all at once): {_spread(times['work floor'])}")
    _ratio("validate, cache off", times["cache off"], times["work floor"], "work floor", 1.15)
    _cpu_bound("the work floor", cpu["work floor"], times["work floor"], "work floor")
    _cpu_bound("validate, cache off,", cpu["cache off"], times["work floor"], "work floor")
    _ratio("validate, cache on, nothing changed", times["cache on"], times["render floor"], "render floor", 0.8)
    print(f"  start-up imports of tools/validate.py: {startup(rounds):.3f} s (median, target <= 0.15 s)")
    one_change(rounds)


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
    parser.add_argument("--bytecode", action="store_true",
                        help="run validate with Python's bytecode cache, as a default Python does "
                             "(drops PYTHONDONTWRITEBYTECODE; the cache goes to a scratch folder)")
    args = parser.parse_args()
    scratch = tempfile.TemporaryDirectory(prefix="fks-bench-pycache-")
    if args.bytecode:
        os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
        os.environ["PYTHONPYCACHEPREFIX"] = scratch.name
    print("bytecode: " + ("cached, as a default Python does" if args.bytecode else
                          "PYTHONDONTWRITEBYTECODE is set: validate keeps its compiled code in its cache folder "
                          "(venv.keep_bytecode)" if sys.flags.dont_write_bytecode else "cached"))
    if args.compare:
        compare(args.compare, args.rounds, args.against)
    else:
        repository(args.rounds)
    scale([int(n) for n in args.scale.split(",") if n], max(1, args.rounds // 2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
