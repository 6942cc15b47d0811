#!/usr/bin/env python3
"""Copy files out of Debian packages into .venv, installing nothing on the system.

    python tools/fetch_debs.py .venv/lib/faketime 'libfaketime:*/faketime/libfaketime.so.1'
    python tools/fetch_debs.py --suite sid --label "setup: monitoring tools" .venv/bin 'promtool=3.5.3+ds1-6:usr/bin/promtool'

Each argument after the folder is PACKAGE[=VERSION]:GLOB (a version without an epoch); the files
of PACKAGE whose path matches GLOB land flat in the folder. Nothing happens when every wanted
file is there already, from the pinned version (recorded in the folder's .fetch_debs.json). apt
runs with a private configuration under .venv/apt (its own sources.list, package lists, cache and
status), read from the machine's apt sources, so /etc and /var/lib/apt are only read, never
written: `apt-get update` with that configuration, `apt-get download`, then `dpkg-deb -x` into a
scratch folder. `--suite` takes the machine's Debian mirror with another suite instead (state in
.venv/apt-SUITE); `--label` starts each progress line. Run as any user; root is not needed.
"""
from __future__ import annotations

import argparse
import fnmatch
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

APT_DIR = Path(".venv/apt")
SOURCES = (Path("/etc/apt/sources.list"), Path("/etc/apt/sources.list.d"))
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
MANIFEST = ".fetch_debs.json"  # in the destination folder: {file name: "package=version"}


class FetchError(Exception):
    pass


def _deb822_lines(text: str) -> list[str]:
    """One-line `deb` entries from a deb822 .sources file (each URI with each suite)."""
    lines = []
    for stanza in text.split("\n\n"):
        fields: dict[str, str] = {}
        for raw in stanza.splitlines():
            if raw.strip() and not raw.lstrip().startswith("#") and ":" in raw and not raw[0].isspace():
                key, _, value = raw.partition(":")
                fields[key.strip().lower()] = value.strip()
        if "deb" not in fields.get("types", "").split() or fields.get("enabled", "yes") == "no":
            continue
        key = fields.get("signed-by", "")
        key = key if key.startswith("/") else KEYRING  # an inline key block: use Debian's keyring
        for uri in fields.get("uris", "").split():
            lines += [f"deb [signed-by={key}] {uri} {suite} {fields.get('components', 'main')}"
                      for suite in fields.get("suites", "").split()]
    return lines


def sources_list() -> str:
    """The machine's `deb` sources as one sources.list, so the private apt uses the same mirror and suites."""
    lines = []
    system_list, parts = SOURCES
    files = [system_list] if system_list.is_file() else []
    files += sorted(parts.glob("*.list")) + sorted(parts.glob("*.sources")) if parts.is_dir() else []
    for path in files:
        text = path.read_text()
        if path.suffix == ".sources":
            lines += _deb822_lines(text)
        else:
            lines += [ln.strip() for ln in text.splitlines() if ln.strip().startswith("deb ")]
    if not lines:
        raise FetchError("no `deb` line in /etc/apt/sources.list or /etc/apt/sources.list.d/; add the Debian mirror there")
    return "\n".join(lines) + "\n"


def suite_list(machine: str, suite: str) -> str:
    """The machine's Debian archive entries (Debian's keyring, a release suite) with `suite`'s main."""
    lines = []
    for line in machine.splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[1] == f"[signed-by={KEYRING}]" and "-" not in parts[3]:
            lines.append(f"deb [signed-by={KEYRING}] {parts[2]} {suite} main")
    if not lines:
        raise FetchError(f"no Debian archive among the machine's apt sources to take {suite} from")
    return "\n".join(dict.fromkeys(lines)) + "\n"


def _apt_options(apt_dir: Path, suite: str | None = None) -> list[str]:
    root = apt_dir.resolve()
    for sub in ("etc/apt.conf.d", "etc/preferences.d", "etc/sources.list.d", "state/lists/partial", "cache/archives/partial"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    (root / "etc/sources.list").write_text(suite_list(sources_list(), suite) if suite else sources_list())
    (root / "state/status").touch()
    options = {
        "Dir::Etc": root / "etc", "Dir::Etc::SourceList": root / "etc/sources.list",
        "Dir::Etc::SourceParts": root / "etc/sources.list.d", "Dir::Etc::Parts": root / "etc/apt.conf.d",
        "Dir::Etc::PreferencesParts": root / "etc/preferences.d", "Dir::State": root / "state",
        "Dir::State::status": root / "state/status", "Dir::Cache": root / "cache",
        "Acquire::Languages": "none",  # package lists only; translations are not needed to download
    }
    if os.geteuid() == 0:  # root's apt would hand downloads to the _apt user, who cannot write in .venv
        options["APT::Sandbox::User"] = "root"
    return [arg for key, value in options.items() for arg in ("-o", f"{key}={value}")]


def _run(argv: list[str], timeout: float, cwd: Path | None = None) -> None:
    try:
        proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)
    except FileNotFoundError:
        raise FetchError(f"{argv[0]} not found; this needs Debian's apt-get and dpkg-deb") from None
    except subprocess.TimeoutExpired:
        raise FetchError(f"{' '.join(argv[:2])} did not finish within {timeout:g} s; check the network") from None
    if proc.returncode != 0:
        tail = [ln for ln in (proc.stderr or proc.stdout).splitlines() if ln.strip()][-3:]
        raise FetchError(f"{' '.join(argv[:2])} exited with {proc.returncode}: {' | '.join(tail) or 'no output'}")


