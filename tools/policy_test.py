#!/usr/bin/env python3
"""Run the Rego unit tests in policy/ (every `test_*` rule of every `*_test.rego`), nothing else.

    tools/policy_test.py                     # one line per failing test; exit 1 if any fails
    tools/policy_test.py --repo ../other-checkout
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

from fks_gitops import policy  # noqa: E402
from fks_gitops.cli import guarded, repo_from  # noqa: E402


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="policy_test.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", metavar="PATH", help="repository root (default: found from the current folder)")
    return parser


def _main(argv: Sequence[str] | None) -> int:
    args = _parser().parse_args(argv)
    failures = policy.run_tests(repo_from(args.repo) / "policy")
    for problem in failures:
        print(problem)
    print(f"policy tests: {len(failures)} failing" if failures else "policy tests: all passed")
    return 1 if failures else 0


def main(argv: Sequence[str] | None = None) -> int:
    return guarded(lambda: _main(argv))


if __name__ == "__main__":
    sys.exit(main())
