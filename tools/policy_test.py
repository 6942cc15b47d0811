#!/usr/bin/env python3
"""Run the Rego unit tests in policy/ (every `test_*` rule, OPA's test semantics), nothing else.

    tools/policy_test.py                     # one line per failing test, then coverage; exit 1 if any fails
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
    failures, coverage = policy.test_run(repo_from(args.repo) / "policy")
    for problem in failures:
        print(problem)
    covered = f", {coverage:.1f} % of the policies' lines covered" if coverage is not None else ""
    verdict = f"{len(failures)} failing" if failures else "all passed"
    print(f"policy tests: {verdict} ({policy.engine()}{covered})")
    return 1 if failures else 0


def main(argv: Sequence[str] | None = None) -> int:
    return guarded(lambda: _main(argv))


if __name__ == "__main__":
    sys.exit(main())
