"""The status page in a real browser: headless Chromium loads status.html for a test history and the
assertions read the DOM it built; a screenshot is kept as a test artifact (its path is printed)."""
from __future__ import annotations

import re
import struct
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

import promote as cli
from browser import dump_dom, screenshot

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "promote_lib"))
from board_history import AT, REASON, make_history  # noqa: E402


class Dom(HTMLParser):
    """Each element's attributes and its text, in document order."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.elements: list[dict] = []
        self._open: list[dict] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        element = {"tag": tag, **dict(attrs), "text": ""}
        self.elements.append(element)
        if tag not in ("meta", "br", "img", "input", "link"):
            self._open.append(element)

    def handle_endtag(self, tag):
        while self._open and self._open.pop()["tag"] != tag:
            pass

    def handle_data(self, data):
        for element in self._open:
            element["text"] += data

    def find(self, **attrs) -> list[dict]:
        return [e for e in self.elements if all(e.get(k.rstrip("_").replace("_", "-")) == v for k, v in attrs.items())]


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    """status.html for the test history, as the command line writes it, planned at AT; its
    countdowns blanked, so only the page's script can have written the ones the DOM shows."""
    folder = tmp_path_factory.mktemp("status-page")
    work = make_history(folder)
    path = folder / "status.html"
    assert cli.main(["--repo", str(work.path), "--status", "--format", "html", "--output", str(path),
                     "--at", AT.isoformat()]) == 0
    html, count = re.subn(r'(<span class="countdown" data-until="[^"]+">)[^<]*', r"\1?", path.read_text())
    assert count == 2
    path.write_text(html)
    return path


@pytest.fixture(scope="module")
def dom(page, tmp_path_factory):
    return Dom(dump_dom(page, tmp_path_factory.mktemp("chromium")))


def test_the_browser_ran_the_page_s_script(dom):
    [root] = dom.find(tag="html")
    assert root["data-script"] == "ran"


def test_the_grid_shows_each_environment_s_version(dom):
    cells = {(c["data-env"], c["data-version"]) for c in dom.find(tag="td") if c.get("data-version")}
    assert cells == {("dev", "1.4.4"), ("staging", "1.4.4"), ("prod", "1.4.4"),
                     ("dev", "11.2.0"), ("staging", "11.2.0"), ("prod", "11.2.0")}
    assert [h["text"].strip() for h in dom.find(tag="th") if h.get("data-env")] == [
        "devsoak: none", "stagingsoak: hours", "prodsoak: none"]
    [rolled] = [e for e in dom.elements if e.get("class") == "rolled-back"]
    assert rolled["text"].startswith("rolled back 1.4.3")


def test_the_soak_bars(dom):
    bars = dom.find(tag="div", role="progressbar")
    assert [(b["aria-valuetext"], b["aria-valuemax"]) for b in bars] == [("12h of 24h", "24"), ("195h of 24h", "24")]
    spans = [e for e in dom.elements if e["tag"] == "span" and e.get("style", "").startswith("width:")]
    assert [s["style"] for s in spans] == ["width:50.0%", "width:100.0%"]
    assert [e["text"] for e in dom.elements if e.get("class") == "soak-label"] == ["12h of 24h", "195h of 24h · soaked"]


def test_the_freeze_countdowns(dom):
    countdowns = [(e["data-until"], e["text"]) for e in dom.elements if e.get("class") == "countdown"]
    assert countdowns == [("2026-03-09T16:00:00-04:00", "5h 0m"), ("2026-03-10T09:30:00-04:00", "22h 30m")]
    [current] = [e for e in dom.elements if e.get("class") == "current frozen"]
    assert current["text"] == "Frozen now: market hours 09:30-16:00; ends 2026-03-09 20:00 UTC, in 5h 0m"


def test_break_glass_is_highlighted(dom):
    rows = [e for e in dom.elements if e["tag"] == "tr" and "promotion" in e.get("class", "")]
    assert [r["class"] for r in rows] == ["promotion break-glass"] + ["promotion"] * 4
    assert REASON in rows[0]["text"] and "overridden: soak" in rows[0]["text"]


def test_a_screenshot_is_kept(page, tmp_path_factory, capsys):
    shot = screenshot(page, tmp_path_factory.mktemp("artifacts") / "status.png")
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", data[16:24]) == (1400, 1000)
    with capsys.disabled():
        print(f"\nstatus page screenshot: {shot}")