def _wanted(specs: list[str]) -> dict[str, list[str]]:
    """{PACKAGE[=VERSION]: [GLOB, ...]}"""
    wanted: dict[str, list[str]] = {}
    for spec in specs:
        package, sep, pattern = spec.partition(":")
        if not sep or not package.partition("=")[0] or not pattern:
            raise FetchError(f"{spec!r} is not PACKAGE[=VERSION]:GLOB, e.g. 'libfaketime:*/libfaketime.so.1'")
        wanted.setdefault(package, []).append(pattern)
    return wanted


def _manifest(dest: Path) -> dict[str, str]:
    try:
        return json.loads((dest / MANIFEST).read_text())
    except (OSError, ValueError):
        return {}


def up_to_date(dest: Path, wanted: dict[str, list[str]]) -> bool:
    """Every wanted file is in `dest`, and a pinned package's files came from that version."""
    recorded = _manifest(dest)
    return all((dest / Path(p).name).is_file() and ("=" not in package or recorded.get(Path(p).name) == package)
               for package, patterns in wanted.items() for p in patterns)


def fetch(dest: Path, wanted: dict[str, list[str]], apt_dir: Path = APT_DIR, suite: str | None = None,
          label: str = "fetch_debs") -> list[Path]:
    """Download the packages, unpack each in a scratch folder, copy the matching files into `dest`."""
    apt_dir = apt_dir.with_name(f"{apt_dir.name}-{suite}") if suite else apt_dir
    options = _apt_options(apt_dir, suite)
    print(f"{label}: updating package lists under {apt_dir} ...", flush=True)
    _run(["apt-get", *options, "-q", "update"], timeout=900)
    copied = []
    with tempfile.TemporaryDirectory(prefix="fetch-debs-") as tmp:
        scratch = Path(tmp)
        print(f"{label}: downloading {', '.join(wanted)} ...", flush=True)
        _run(["apt-get", *options, "-q", "download", *wanted], timeout=600, cwd=scratch)
        for spec, patterns in wanted.items():
            package = spec.partition("=")[0]
            deb = next(iter(sorted(scratch.glob(f"{package}_*.deb"))), None)
            if deb is None:
                raise FetchError(f"apt-get download left no {package}_*.deb")
            root = scratch / package
            _run(["dpkg-deb", "-x", str(deb), str(root)], timeout=120)
            copied += _copy(root, patterns, dest, package)
    fetched = {Path(p).name: spec for spec, patterns in wanted.items() for p in patterns}
    (dest / MANIFEST).write_text(json.dumps({**_manifest(dest), **fetched}, indent=1, sort_keys=True) + "\n")
    return copied


def _copy(root: Path, patterns: list[str], dest: Path, package: str) -> list[Path]:
    dest.mkdir(parents=True, exist_ok=True)
    copied = []
    for pattern in patterns:
        found = [p for p in sorted(root.rglob("*")) if p.is_file() and fnmatch.fnmatch(str(p.relative_to(root)), pattern)]
        if not found:
            raise FetchError(f"{package} holds no file matching {pattern!r}")
        for path in found:
            partial = dest / f".{path.name}.partial"
            shutil.copy2(path, partial)
            partial.replace(dest / path.name)  # whole or absent: a half-copied library would load and crash
            copied.append(dest / path.name)
    return copied


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fetch_debs.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--suite", help="this Debian suite (e.g. sid) from the machine's Debian mirror")
    parser.add_argument("--label", default="fetch_debs", help="what each progress line starts with")
    parser.add_argument("dest", type=Path)
    parser.add_argument("specs", nargs="+", metavar="PACKAGE[=VERSION]:GLOB")
    return parser


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    try:
        wanted = _wanted(args.specs)
        if up_to_date(args.dest, wanted):
            return 0
        copied = fetch(args.dest, wanted, suite=args.suite, label=args.label)
    except FetchError as exc:
        print(f"{args.label}: error: {exc}", file=sys.stderr)
        return 1
    print(f"{args.label}: installed {', '.join(p.name for p in copied)} into {args.dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
