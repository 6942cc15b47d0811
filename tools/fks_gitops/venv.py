"""Run the command lines with the repository's virtualenv, however they were started.

`tools/validate.py` has a `#!/usr/bin/env python3` line, and the system Python lacks the pinned
packages; `make setup` puts them in `.venv`. Imported first by every tool:

    from fks_gitops import venv; venv.use_repository_venv()
"""
from __future__ import annotations

import os
import sys
from pathlib import Path


# Also where `make setup` unpacks promtool and amtool: tools look there before PATH (proc.require).
BIN = Path(__file__).resolve().parents[2] / ".venv" / "bin"


def use_repository_venv() -> None:
    python = BIN / "python"
    if python.exists() and Path(sys.prefix).resolve() != python.parent.parent.resolve():
        os.execv(str(python), [str(python), *sys.argv])
