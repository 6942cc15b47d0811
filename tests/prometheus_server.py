"""A real Prometheus for the verification tests: promtool builds a TSDB from synthetic series the
test writes (`promtool tsdb create-blocks-from openmetrics`), and the prometheus server that
`make setup` unpacks into .venv/bin serves it on a free loopback port. No stub: the queries,
their functions and their errors are Prometheus's own.

    lines = series('up{namespace="x"}', start, end, 1)          # one sample a minute
    with serve(tmp_path, lines) as url:                           # ready, or the test fails
        ...                                                       # query with time= inside [start, end]

The blocks lie in the test's past or future, wherever its fixed times put them; a retention of
a century keeps Prometheus from deleting any of them.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pytest

from fks_gitops.proc import run

BIN = Path(__file__).resolve().parents[1] / ".venv" / "bin"
READY_WITHIN = 30.0  # seconds for the server to load the blocks and answer /-/ready
STEP = dt.timedelta(minutes=1)


def binary(name: str) -> str:
    """A test without the server fails, never skips: `make setup` provides it."""
    path = BIN / name
    if not path.is_file():
        pytest.fail(f".venv/bin/{name} not found; run `make setup` (it unpacks Debian's {name} 3.5.3 into .venv)",
                    pytrace=False)
    return str(path)


def series(selector: str, start: dt.datetime, end: dt.datetime, value: float | Callable[[dt.datetime], float],
           step: dt.timedelta = STEP) -> Iterator[str]:
    """OpenMetrics sample lines of one series, from `start` up to `end` inclusive."""
    moment = start
    while moment <= end:
        current = value(moment) if callable(value) else value
        yield f"{selector} {current:g} {moment.timestamp():.0f}"
        moment += step


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _ready(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + READY_WITHIN
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"prometheus exited with {proc.returncode}: {log.read_text()[-2000:]}", pytrace=False)
        try:
            with urllib.request.urlopen(f"{url}/-/ready", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    pytest.fail(f"prometheus at {url} was not ready within {READY_WITHIN:g} s: {log.read_text()[-2000:]}", pytrace=False)


@contextlib.contextmanager
def serve(folder: Path, lines: Iterable[str]) -> Iterator[str]:
    """Build the TSDB in `folder`, start Prometheus on it, yield its URL, stop it at the end."""
    folder.mkdir(parents=True, exist_ok=True)
    data, tsdb, log = folder / "series.om", folder / "tsdb", folder / "prometheus.log"
    data.write_text("\n".join(lines) + "\n# EOF\n")
    run([binary("promtool"), "tsdb", "create-blocks-from", "openmetrics", "--max-block-duration=720h", str(data),
         str(tsdb)], timeout=120)
    (folder / "prometheus.yml").write_text("global: {}\n")  # no scrape: the TSDB is all it serves
    url = f"http://127.0.0.1:{free_port()}"
    with log.open("w") as out:
        proc = subprocess.Popen([binary("prometheus"), f"--config.file={folder / 'prometheus.yml'}",
                                 f"--storage.tsdb.path={tsdb}", "--storage.tsdb.retention.time=100y",
                                 f"--web.listen-address={url.removeprefix('http://')}", "--log.level=warn"],
                                stdout=out, stderr=subprocess.STDOUT)
    try:
        _ready(url, proc, log)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
