#!/usr/bin/env python3
"""Render every environment and check it: schemas, policies, references, monitoring, Argo CD,
parity, secrets.

    tools/validate.py                       # all environments, text report
    tools/validate.py --env prod --format github
    tools/validate.py --diff origin/main                    # and what changed against origin/main
    tools/validate.py --diff origin/main --format markdown --output diff.md --sarif validate.sarif

--diff BASE renders every environment at BASE (a git ref) too, in parallel while the working tree
is validated, and prints per environment the changed objects, each in its risk class, with a
unified diff; secret values show only as changed or unchanged. Its formats are text and markdown
(a pull-request comment, kept under GitHub's size limit). The exit code is validate's.
"""
from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

STARTED = time.perf_counter()  # a remembered report's time counts from here: the probe may run at import
sys.path.insert(0, str(Path(__file__).resolve().parent))
if __name__ == "__main__":  # started as a script, maybe by the system Python: use .venv
    from fks_gitops.venv import use_repository_venv

    use_repository_venv()

# Nothing that renders or checks loads here: a run that runcache remembers needs none of it.
from fks_gitops import runcache  # noqa: E402

if __name__ == "__main__":
    # A run allocates mostly acyclic, short-lived objects (parsed YAML, JSON) that reference
    # counting frees: collecting cycles about 140 times less often saves a few per cent of a
    # run, and measured no memory (peak RSS with the cache off).
    import gc

    gc.set_threshold(100_000, 50, 100)
    runcache.early(sys.argv[1:])  # kustomize starts for what changed, beside the imports below

from fks_gitops.cli import guarded, repo_from  # noqa: E402
from fks_gitops.errors import GitOpsError  # noqa: E402
from fks_gitops.problem import errors  # noqa: E402
from fks_gitops.report import FORMATS, Report, format_report, summary  # noqa: E402

DIFF_FORMATS = ("text", "markdown")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="validate.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--env", action="append", metavar="ENV", help="only this environment (repeatable)")
    parser.add_argument("--format", choices=sorted(set(FORMATS) | set(DIFF_FORMATS)), default="text",
                        help=f"{', '.join(FORMATS)}; with --diff: {', '.join(DIFF_FORMATS)}")
    parser.add_argument("--output", metavar="FILE", help="write the report here instead of stdout")
    parser.add_argument("--diff", metavar="BASE", help="also show what the working tree changes against this git ref")
    parser.add_argument("--sarif", metavar="FILE", help="also write the problems here as SARIF (for code scanning)")
    parser.add_argument(
        "--schema-location", action="append", default=[], metavar="DIR",
        help="extra schemas in kubeconform's {group}/{kind}_{version}.json layout (repeatable)",
    )
    parser.add_argument("--repo", metavar="PATH", help="repository root (default: found from the current folder)")
    return parser


def _write(text: str, output: str | None) -> None:
    if output is None:
        print(text)
        return
    from fks_gitops import atomic  # noqa: PLC0415

    atomic.write(Path(output), text + "\n")


def _checked(repo: Path, args) -> Report:
    """The report: the last run's when runcache vouches that nothing it read changed, else a
    validate run (the overlays that must render already rendering), kept for the next."""
    started = STARTED if __name__ == "__main__" else time.perf_counter()
    probe = runcache.Probe.early(repo, args.env, args.schema_location) or runcache.Probe.take(repo, args.env, args.schema_location)
    remembered = probe.report() if probe else None
    if remembered:
        return Report.remembered(remembered, time.perf_counter() - started)
    try:
        if probe:
            probe.prestart()
        from fks_gitops.envcache import CHECK_INPUTS  # noqa: PLC0415
        from fks_gitops.validate import validate  # noqa: PLC0415

        report = validate(repo, args.env, schema_locations=[Path(p) for p in args.schema_location],
                          seen=probe.seen() if probe else None)
    finally:
        runcache.abandon()
    if probe:
        probe.record(report, CHECK_INPUTS)
    return report


def _main(argv: Sequence[str] | None) -> int:
    args = _parser().parse_args(argv)
    allowed = DIFF_FORMATS if args.diff else FORMATS
    if args.format not in allowed:
        raise GitOpsError(f"--format {args.format} {'does not go with' if args.diff else 'needs'} --diff; "
                          f"use one of {', '.join(allowed)}")
    repo = repo_from(args.repo)
    if args.diff:
        from fks_gitops.validate import validate  # noqa: PLC0415

        report, text = _diff(repo, args, lambda: validate(repo, args.env, schema_locations=[Path(p) for p in args.schema_location]))
    else:
        report = _checked(repo, args)
        text = format_report(report, args.format)
    _write(text, args.output)
    if args.sarif:
        from fks_gitops import atomic  # noqa: PLC0415

        atomic.write(Path(args.sarif), format_report(report, "sarif") + "\n")
    if args.output and args.format != "text":
        print(summary(report))
    return 1 if errors(report.problems) else 0


def _diff(repo: Path, args, run) -> tuple[Report, str]:
    from fks_gitops.diff import markdown, text  # noqa: PLC0415 - only --diff needs them
    from fks_gitops.diff.tree import BaseRenders  # noqa: PLC0415
    from fks_gitops.environments import load  # noqa: PLC0415
    from fks_gitops.repo_git import Git  # noqa: PLC0415

    names = [e.name for e in load(repo).select(args.env)]
    with BaseRenders(Git.open(repo), args.diff, names) as base:
        report = run()
        diff = base.compare(report.rendered)
    if args.format == "markdown":
        return report, markdown.markdown(diff, summary(report)).rstrip("\n")
    return report, text.text(diff, format_report(report, "text").splitlines())


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return guarded(lambda: _main(argv))
    finally:
        runcache.abandon()  # a kustomize started early that no render took (an argument error, --diff)


def _exit(code: int) -> None:
    """Exit without the interpreter's teardown, as mypy does: every file is written, every pool
    joined and every kustomize stopped by now, and freeing the modules (OPA's runtime among them)
    costs about 20 ms of each pre-commit run. A failed flush takes the ordinary way."""
    import os  # noqa: PLC0415

    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:
        sys.exit(code)
    os._exit(code)


if __name__ == "__main__":
    _exit(main())
