"""Run the command lines with the repository's virtualenv, however they were started.

`tools/validate.py` has a `#!/usr/bin/env python3` line, and the system Python lacks the pinned
packages; `make setup` puts them in `.venv`. Imported first by every tool, before anything
outside the standard library:

    from fks_gitops import venv; venv.use_repository_venv()

Without the packages (no `.venv`, or a half-made one) a tool prints `run make setup first` and
exits 2, never a ModuleNotFoundError traceback.
"""
from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

# Also where `make setup` unpacks promtool and amtool: tools look there before PATH (proc.require).
BIN = Path(__file__).resolve().parents[2] / ".venv" / "bin"
# One module of each direct dependency (requirements.lock pins them and theirs; OPA's bindings
# are in requirements-opa.lock).
MODULES = ("yaml", "ruamel.yaml", "kubernetes_validate", "jsonschema_rs", "cryptography", "holidays",
           "dateutil", "opa_bindings")


def missing() -> list[str]:
    """The dependency modules this Python cannot import."""
    return [m for m in MODULES if importlib.util.find_spec(m.split(".")[0]) is None
            or ("." in m and importlib.util.find_spec(m) is None)]


def use_repository_venv() -> None:
    python = BIN / "python"
    if python.exists() and Path(sys.prefix).resolve() != python.parent.parent.resolve():
        os.execv(str(python), [str(python), *sys.argv])
    absent = missing()
    if absent:
        print(f"error: run make setup first ({', '.join(absent)} not installed for {sys.executable})", file=sys.stderr)
        sys.exit(2)
    keep_bytecode()


def keep_bytecode() -> None:
    """Under PYTHONDONTWRITEBYTECODE (set on many machines and images so that no .pyc lands beside
    the sources), every run would compile each module it imports again: about 0.1 s of a
    pre-commit run. The compiled code goes to the tools' cache folder instead
    ($XDG_CACHE_HOME/fks-gitops/bytecode, a mirror of the source paths), never into the work
    tree; Python checks each file against its source's size and time as it always does. An
    explicit PYTHONPYCACHEPREFIX is kept."""
    if not sys.dont_write_bytecode or sys.pycache_prefix is not None:
        return
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    sys.pycache_prefix = os.path.join(cache, "fks-gitops", "bytecode")
    sys.dont_write_bytecode = False
