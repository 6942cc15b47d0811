"""Which engine evaluates the Rego policies, and its version, without loading either: validate's
summary names it on every run, also when every result comes from the cache.

    engine()   # "OPA v1.20.2" (embedded, rego.py), or conftest's own versions when it is on PATH
"""
from __future__ import annotations

import shutil

from fks_gitops.proc import run

ENGINE = "OPA v1.20.2"  # what opa-golib-python-bindings 0.4.4 embeds (tests/test_rego.py reads its build info)


def engine() -> str:
    """The engine policy.check() and run_tests() use, with its version."""
    conftest = shutil.which("conftest")
    if not conftest:
        return ENGINE
    out = run([conftest, "--version"], check=False).stdout
    return "conftest " + ", ".join(" ".join(line.split()) for line in out.splitlines() if line.strip())
