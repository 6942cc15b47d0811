#!/usr/bin/env python3
"""How long a promotion takes against `validate --env <target>` alone, what verification against a
local Prometheus adds, and how long 8 concurrent `--push` promotions from 8 clones take to all
land (a benchmark, not a test).

    .venv/bin/python bench/promote.py                 # --to prod, 3 runs each, in-process and CLI; 8 at once
    .venv/bin/python bench/promote.py --runs 5 --no-cli --concurrent 0

Copies the repository's overlays and bases into a scratch git repository (with a bare origin),
puts a new fks-execution version in dev and staging a week back, then times `--to prod` (plan,
gates, two renders, drift check, write, validate, commit) against `validate(repo, ["prod"])`.
Each promotion starts from the same commit, so the result caches are off (FKS_GITOPS_NO_CACHE=1):
a real promotion validates a render nobody has validated. The issue's target: ratio <= 1.5.

Verified against unverified: the same promotion from two copies, one whose staging `verify:`
(the repository's four checks) points at a Prometheus 3.5.3 on a loopback port serving a week of
synthetic series (tests/prometheus_server.py), one without `verify:`. Target: at most 0.3 s more.

The concurrent part gives the copy four sidecar images (eight images in all, so that no two
promotions move the same one), clones it 8 times and starts `tools/promote.py --to dev --image
... --push` in each at once, with the real validation: the wall time until the last has landed,
and each one's attempts.
"""
from __future__ import annotations

import argparse
import copy
import datetime as dt
import os
import re
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
from prometheus_server import serve  # noqa: E402
from promote_repo import T0, clone, copy_real  # noqa: E402
from synthetic_series import soak  # noqa: E402

import yaml  # noqa: E402

NOW = dt.datetime(2026, 3, 7, 12, tzinfo=dt.timezone.utc)  # a Saturday: no freeze, a week of soak
TARGET = 1.5
VERIFY_TARGET = 0.3  # seconds a verified promotion may add


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
    parser.add_argument("--concurrent", type=int, default=8, metavar="N", help="promotions at once (0: skip)")
    args = parser.parse_args(argv)
    # Every run validates a render nobody validated before (a new version), so the caches are off
    # for both sides: each timed run here starts from the same commit and would hit them.
    os.environ["FKS_GITOPS_NO_CACHE"] = "1"
    if args.concurrent:
        concurrent(args.concurrent)

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
    verified(args.runs, not args.no_cli)
    return 0


def verified(runs: int, with_cli: bool) -> None:
    """A verified promotion against an unverified one, each from its own copy of the repository."""
    entered = T0 + dt.timedelta(hours=1)
    with tempfile.TemporaryDirectory(prefix="bench-verify-") as tmp:
        lines = soak("fks-trading-staging", "fks-trading-staging", entered, NOW + dt.timedelta(hours=1), version="9.9.9")
        with serve(Path(tmp) / "prometheus", lines) as url:
            works = []
            for name in ("verified", "plain"):
                (Path(tmp) / name).mkdir()
                works.append(copy_real(Path(tmp) / name, REPO, prometheus=url if name == "verified" else None))
            resets = []
            for work in works:
                for env in ("dev", "staging"):
                    work.set_tag(env, "fks-execution", "9.9.9")
                start = work.commit("dev and staging 9.9.9", entered)
                resets.append(lambda w=work, s=start: w.git("reset", "-q", "--hard", s))

            def promotion(work, checks: int):
                def run() -> None:
                    result = promote.promote(work.path, promote.Request("prod", now=NOW))
                    assert result.commit and len(result.verification.results if result.verification else ()) == checks
                return run

            pairs = [(promotion(works[0], 4), resets[0]), (promotion(works[1], 0), resets[1])]
            rows = [("in-process", *timed(pairs, runs))]
            if with_cli:
                argv = lambda w: [str(REPO / "tools/promote.py"), "--to", "prod", "--repo", str(w.path)]  # noqa: E731
                rows.append(("command line", *timed([(lambda: cli(argv(works[0])), resets[0]),
                                                     (lambda: cli(argv(works[1])), resets[1])], runs)))
    print(f"verified vs unverified promotion --to prod, median of {runs} runs (target: at most {VERIFY_TARGET} s more)")
    for label, with_checks, without in rows:
        extra = with_checks - without
        verdict = "ok" if extra <= VERIFY_TARGET else "OVER"
        print(f"{label:>12}: verified {with_checks:.2f} s, unverified {without:.2f} s, {extra:+.3f} s {verdict}")


SIDECARS = [f"ghcr.io/fks-trading/sidecar-{i}" for i in range(1, 5)]


def with_sidecars(folder: Path) -> None:
    """Four more images in fks-execution's pod, allowed and listed in every overlay."""
    path = folder / "base/execution/deployment.yaml"
    doc = yaml.safe_load(path.read_text())
    containers = doc["spec"]["template"]["spec"]["containers"]
    for name in SIDECARS:
        side = {k: v for k, v in copy.deepcopy(containers[0]).items() if k not in ("ports", "startupProbe", "env", "envFrom")}
        side.update(name=name.rsplit("/", 1)[1], image=name)
        side["livenessProbe"] = side["readinessProbe"] = {"exec": {"command": ["/bin/true"]}}
        containers.append(side)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    config = folder / "environments.yaml"
    allowed = "".join(f"  {n.rsplit('/', 1)[1]}: [{n}]\n" for n in SIDECARS)
    config.write_text(config.read_text().replace("images:\n", "images:\n" + allowed, 1))
    for env in ("dev", "staging", "prod"):
        path = folder / "overlays" / env / "kustomization.yaml"
        entries = "".join(f"  - name: {n}\n    newTag: 1.0.0\n" for n in SIDECARS)
        path.write_text(path.read_text().replace("images:\n", "images:\n" + entries, 1))


def concurrent(n: int) -> None:
    refs = ["ghcr.io/fks-trading/fks-execution:9.9.1", "docker.io/grafana/grafana:11.2.9",
            "quay.io/prometheus/prometheus:v3.5.9", "quay.io/prometheus/alertmanager:v0.33.9",
            *(f"{name}:1.0.1" for name in SIDECARS)][:n]
    with tempfile.TemporaryDirectory(prefix="bench-promote-") as tmp:
        origin = copy_real(Path(tmp), REPO, prepare=with_sidecars)
        clones = [clone(Path(tmp), origin.origin, f"ci-{i}") for i in range(len(refs))]
        start = time.perf_counter()
        procs = [subprocess.Popen([sys.executable, str(REPO / "tools/promote.py"), "--repo", str(work.path), "--to", "dev",
                                   "--image", ref, "--push"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for work, ref in zip(clones, refs)]
        outcomes = [p.communicate(timeout=400) for p in procs]
        took = time.perf_counter() - start
    attempts = []
    for proc, ref, (out, err) in zip(procs, refs, outcomes):
        found = re.search(r"pushed after (\d+) attempt", out)
        if proc.returncode or not found:
            raise SystemExit(f"{ref}: exit {proc.returncode}: {err.strip()}")
        attempts.append(int(found[1]))
    print(f"{len(refs)} concurrent --push promotions from {len(refs)} clones: all landed in {took:.1f} s; "
          f"attempts {sorted(attempts)} ({sum(attempts)} in all)")


if __name__ == "__main__":
    sys.exit(main())
