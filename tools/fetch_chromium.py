#!/usr/bin/env python3
"""Debian's chromium for the browser tests, unpacked into .venv with the shared libraries this
machine lacks: nothing is installed system-wide.

    python tools/fetch_chromium.py .venv/opt/chromium     # then .venv/bin/chromium --headless ...

Through tools/fetch_debs.py's private apt configuration (.venv/apt): `apt-get download` of
chromium and every package it depends on that dpkg does not list as installed here (the first
of each set of alternatives, recursively), then `dpkg-deb -x` of each into FOLDER/root. GTK and
the desktop helpers are left out: headless chromium never loads them (it opens GTK only for a
window). `.venv/bin/chromium` runs it with LD_LIBRARY_PATH on the unpacked libraries. `ldd`
then checks that every library resolves; a second run with the same version does nothing.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fetch_debs import APT_DIR, FetchError, _apt_options, _run  # noqa: E402

PACKAGE = "chromium"
BINARY = "usr/lib/chromium/chromium"
SKIP = {"libgtk-3-0", "libgtk-4-1", "x11-utils", "xdg-utils"}  # a window's, not headless chromium's
MANIFEST = ".fetch_chromium.json"
WRAPPER = Path(__file__).resolve().parents[1] / ".venv" / "bin" / "chromium"


def _out(argv: list[str], timeout: float = 300) -> str:
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    except FileNotFoundError:
        raise FetchError(f"{argv[0]} not found; this needs Debian's apt-get, apt-cache and dpkg") from None
    if proc.returncode != 0:
        raise FetchError(f"{' '.join(argv[:2])} exited with {proc.returncode}: {proc.stderr.strip()[-300:]}")
    return proc.stdout


def installed() -> set[str]:
    """Packages dpkg lists as installed on this machine (read only)."""
    out = _out(["dpkg-query", "-W", "-f", "${Package}\t${db:Status-Abbrev}\n"])
    return {line.split("\t")[0].split(":")[0] for line in out.splitlines() if line.endswith("\tii ")}


def first_alternatives(depends: str) -> dict[str, list[str]]:
    """`apt-cache depends` output -> {package: the first real alternative of each Depends/PreDepends}."""
    found: dict[str, list[str]] = {}
    package, pending = None, False
    for line in depends.splitlines():
        if not line.startswith(" "):
            package, pending = line.strip(), False
            found.setdefault(package, [])
            continue
        key, _, name = line.strip().partition(": ")
        alternative = key.startswith("|")
        if key.lstrip("|") not in ("Depends", "PreDepends"):
            continue
        if not pending and not name.startswith("<"):
            found[package].append(name.split(":")[0])
            pending = alternative  # the rest of this set is not needed
        elif not alternative:
            pending = False
    return found


def closure(options: list[str], have: set[str]) -> list[str]:
    """chromium and what it needs that is not installed here, one apt-cache call per level."""
    wanted, level = [PACKAGE], [PACKAGE]
    while level:
        out = _out(["apt-cache", *options, "depends", "--no-recommends", "--no-suggests", "--no-conflicts",
                    "--no-breaks", "--no-replaces", "--no-enhances", *level])
        level = sorted({d for deps in first_alternatives(out).values() for d in deps
                        if d not in have and d not in SKIP and d not in wanted})
        wanted += level
    return wanted


def library_dirs(root: Path) -> list[Path]:
    return sorted({p.parent for p in root.rglob("*.so*") if "usr/lib" in str(p) and p.is_file()})


def missing_libraries(root: Path) -> list[str]:
    env = {**os.environ, "LD_LIBRARY_PATH": ":".join(map(str, library_dirs(root)))}
    out = subprocess.run(["ldd", str(root / BINARY)], capture_output=True, text=True, env=env, timeout=60).stdout
    return sorted({line.split()[0] for line in out.splitlines() if "not found" in line})


def write_wrapper(root: Path, wrapper: Path) -> None:
    dirs = ":".join(str(d.resolve()) for d in library_dirs(root))
    wrapper.parent.mkdir(parents=True, exist_ok=True)
    wrapper.write_text(f'#!/bin/sh\n# Debian\'s chromium from {root.resolve().parent} (tools/fetch_chromium.py)\n'
                       f'LD_LIBRARY_PATH="{dirs}${{LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}}" exec "{(root / BINARY).resolve()}" "$@"\n')
    wrapper.chmod(0o755)


def fetch(dest: Path, label: str) -> str:
    """Download, unpack and check; the version installed."""
    options = _apt_options(APT_DIR)
    print(f"{label}: updating package lists under {APT_DIR} ...", flush=True)
    _run(["apt-get", *options, "-q", "update"], timeout=900)
    version = _out(["apt-cache", *options, "show", "--no-all-versions", PACKAGE]).split("\nVersion: ", 1)[1].split()[0]
    packages = closure(options, installed())
    print(f"{label}: downloading {PACKAGE} {version} and {len(packages) - 1} libraries this machine lacks ...", flush=True)
    with tempfile.TemporaryDirectory(prefix="fetch-chromium-") as tmp:
        _run(["apt-get", *options, "-q", "download", *packages], timeout=900, cwd=Path(tmp))
        partial = dest.with_name(dest.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        (partial / "root").mkdir(parents=True)
        for deb in sorted(Path(tmp).glob("*.deb")):
            _run(["dpkg-deb", "-x", str(deb), str(partial / "root")], timeout=300)
        (partial / MANIFEST).write_text(json.dumps({"version": version, "packages": packages}, indent=1) + "\n")
        lacking = missing_libraries(partial / "root")
        if lacking:
            raise FetchError(f"chromium still lacks {', '.join(lacking)}; add their packages, or install them")
        shutil.rmtree(dest, ignore_errors=True)
        partial.replace(dest)  # whole or absent
    write_wrapper(dest / "root", WRAPPER)
    return version


def _manifest(dest: Path) -> dict:
    try:
        return json.loads((dest / MANIFEST).read_text())
    except (OSError, ValueError):
        return {}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="fetch_chromium.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--label", default="fetch_chromium")
    parser.add_argument("dest", type=Path)
    args = parser.parse_args(argv)
    if (args.dest / "root" / BINARY).is_file() and WRAPPER.is_file() and _manifest(args.dest):
        return 0  # there already: no apt at all (make setup's second run); delete the folder to refetch
    try:
        version = fetch(args.dest, args.label)
    except FetchError as exc:
        print(f"{args.label}: error: {exc}", file=sys.stderr)
        return 1
    print(f"{args.label}: installed chromium {version} into {args.dest} (run it as .venv/bin/chromium)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
