import datetime as dt
import sys
from pathlib import Path

import pytest

from fks_gitops import freeze, gates
from fks_gitops.environments import load
from fks_gitops.history import History
from fks_gitops.images import Image

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "promote_lib"))
from promote_repo import FIXTURE, NAMES, T0, make  # noqa: E402

EXEC = NAMES["fks-execution"]
CONFIG = load(FIXTURE)
PROD = CONFIG.get("prod")
UTC = dt.timezone.utc


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


# -- freeze: facts from tests/fixtures/promote/environments.yaml; 2026-03-08 is when New York moves to EDT


@pytest.mark.parametrize(
    ("now", "reason", "ends"),
    [
        (utc(2026, 3, 10, 15, 0), "market hours 09:30-16:00", "2026-03-10T16:00-04:00"),  # Tue 11:00 EDT
        (utc(2026, 3, 6, 14, 30), "market hours 09:30-16:00", "2026-03-06T16:00-05:00"),  # Fri 09:30 EST: opening minute
        (utc(2026, 4, 3, 22, 0), "exchange holiday 2026-04-03", "2026-04-04T00:00-04:00"),  # after hours, still a holiday
        (utc(2026, 11, 27, 17, 30), "market hours 09:30-13:00 (early close)", "2026-11-27T13:00-05:00"),
        (utc(2026, 12, 31, 3, 0), "ad-hoc freeze 'year-end'", "2027-01-02T00:00-05:00"),
    ],
)
def test_frozen_names_the_window_and_its_end(now, reason, ends):
    window = freeze.frozen(PROD.freeze, now)
    assert (window.reason, window.ends.isoformat(timespec="minutes")) == (reason, ends)


@pytest.mark.parametrize(
    "now",
    [
        utc(2026, 3, 10, 13, 29),  # Tue 09:29 EDT: before the open
        utc(2026, 3, 10, 20, 0),  # Tue 16:00 EDT: the close itself is open again
        utc(2026, 3, 7, 16, 0),  # Saturday
        utc(2026, 11, 27, 18, 0),  # 13:00 EST on an early-close day
    ],
)
def test_frozen_is_none_outside_every_window(now):
    assert freeze.frozen(PROD.freeze, now) is None


def test_freeze_refusal_is_one_line_that_says_until_when_and_the_way_out():
    (refusal,) = gates.freeze(PROD, utc(2026, 3, 10, 15, 0))
    assert str(refusal) == (
        "freeze: prod is frozen for market hours 09:30-16:00 until 2026-03-10 16:00 America/New_York; "
        "wait or use --break-glass --reason TEXT"
    )
    assert refusal.overridable


def test_environments_without_freeze_never_freeze():
    assert gates.freeze(CONFIG.get("staging"), utc(2026, 3, 10, 15, 0)) == []


def test_durations_read_like_the_trailer_and_the_status_table():
    assert [gates.hours(dt.timedelta(minutes=m)) for m in (0, 45, 60, 26 * 60 + 59)] == ["0h", "45m", "1h", "26h"]
    assert [gates.age(dt.timedelta(minutes=m)) for m in (12, 252, 76 * 60)] == ["12m", "4h 12m", "3d 4h"]


# -- soak, order and rollback read history from a real repository


@pytest.fixture
def work(tmp_path):
    work = make(tmp_path)
    work.set_tag("dev", "fks-execution", "1.4.3")
    work.commit("dev 1.4.3", T0 + dt.timedelta(hours=1))
    work.set_tag("staging", "fks-execution", "1.4.3")
    work.commit("staging 1.4.3", T0 + dt.timedelta(hours=2))
    return work


def test_soak_counts_from_the_commit_that_put_the_version_in_the_source(work):
    staging, new = CONFIG.get("staging"), Image(EXEC, tag="1.4.3")
    history = History(work.path)
    (refusal,) = gates.soak(staging, [(Image(EXEC, tag="1.4.2"), new)], history, T0 + dt.timedelta(hours=22))
    assert str(refusal) == (
        "soak: fks-execution 1.4.3 has run in staging for 20h of 24h; wait until 2026-03-02 14:00 UTC "
        "or use --break-glass --reason TEXT"
    )
    assert gates.soak(staging, [(Image(EXEC, tag="1.4.2"), new)], history, T0 + dt.timedelta(hours=26)) == []
    assert gates.soaked(staging, new, history, T0 + dt.timedelta(hours=28)) == dt.timedelta(hours=26)


def test_soak_says_until_when_in_utc_whatever_the_offset_of_now(work):
    staging, new = CONFIG.get("staging"), Image(EXEC, tag="1.4.3")
    new_york = (T0 + dt.timedelta(hours=22)).astimezone(dt.timezone(dt.timedelta(hours=-4)))  # 06:00-04:00
    (refusal,) = gates.soak(staging, [(Image(EXEC, tag="1.4.2"), new)], History(work.path), new_york)
    assert "wait until 2026-03-02 14:00 UTC " in refusal.message


def test_soak_refuses_a_version_with_no_commit_in_the_source(work):
    (refusal,) = gates.soak(CONFIG.get("staging"), [(None, Image(EXEC, tag="7.7.7"))], History(work.path), T0)
    assert refusal.gate == "soak" and "no commit in overlays/staging" in refusal.message


def test_order_refuses_a_version_that_skipped_an_environment(work):
    history = History(work.path)
    old = Image(EXEC, tag="1.4.2")
    assert gates.order(CONFIG, PROD, [(old, Image(EXEC, tag="1.4.3"))], history) == []
    (refusal,) = gates.order(CONFIG, PROD, [(old, Image(EXEC, tag="1.5.0"))], history)
    assert str(refusal) == "order: fks-execution 1.5.0 never ran in dev; promote it through dev first"
    assert not refusal.overridable


def test_rolled_back_refuses_until_break_glass(work):
    work.set_tag("prod", "fks-execution", "1.4.3")
    work.commit("promote(prod): x\n\nImage: x", T0 + dt.timedelta(hours=30))
    work.set_tag("prod", "fks-execution", "1.4.2")
    sha = work.commit("rollback(prod): x\n\nRollback: fks-execution 1.4.3 -> 1.4.2", T0 + dt.timedelta(hours=31))
    pairs = [(Image(EXEC, tag="1.4.2"), Image(EXEC, tag="1.4.3"))]
    (refusal,) = gates.rolled_back(PROD, pairs, History(work.path))
    assert refusal.overridable and f"was rolled back in prod by {sha[:12]}" in refusal.message
    assert gates.rolled_back(CONFIG.get("staging"), pairs, History(work.path)) == []
