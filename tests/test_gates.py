import datetime as dt
import sys
from pathlib import Path

import pytest

from fks_gitops.promote import durations
from fks_gitops.promote import exchange
from fks_gitops.promote import freeze
from fks_gitops.promote import gates, soak
from fks_gitops.environments import Freeze, load
from fks_gitops.promote.history import History
from fks_gitops.promote.images import Image
from fks_gitops.promote.plan import Change

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


def test_holidays_come_from_the_exchange_calendar_in_every_year():
    # 2027-03-26 (Good Friday) is in no list in the repository: only the NYSE calendar knows it.
    window = freeze.frozen(PROD.freeze, utc(2027, 3, 26, 15, 0))
    assert window.reason == "exchange holiday 2027-03-26"
    assert freeze.frozen(PROD.freeze, utc(2027, 3, 25, 21, 0)) is None  # the Thursday before, after the close


def test_an_early_close_with_no_readable_time_stays_frozen_to_the_normal_close():
    # The ASX calendar names 2026-12-24 "... (markets close early)", with no time.
    asx = Freeze(timezone="Australia/Sydney", days=("thu",), open=dt.time(10), close=dt.time(16), calendar="ASX")
    sydney = dt.timezone(dt.timedelta(hours=11))
    window = freeze.frozen(asx, dt.datetime(2026, 12, 24, 15, 30, tzinfo=sydney))
    assert window.reason == "market hours 10:00-16:00 (early close)"
    assert freeze.frozen(asx, dt.datetime(2026, 12, 24, 16, 0, tzinfo=sydney)) is None


def test_the_calendar_is_built_once_per_year_not_once_per_call():
    freeze.frozen(PROD.freeze, utc(2031, 6, 2, 15, 0))
    before = exchange.closed.cache_info().misses, exchange.early_closes.cache_info().misses
    for hour in range(2000):  # the audit's load: one call per commit
        freeze.frozen(PROD.freeze, utc(2031, 6, 2, 15, 0) + dt.timedelta(minutes=hour))
    assert (exchange.closed.cache_info().misses, exchange.early_closes.cache_info().misses) == before


def gate(name, target, pairs, history=None, now=T0, rollback=False):
    """One gate of GATES on the facts of a promotion into `target` moving `pairs` (old, new)."""
    (found,) = [g for g in gates.GATES if g.name == name]
    changes = tuple(Change(old, new) for old, new in pairs)
    return found(gates.Facts(CONFIG, target, changes, history, rollback), now)


def test_gates_are_one_list_with_one_shape():
    assert [g.name for g in gates.GATES] == ["order", "downgrade", "soak", "freeze", "rollback", "verify", "drift",
                                             "validation"]
    assert [(g.name, g.override) for g in gates.GATES if g.overridable] == [
        ("downgrade", "allow-downgrade"), ("soak", "break-glass"), ("freeze", "break-glass"), ("rollback", "break-glass"),
        ("verify", "break-glass")]
    # verification needs the source's Prometheus as it was: the audit skips it (checks/promotions.py)
    assert [g.name for g in gates.GATES if not g.replayable] == ["verify", "drift", "validation"]


def test_freeze_refusal_is_one_line_that_says_until_when_and_the_way_out():
    (refusal,) = gate("freeze", PROD, [], now=utc(2026, 3, 10, 15, 0))
    assert str(refusal) == (
        "freeze: prod is frozen for market hours 09:30-16:00 until 2026-03-10 16:00 America/New_York; "
        "wait or use --break-glass --reason TEXT"
    )
    assert refusal.overridable


def test_environments_without_freeze_never_freeze():
    assert gate("freeze", CONFIG.get("staging"), [], now=utc(2026, 3, 10, 15, 0)) == []


def test_a_rollback_passes_freeze_soak_and_order():
    pairs = [(Image(EXEC, tag="1.4.3"), Image(EXEC, tag="9.9.9"))]
    assert [gate(n, PROD, pairs, None, utc(2026, 3, 10, 15, 0), rollback=True) for n in ("order", "soak", "freeze")] == [[], [], []]


