#!/usr/bin/env python3
"""How fast validate is, next to what it cannot avoid: rendering with kustomize.

    .venv/bin/python bench/validate.py              # both measurements
    .venv/bin/python bench/validate.py --rounds 7 --scale 25,50,100

1. The repository: `tools/validate.py` (cold: result cache off; warm: on) against rendering the
   three overlays one after the other, alternating, median of --rounds. Target: at most 2x.
2. Scale: a generated copy of the repository with N extra components (copies of
   base/execution) in every environment. Target: 100 components in 3 environments under 10 s,
   time growing linearly with the number of objects.
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
from pathlib import Path

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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--scale", default="25,50,100", help="component counts for the scale run")
    args = parser.parse_args()
    repository(args.rounds)
    scale([int(n) for n in args.scale.split(",") if n], max(1, args.rounds // 2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
