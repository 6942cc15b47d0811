#!/usr/bin/env python3
"""How long a promotion takes against `validate --env <target>` alone (a benchmark, not a test).

    .venv/bin/python bench/promote.py                 # --to prod, 3 runs each, in-process and CLI
    .venv/bin/python bench/promote.py --runs 5 --no-cli

Copies the repository's overlays and bases into a scratch git repository (with a bare origin),
puts a new fks-execution version in dev and staging a week back, then times `--to prod` (plan,
gates, two renders, drift check, write, validate, commit) against `validate(repo, ["prod"])`.
Each promotion starts from the same commit. The issue's target: ratio <= 1.5.
"""
from __future__ import annotations

import argparse
import datetime as dt
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "tools"), str(REPO / "tests"), str(REPO / "tests" / "fixtures" / "promote_lib")]

from fks_gitops import validate
from fks_gitops.promote import promotion as promote  # noqa: E402
from clock import faketime_env  # noqa: E402
from promote_repo import T0, copy_real  # noqa: E402

NOW = dt.datetime(2026, 3, 7, 12, tzinfo=dt.timezone.utc)  # a Saturday: no freeze, a week of soak
TARGET = 1.5


def timed(pairs: list[tuple], runs: int) -> list[float]:
    """Median seconds of each (fn, before) after one untimed warm-up; runs interleave, so a change
    in the machine's load hits every candidate alike."""
    samples: list[list[float]] = [[] for _ in pairs]
    for run in range(runs + 1):
        for i, (fn, before) in enumerate(pairs):
            before()
            start = time.perf_counter()
            fn()
            if run:
                samples[i].append(time.perf_counter() - start)
    return [statistics.median(s) for s in samples]


def cli(argv: list[str]) -> None:
    env = faketime_env(NOW)  # the command line has no clock option: libfaketime moves its clock
    proc = subprocess.run([sys.executable, *argv], capture_output=True, text=True, env=env)
    if proc.returncode:
        raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}: {proc.stderr.strip()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-cli", action="store_true", help="skip the command-line timings")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-promote-") as tmp:
        work = copy_real(Path(tmp), REPO)
        for env in ("dev", "staging"):
            work.set_tag(env, "fks-execution", "9.9.9")
        start = work.commit("dev and staging 9.9.9", T0 + dt.timedelta(hours=1))
        reset = lambda: work.git("reset", "-q", "--hard", start)  # noqa: E731
        request = promote.Request("prod", now=NOW)

        def promotion() -> None:
            assert promote.promote(work.path, request).commit

        def validation() -> None:
            assert not [p for p in validate.validate(work.path, ["prod"]).problems if p.level == "error"]

        nothing = lambda: None  # noqa: E731
        rows = [("in-process", *timed([(promotion, reset), (validation, nothing)], args.runs))]
        if not args.no_cli:
            repo = ["--repo", str(work.path)]
            promote_cli = lambda: cli([str(REPO / "tools/promote.py"), "--to", "prod", *repo])  # noqa: E731
            validate_cli = lambda: cli([str(REPO / "tools/validate.py"), "--env", "prod", *repo])  # noqa: E731
            rows.append(("command line", *timed([(promote_cli, reset), (validate_cli, nothing)], args.runs)))
    print(f"promotion --to prod vs validate --env prod, median of {args.runs} runs (target ratio <= {TARGET})")
    for label, promoted, validated in rows:
        ratio = promoted / validated
        verdict = "ok" if ratio <= TARGET else "OVER"
        print(f"{label:>12}: promote {promoted:.2f} s, validate {validated:.2f} s, ratio {ratio:.2f} {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
