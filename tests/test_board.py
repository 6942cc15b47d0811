"""promote/board.py, board_format.py, status_html.py and freeze.upcoming: the status board
of a real promotion history (tests/fixtures/promote_lib/board_history.py)."""
import datetime as dt
import json
import re
import sys
from pathlib import Path

import pytest

import promote as cli
from fks_gitops.environments import Freeze
from fks_gitops.promote import freeze
from fks_gitops.promote.board import board
from fks_gitops.promote.board_format import as_dict
from fks_gitops.promote.status_html import page

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "promote_lib"))
from board_history import AT, REASON, VERIFIED, make_history  # noqa: E402

NYSE = Freeze("America/New_York", ("mon", "tue", "wed", "thu", "fri"), dt.time(9, 30), dt.time(16), "NYSE")


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    return make_history(tmp_path_factory.mktemp("board"))


@pytest.fixture(scope="module")
def data(history):
    return as_dict(board(history.path, AT))


def test_cells_have_version_since_and_soak_in_the_environment_s_unit(data):
    execution = data["images"][0]["environments"]
    assert [execution[e]["version"] for e in ("dev", "staging", "prod")] == ["1.4.4", "1.4.4", "1.4.4"]
    assert execution["staging"]["since"] == "2026-03-09T03:00:00+00:00"
    assert execution["staging"]["soak"] == {"done": 12.0, "needed": 24.0, "unit": "h", "fraction": 0.5,
                                            "complete": False, "said": "12h of 24h", "until": "2026-03-10T03:00:00+00:00"}
    assert execution["dev"]["soak"] is None and execution["prod"]["soak"] is None  # no soak asked there
    assert data["soak_units"] == {"dev": None, "staging": "h", "prod": None}


def test_rolled_back_versions_are_marked(data):
    prod = data["images"][0]["environments"]["prod"]
    assert [r["version"] for r in prod["rolled_back"]] == ["1.4.3"] and prod["by_rollback"] is False


def test_current_and_next_freeze_with_countdowns(data):
    [prod] = data["freeze"]
    assert prod["current"] == {"reason": "market hours 09:30-16:00", "ends": "2026-03-09T16:00:00-04:00", "ends_in": "5h 0m"}
    assert prod["next"]["starts"] == "2026-03-10T09:30:00-04:00" and prod["next"]["starts_in"] == "22h 30m"


def test_promotions_with_author_gates_break_glass_and_verified(data):
    kinds = [(p["env"], p["kind"]) for p in data["promotions"]]
    assert kinds == [("prod", "promote"), ("staging", "promote"), ("dev", "promote"), ("prod", "rollback"), ("prod", "promote")]
    glass = data["promotions"][0]
    assert glass["break_glass"] == REASON and glass["author"] == "Test"
    assert glass["gates"] == {"passed": ["order", "downgrade", "freeze", "rollback"], "overridden": ["soak"], "failed": []}
    assert data["promotions"][3]["gates"] is None  # a rollback
    assert data["promotions"][4]["verified"] == list(VERIFIED) and data["promotions"][4]["break_glass"] is None


def test_only_the_last_twenty_promotions(history):
    assert len(board(history.path, AT, recent=2).promotions) == 2


def test_the_page_shows_what_the_json_holds_and_needs_nothing_outside(history):
    html = page(board(history.path, AT), live=False)
    assert not re.search(r"""(?:src|href)\s*=|<link|@import|url\(|https?://""", html)
    assert '<td data-env="staging" data-version="1.4.4" class="cell">' in html
    assert 'aria-valuetext="12h of 24h"><span style="width:50.0%"></span>' in html
    assert 'data-until="2026-03-09T16:00:00-04:00">5h 0m</span>' in html
    assert html.count('class="promotion break-glass"') == 1 and REASON.replace(":", ":") in html
    assert 'data-clock="fixed"' in html and VERIFIED[0].replace(">", "&gt;") in html


def test_cli_writes_html_and_json_and_refuses_html_elsewhere(history, tmp_path, capsys):
    out = tmp_path / "status.html"
    assert cli.main(["--repo", str(history.path), "--status", "--format", "html", "--output", str(out),
                     "--at", AT.isoformat()]) == 0
    assert out.read_text().startswith("<!DOCTYPE html>") and capsys.readouterr().out == f"wrote {out}\n"
    assert cli.main(["--repo", str(history.path), "--status", "--format", "json", "--at", AT.isoformat()]) == 0
    assert json.loads(capsys.readouterr().out)["freeze"][0]["current"]["ends_in"] == "5h 0m"
    assert cli.main(["--repo", str(history.path), "--history", "--format", "html"]) == 2
    assert capsys.readouterr().err == "error: --format html goes with --status\n"


def test_history_shows_the_author(history, capsys):
    assert cli.main(["--repo", str(history.path), "--history", "--env", "prod"]) == 0
    lines = [ln for ln in capsys.readouterr().out.splitlines() if not ln.startswith(" ")]
    assert len(lines) == 3 and all(" Test: " in line for line in lines)
    assert f"Verified: {VERIFIED[0]}; Verified: {VERIFIED[1]}" in lines[-1]


def test_next_freeze_skips_weekends_and_holidays_and_takes_an_earlier_adhoc_window():
    friday_evening = dt.datetime(2026, 4, 2, 21, tzinfo=dt.timezone.utc)  # Thursday 17:00 EDT; Good Friday follows
    start, window = freeze.upcoming(NYSE, friday_evening)
    assert (start.isoformat(), window.reason) == ("2026-04-03T00:00:00-04:00", "exchange holiday 2026-04-03")
    saturday = dt.datetime(2026, 4, 4, 12, tzinfo=dt.timezone.utc)
    assert freeze.upcoming(NYSE, saturday)[0].isoformat() == "2026-04-06T09:30:00-04:00"
    from fks_gitops.environments import Adhoc
    tz = freeze.ZoneInfo("America/New_York")
    spec = Freeze(**{**NYSE.__dict__, "adhoc": (Adhoc(dt.datetime(2026, 4, 5, 8, tzinfo=tz), dt.datetime(2026, 4, 5, 9, tzinfo=tz), "drill"),)})
    assert freeze.upcoming(spec, saturday)[1].reason == "ad-hoc freeze 'drill'"
    assert freeze.upcoming(None, saturday) is None