def test_durations_read_like_the_trailer_and_the_status_table():
    assert [durations.hours(dt.timedelta(minutes=m)) for m in (0, 45, 60, 26 * 60 + 59)] == ["0h", "45m", "1h", "26h"]
    assert [durations.age(dt.timedelta(minutes=m)) for m in (12, 252, 76 * 60)] == ["12m", "4h 12m", "3d 4h"]
    assert [durations.parse_hours(t) for t in ("26h", "45m", "soon")] == [dt.timedelta(hours=26), dt.timedelta(minutes=45), None]


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
    history, pairs = History(work.path), [(Image(EXEC, tag="1.4.2"), new)]
    (refusal,) = gate("soak", PROD, pairs, history, T0 + dt.timedelta(hours=22))
    assert str(refusal) == (
        "soak: fks-execution 1.4.3 has run in staging for 20h of 24h; wait until 2026-03-02 14:00 UTC "
        "or use --break-glass --reason TEXT"
    )
    assert gate("soak", PROD, pairs, history, T0 + dt.timedelta(hours=26)) == []
    assert soak.progress(staging, new, history, T0 + dt.timedelta(hours=28)).ran == dt.timedelta(hours=26)


def test_soak_never_counts_from_a_back_dated_commit(work):
    # staging's next commit claims to be from before its parent: the soak clock starts at the parent.
    work.set_tag("staging", "fks-execution", "1.4.4")
    work.commit("staging 1.4.4", T0 - dt.timedelta(days=3))
    history = History(work.path)
    assert history.entered("overlays/staging", Image(EXEC, tag="1.4.4")).when == T0 + dt.timedelta(hours=2)


def test_soak_says_until_when_in_utc_whatever_the_offset_of_now(work):
    new_york = (T0 + dt.timedelta(hours=22)).astimezone(dt.timezone(dt.timedelta(hours=-4)))  # 06:00-04:00
    (refusal,) = gate("soak", PROD, [(Image(EXEC, tag="1.4.2"), Image(EXEC, tag="1.4.3"))], History(work.path), new_york)
    assert "wait until 2026-03-02 14:00 UTC " in refusal.message


def test_soak_refuses_a_version_with_no_commit_in_the_source(work):
    (refusal,) = gate("soak", PROD, [(None, Image(EXEC, tag="7.7.7"))], History(work.path))
    assert refusal.gate == "soak" and "no commit in overlays/staging" in refusal.message


def test_order_refuses_a_version_that_skipped_an_environment(work):
    history = History(work.path)
    old = Image(EXEC, tag="1.4.2")
    assert gate("order", PROD, [(old, Image(EXEC, tag="1.4.3"))], history) == []
    (refusal,) = gate("order", PROD, [(old, Image(EXEC, tag="1.5.0"))], history)
    assert str(refusal) == "order: fks-execution 1.5.0 never ran in dev; promote it through dev first"
    assert not refusal.overridable


def test_rolled_back_refuses_until_break_glass(work):
    work.set_tag("prod", "fks-execution", "1.4.3")
    work.commit("promote(prod): x\n\nImage: x", T0 + dt.timedelta(hours=30))
    work.set_tag("prod", "fks-execution", "1.4.2")
    sha = work.commit("rollback(prod): x\n\nRollback: fks-execution 1.4.3 -> 1.4.2", T0 + dt.timedelta(hours=31))
    pairs = [(Image(EXEC, tag="1.4.2"), Image(EXEC, tag="1.4.3"))]
    (refusal,) = gate("rollback", PROD, pairs, History(work.path))
    assert refusal.overridable and f"was rolled back in prod by {sha[:12]}" in refusal.message
    assert gate("rollback", CONFIG.get("staging"), pairs, History(work.path)) == []


def test_evaluate_skips_the_render_gates_once_a_cheap_gate_refused(work):
    rendered = []

    class Spy(gates.Candidate):
        @property
        def after(self):
            rendered.append(True)
            return []

    facts = gates.Facts(CONFIG, PROD, (Change(Image(EXEC, tag="1.4.2"), Image(EXEC, tag="1.5.0")),), History(work.path),
                        candidate=Spy(None, None, lambda docs: []))
    verdict = gates.evaluate(gates.GATES, facts, T0 + dt.timedelta(days=5), {gates.BREAK_GLASS})
    assert [r.gate for r in verdict.blocking] == ["order"] and rendered == []
