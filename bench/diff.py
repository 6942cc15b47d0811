#!/usr/bin/env python3
"""What `tools/validate.py --diff BASE` costs over a plain validate (issue 14: at most one extra
render per environment, the BASE renders in parallel).

    .venv/bin/python bench/diff.py                    # BASE = HEAD~1, 5 rounds
    .venv/bin/python bench/diff.py --base origin/main --rounds 9

Both commands on this repository, result cache off (every check runs), alternating, median and
min of --rounds; then the BASE renders alone (the three overlays of BASE in parallel, as --diff
starts them), for scale. Also --diff --format markdown, the CI comment.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VALIDATE = [sys.executable, str(REPO / "tools" / "validate.py"), "--repo", str(REPO)]
ENV = {**os.environ, "FKS_GITOPS_NO_CACHE": "1"}


def _timed(argv: list[str]) -> float:
    started = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, env=ENV)
    elapsed = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        sys.exit(f"{' '.join(argv[1:])} exited {proc.returncode}: {proc.stderr.strip()[-300:]}")
    return elapsed


def _base_renders(base: str) -> float:
    """BASE's tree from git archive, its overlays rendered in parallel: what --diff adds."""
    sys.path.insert(0, str(REPO / "tools"))
    from fks_gitops import environments
    from fks_gitops.diff.tree import BaseRenders
    from fks_gitops.repo_git import Git

    names = [e.name for e in environments.load(REPO).environments]
    started = time.perf_counter()
    with BaseRenders(Git.open(REPO), base, names) as renders:
        renders.wait()
    return time.perf_counter() - started


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="HEAD~1")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    out = Path(tempfile.mkdtemp(prefix="fks-bench-diff-")) / "diff.md"
    commands = {
        "validate": VALIDATE,
        f"validate --diff {args.base}": [*VALIDATE, "--diff", args.base],
        f"validate --diff {args.base} --format markdown": [*VALIDATE, "--diff", args.base, "--format", "markdown",
                                                           "--output", str(out)],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    _timed(VALIDATE)  # warm the page cache and Python's bytecode
    for _ in range(args.rounds):
        for name, argv in commands.items():
            times[name].append(_timed(argv))
    plain = statistics.median(times["validate"])
    print(f"{os.cpu_count()} cores, median (min) of {args.rounds} rounds, result cache off:")
    for name, found in times.items():
        t = statistics.median(found)
        print(f"  {name:50s} {t:5.2f} s ({min(found):.2f}) = {t / plain:.2f}x validate, +{t - plain:.2f} s")
    renders = statistics.median(_base_renders(args.base) for _ in range(args.rounds))
    print(f"  BASE's 3 overlays alone (git archive + parallel kustomize) {renders:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
