"""A faked wall clock for the command-line tests, through libfaketime (`make setup` provides it).

    env = faketime_env(dt.datetime(2026, 12, 7, 15, 0, tzinfo=dt.timezone.utc))
    subprocess.run([sys.executable, "tools/promote.py", "--to", "prod"], env=env)

promote.py takes no clock option on anything that writes, so the tests move the clock of the
process the way the operating system would: every process started with this environment, and
every child it starts (git, kustomize), begins at `moment` and ticks from there.
"""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

LIBRARY = Path(__file__).resolve().parents[1] / ".venv" / "lib" / "faketime" / "libfaketime.so.1"
# Go binaries (kustomize, kubectl, promtool) read the clock through the vDSO, not libc, so the
# library cannot fake it there; it is kept out of them rather than half-loaded.
REAL_CLOCK_COMMANDS = ("kustomize", "kubectl", "promtool", "amtool", "prometheus", "alertmanager")


def library() -> Path:
    """The libfaketime that `make setup` unpacked into .venv; a test without it fails, never skips."""
    if not LIBRARY.is_file():
        pytest.fail(f"{LIBRARY.relative_to(LIBRARY.parents[3])} not found; run `make setup` "
                    "(it unpacks Debian's libfaketime into .venv)", pytrace=False)
    return LIBRARY


def faketime_env(moment: dt.datetime, base: dict[str, str] | None = None) -> dict[str, str]:
    """os.environ (or `base`) with the clock starting at `moment`, an aware datetime."""
    if moment.tzinfo is None:
        raise ValueError("faketime_env needs an aware datetime, e.g. tzinfo=datetime.timezone.utc")
    utc = moment.astimezone(dt.timezone.utc)
    env = dict(os.environ if base is None else base)
    for name in ("GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE"):  # git must take its date from the clock
        env.pop(name, None)
    preload = [str(library()), *filter(None, env.get("LD_PRELOAD", "").split(":"))]
    env.update({
        "LD_PRELOAD": ":".join(preload),
        "FAKETIME": utc.strftime("@%Y-%m-%d %H:%M:%S"),  # "@": start here, then tick
        "TZ": "UTC",  # libfaketime reads FAKETIME as local time; UTC makes it the moment above
        # Monotonic clocks are faked too (they tick from the same start): with them left real,
        # Python's time.sleep inside subprocess timeouts gets an invalid deadline (EINVAL).
        "FAKETIME_DONT_FAKE_MONOTONIC": "0",
        "FAKETIME_SKIP_CMDS": ",".join(REAL_CLOCK_COMMANDS),
    })
    env.pop("FAKETIME_ONLY_CMDS", None)  # libfaketime refuses both lists at once
    return env
