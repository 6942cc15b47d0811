"""tools/fetch_debs.py: the private apt sources and the nothing-to-do path (the download itself
runs in `make setup`, and tests/test_clock.py uses what it unpacked)."""
from __future__ import annotations

import subprocess
import sys

import fetch_debs
from conftest import REPO

DEB822 = """Types: deb
# a comment
URIs: http://mirror.invalid/debian
Suites: bookworm bookworm-updates
Components: main contrib
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://mirror.invalid/debian
Suites: bookworm
Components: main

Types: deb
URIs: http://mirror.invalid/security
Suites: bookworm-security
Components: main
Enabled: no
"""


def test_deb822_sources_become_one_line_entries():
    assert fetch_debs._deb822_lines(DEB822) == [
        "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://mirror.invalid/debian bookworm main contrib",
        "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://mirror.invalid/debian bookworm-updates main contrib",
    ]


def test_an_inline_key_falls_back_to_the_debian_keyring():
    text = "Types: deb\nURIs: http://mirror.invalid/debian\nSuites: bookworm\nComponents: main\nSigned-By:\n -----BEGIN PGP PUBLIC KEY BLOCK-----\n .\n"
    assert fetch_debs._deb822_lines(text) == [f"deb [signed-by={fetch_debs.KEYRING}] http://mirror.invalid/debian bookworm main"]


def _run(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(REPO / "tools" / "fetch_debs.py"), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=60)


def test_files_already_there_need_no_apt(tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "libfaketime.so.1").write_bytes(b"x")
    proc = _run("lib", "libfaketime:*/faketime/libfaketime.so.1", cwd=tmp_path)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    assert not (tmp_path / ".venv").exists()  # no apt configuration made, nothing fetched


def test_a_malformed_spec_is_one_line(tmp_path):
    proc = _run("lib", "libfaketime", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr == "fetch_debs: error: 'libfaketime' is not PACKAGE[=VERSION]:GLOB, e.g. 'libfaketime:*/libfaketime.so.1'\n"
