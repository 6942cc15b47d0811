"""fks_gitops/venv.py: a tool started without its environment says `run make setup first` in one
line and exits 2, never a traceback. (fetch_debs.py and install_kubectl.py are part of the set-up
itself and need only the standard library.)"""
from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from conftest import REPO

TOOLS = sorted(p.name for p in (REPO / "tools").glob("*.py") if "use_repository_venv()" in p.read_text())


def test_every_command_line_is_covered():
    assert TOOLS == ["policy_test.py", "promote.py", "seal.py", "sync_windows.py", "validate.py"]


@pytest.mark.parametrize("tool", TOOLS)
def test_without_the_packages_a_tool_says_run_make_setup_first(tmp_path, tool):
    shutil.copytree(REPO / "tools", tmp_path / "tools", ignore=shutil.ignore_patterns("__pycache__"))
    # -S: no site-packages, as for a system Python without the pinned packages; no .venv beside it.
    proc = subprocess.run([sys.executable, "-S", str(tmp_path / "tools" / tool), "--help"],
                          capture_output=True, text=True, timeout=60)
    assert (proc.returncode, proc.stdout) == (2, "")
    [line] = proc.stderr.splitlines()
    assert line.startswith("error: run make setup first (yaml, ruamel.yaml, ")
