"""Headless Chromium for the page tests: Debian's chromium, unpacked into .venv by `make setup`
(tools/fetch_chromium.py), never installed system-wide.

    dom = dump_dom(page, tmp_path)                 # the DOM after the page's scripts ran
    shot = screenshot(page, tmp_path / "shot.png")

A test without chromium fails and says how to get it, never skips: a browser check that did not
run must not read as passed. A chromium that is there but cannot start fails with its own words.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

WRAPPER = Path(__file__).resolve().parents[1] / ".venv" / "bin" / "chromium"
# As root there is no setuid sandbox helper; the tests load only the repository's own page.
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
         "--disable-background-networking", "--disable-extensions", "--disable-dev-shm-usage")


def chromium() -> Path:
    if not WRAPPER.is_file():
        pytest.fail(f"{WRAPPER.relative_to(WRAPPER.parents[2])} not found; run `make setup` (it unpacks Debian's "
                    "chromium and the libraries this machine lacks into .venv)", pytrace=False)
    return WRAPPER


def _run(page: Path, scratch: Path, *args: str) -> subprocess.CompletedProcess:
    profile = scratch / "chromium-profile"
    argv = [str(chromium()), *FLAGS, f"--user-data-dir={profile}", *args, page.resolve().as_uri()]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        pytest.fail(f"chromium exited with {proc.returncode}: {proc.stderr.strip()[-2000:]}", pytrace=False)
    return proc


def dump_dom(page: Path, scratch: Path) -> str:
    return _run(page, scratch, "--dump-dom").stdout


def screenshot(page: Path, path: Path, size: tuple[int, int] = (1400, 1000)) -> Path:
    _run(page, path.parent, f"--screenshot={path}", f"--window-size={size[0]},{size[1]}")
    if not path.is_file():
        pytest.fail(f"chromium wrote no screenshot to {path}", pytrace=False)
    return path
