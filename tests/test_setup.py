"""`make setup` in a fresh clone, with a scratch HOME and every apt-get, apt, dpkg and sudo call
recorded through a PATH wrapper: it only downloads, adds no systemd unit, leaves the checkers at
the deployed versions (and the prometheus server the verification tests start) in .venv/bin, and a
second run does nothing.

About 30 s with a warm pip cache (the machine's own cache is reused; the apt downloads are not):
marked `setup`, run by `make test`; `pytest -m "not setup"` leaves it out.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from conftest import REPO

pytestmark = pytest.mark.setup
WRAPPED = ("apt-get", "apt", "dpkg", "sudo")
UNIT_DIRS = (Path("/etc/systemd/system"), Path("/lib/systemd/system"))


def _units() -> set[str]:
    return {str(p) for d in UNIT_DIRS if d.is_dir() for p in d.rglob("*")}


def _clone(dest: Path) -> Path:
    """A clone, with the working tree's tracked files on top (what is being tested, committed or not)."""
    subprocess.run(["git", "clone", "-q", "--local", str(REPO), str(dest)], check=True)
    tracked = subprocess.run(["git", "-C", str(REPO), "ls-files", "-z"], capture_output=True, check=True).stdout
    for name in filter(None, tracked.decode().split("\0")):
        if (REPO / name).is_file():
            shutil.copy2(REPO / name, dest / name)
    return dest


def _wrappers(folder: Path, log: Path) -> str:
    folder.mkdir()
    for name in WRAPPED:
        real = shutil.which(name)
        if real:
            script = folder / name
            script.write_text(f'#!/bin/sh\necho "{name} $*" >> "{log}"\nexec "{real}" "$@"\n')
            script.chmod(0o755)
    return f"{folder}{os.pathsep}{os.environ['PATH']}"


def _subcommand(call: str) -> str:
    """`update` of `apt-get -o Dir::Etc=... -q update`."""
    args, i = call.split()[1:], 0
    while args[i].startswith("-"):
        i += 2 if args[i] == "-o" else 1
    return args[i]


def _setup(clone: Path, env: dict) -> tuple[subprocess.CompletedProcess, float]:
    started = time.monotonic()
    proc = subprocess.run(["make", "setup"], cwd=clone, env=env, capture_output=True, text=True, timeout=900)
    return proc, time.monotonic() - started


def test_make_setup_in_a_fresh_clone_installs_nothing_on_the_machine(tmp_path):
    clone, log = _clone(tmp_path / "clone"), tmp_path / "calls.log"
    (tmp_path / "home").mkdir()
    cache = os.environ.get("PIP_CACHE_DIR") or str(Path.home() / ".cache" / "pip")
    # A make of its own, as an operator starts it: under `make test`, the parent's MAKEFLAGS and
    # MAKELEVEL would make it print "Entering directory" lines.
    outer = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS", "MAKEOVERRIDES")}
    env = {**outer, "HOME": str(tmp_path / "home"), "PIP_CACHE_DIR": cache, "PATH": _wrappers(tmp_path / "wrap", log)}
    units = _units()

    proc, _ = _setup(clone, env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    calls = log.read_text().splitlines() if log.exists() else []
    assert calls and all(c.startswith("apt-get ") for c in calls), calls
    assert {_subcommand(c) for c in calls} == {"update", "download"}, calls
    assert _units() == units
    steps = {line.split(":")[1].strip() for line in proc.stdout.splitlines() if line.startswith("setup: ")}
    assert {"venv", "packages", "monitoring tools", "faketime", "chromium"} <= steps, proc.stdout
    version = subprocess.run([str(clone / ".venv/bin/promtool"), "--version"], capture_output=True, text=True).stdout
    assert version.startswith("promtool, version 3.5.3")
    browser = subprocess.run([str(clone / ".venv/bin/chromium"), "--version"], capture_output=True, text=True, timeout=60)
    assert browser.stdout.startswith("Chromium "), browser.stderr
    server = subprocess.run([str(clone / ".venv/bin/prometheus"), "--version"], capture_output=True, text=True).stdout
    assert server.startswith("prometheus, version 3.5.3")  # the verification tests' server, promtool's version

    again, seconds = _setup(clone, env)
    assert (again.returncode, again.stdout, again.stderr) == (0, "setup: .venv is ready\n", "")
    assert log.read_text().splitlines() == calls  # no apt at all the second time
    assert seconds < 5
