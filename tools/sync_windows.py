#!/usr/bin/env python3
"""Write the Argo CD syncWindows that enforce environments.yaml's freezes onto the AppProject.

    tools/sync_windows.py                    # a year of windows from today
    tools/sync_windows.py --from 2026-12-01  # from a given day (what validate regenerates)
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
if __name__ == "__main__":  # started as a script, maybe by the system Python: use .venv
    from fks_gitops.venv import use_repository_venv

    use_repository_venv()

from fks_gitops import environments, syncwindows_file  # noqa: E402
from fks_gitops.cli import guarded, repo_from  # noqa: E402
from fks_gitops.syncwindows import horizon  # noqa: E402


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-12-01") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sync_windows.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--from", dest="start", type=_day, metavar="YYYY-MM-DD",
                        help="first day the windows cover (default: today, UTC)")
    parser.add_argument("--repo", metavar="PATH", help="repository root (default: found from the current folder)")
    return parser


def _main(argv: Sequence[str] | None) -> int:
    args = _parser().parse_args(argv)
    config = environments.load(repo_from(args.repo))
    start = args.start or dt.datetime.now(dt.timezone.utc).date()
    path = syncwindows_file.write(config, start)
    print(f"{path.relative_to(config.repo)}: sync windows from {start} until {horizon(start)}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return guarded(lambda: _main(argv))


if __name__ == "__main__":
    sys.exit(main())
