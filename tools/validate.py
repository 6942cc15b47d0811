#!/usr/bin/env python3
"""Render every environment and check it: schemas, policies, references, monitoring, Argo CD,
parity, secrets.

    tools/validate.py                       # all environments, text report
    tools/validate.py --env prod --format github
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
if __name__ == "__main__":  # started as a script, maybe by the system Python: use .venv
    from fks_gitops.venv import use_repository_venv

    use_repository_venv()

from fks_gitops import atomic  # noqa: E402
from fks_gitops.cli import guarded, repo_from  # noqa: E402
from fks_gitops.problem import errors  # noqa: E402
from fks_gitops.report import FORMATS, format_report  # noqa: E402
from fks_gitops.validate import validate  # noqa: E402


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="validate.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--env", action="append", metavar="ENV", help="only this environment (repeatable)")
    parser.add_argument("--format", choices=FORMATS, default="text")
    parser.add_argument("--output", metavar="FILE", help="write the report here instead of stdout")
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
    atomic.write(Path(output), text + "\n")


def _main(argv: Sequence[str] | None) -> int:
    args = _parser().parse_args(argv)
    report = validate(
        repo_from(args.repo), args.env, schema_locations=[Path(p) for p in args.schema_location]
    )
    _write(format_report(report, args.format), args.output)
    if args.output and args.format != "text":
        print(format_report(report, "text").splitlines()[-1])
    return 1 if errors(report.problems) else 0


def main(argv: Sequence[str] | None = None) -> int:
    return guarded(lambda: _main(argv))


if __name__ == "__main__":
    sys.exit(main())
