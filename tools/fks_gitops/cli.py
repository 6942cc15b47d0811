"""What every command line shares: finding the repository and turning failures into exit codes.

    def main(argv=None):
        return guarded(lambda: _main(argv))

Exit codes: 0 done, 1 problems or refused by a gate, 2 usage or input error, 3 a bug.
"""
from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from fks_gitops.errors import GitOpsError, Refused, ToolFailed

CONFIG = "environments.yaml"  # what marks a repository's top (environments.FILE)


def exit_code(error: GitOpsError) -> int:
    """The one place exit codes are chosen: 1 refused (or problems found), 3 a tool failed, 2 usage."""
    if isinstance(error, Refused):
        return 1
    if isinstance(error, ToolFailed):
        return 3
    return 2


def repo_from(option: str | None) -> Path:
    return find_repo(Path(option) if option else None)


def find_repo(start: Path | None = None) -> Path:
    """The nearest folder at or above `start` that holds environments.yaml (without loading it:
    validate's remembered run needs no more)."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG).is_file():
            return folder
    raise GitOpsError(f"no {CONFIG} in {here} or above; run inside the repository or pass --repo")


def guarded(body: Callable[[], int]) -> int:
    try:
        return body()
    except SystemExit as exc:  # argparse has printed its usage error (2) or --help (0)
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    except GitOpsError as exc:
        for line in exc.lines:
            print(line, file=sys.stderr)
        print(f"error: {exc}", file=sys.stderr)
        return exit_code(exc)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception:  # anything else is a bug: say so, keep the traceback for the report
        import traceback  # noqa: PLC0415 - a few ms of every run that needs it only here

        traceback.print_exc()
        print("error: unexpected failure (a bug); please report it with the traceback above", file=sys.stderr)
        return 3
