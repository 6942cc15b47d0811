"""Soak in trading sessions (soak.py, sessions.py): `soak: {sessions: 2}` in staging, across a
weekend and an exchange holiday, through the gate, the commit's trailer, --status and the audit.

The week of 2026-02-12: Thursday's version arrives after the close; Friday 13 is one session;
Saturday and Sunday add none, and neither does Monday 16 (Washington's Birthday, NYSE closed);
Tuesday 17 is the second. New York is on EST (UTC-5): the close is 21:00 UTC.
"""
import datetime as dt
import json
import shutil
import sys
from pathlib import Path

import pytest

import promote as cli
from fks_gitops import environments
from fks_gitops.checks import promotions as audit
from fks_gitops.errors import GitOpsError
from fks_gitops.promote import ledger, sessions, soak
from fks_gitops.promote import promotion as promote
from fks_gitops.promote.history import History
from fks_gitops.promote.images import Image
from fks_gitops.repo_git import Git

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "promote_lib"))
from promote_repo import FIXTURE, NAMES, make  # noqa: E402

EXEC = NAMES["fks-execution"]


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.timezone.utc)


ARRIVES = utc(2026, 2, 12, 22)  # Thursday, an hour after the close
MONDAY = utc(2026, 2, 16, 23)  # the holiday's evening: one session done
TUESDAY_CLOSE = utc(2026, 2, 17, 21)


def test_sessions_skip_the_weekend_and_the_holiday():
    done = sessions.completed("NYSE", ARRIVES, MONDAY)
    assert [(s.opens.astimezone(dt.timezone.utc), s.closes.astimezone(dt.timezone.utc)) for s in done] == [
        (utc(2026, 2, 13, 14, 30), utc(2026, 2, 13, 21))]
    assert sessions.nth("NYSE", ARRIVES, 2).closes == TUESDAY_CLOSE
    assert sessions.back("NYSE", TUESDAY_CLOSE, 2).opens == utc(2026, 2, 13, 14, 30)


def test_a_version_that_arrives_mid_session_waits_for_the_next_one():
    assert sessions.completed("NYSE", utc(2026, 2, 13, 15), utc(2026, 2, 13, 22)) == []


def test_an_early_close_ends_the_session_early():
    (friday,) = sessions.completed("NYSE", utc(2026, 11, 27, 12), utc(2026, 11, 27, 18, 30))
    assert friday.closes == utc(2026, 11, 27, 18)  # the day after Thanksgiving closes at 13:00 New York


def sessions_fixture(tmp_path: Path, count: int = 2) -> Path:
    copy = tmp_path / "fixture"
    shutil.copytree(FIXTURE, copy)
    path = copy / "environments.yaml"
    path.write_text(path.read_text().replace("    soak: 24h\n", f"    soak: {{sessions: {count}}}\n", 1))
    return copy


@pytest.fixture
def work(tmp_path):
    """1.4.3 in dev, then in staging from Thursday evening; staging soaks two NYSE sessions."""
    work = make(tmp_path, when=utc(2026, 2, 10, 12), fixture=sessions_fixture(tmp_path))
    work.set_tag("dev", "fks-execution", "1.4.3")
    work.commit("dev 1.4.3", ARRIVES - dt.timedelta(hours=2))
    work.set_tag("staging", "fks-execution", "1.4.3")
    work.commit("staging 1.4.3", ARRIVES)
    work.push()
    return work


def passing(repo, env, docs):
    return []


def test_the_config_reads_sessions_and_refuses_a_calendar_without_known_hours(tmp_path):
    staging = environments.load(sessions_fixture(tmp_path)).get("staging")
    assert (staging.sessions, staging.soak) == (environments.Sessions(2, "NYSE"), dt.timedelta(0))
    path = tmp_path / "fixture" / "environments.yaml"
    path.write_text(path.read_text().replace("{sessions: 2}", "{sessions: 2, calendar: XLON}"))
    with pytest.raises(GitOpsError, match=r"soak.calendar: no regular session hours known for 'XLON'; use one of NYSE"):
        environments.load(tmp_path / "fixture")


def test_progress_counts_sessions_in_the_environments_unit(work):
    staging = environments.load(work.path).get("staging")
    progress = soak.progress(staging, Image(EXEC, tag="1.4.3"), History(work.path), MONDAY)
    assert (progress.text, progress.short, progress.trailer, progress.done) == (
        "1 of 2 NYSE sessions", "1/2 sessions", "1 session", False)
    assert progress.until == TUESDAY_CLOSE
    assert soak.window(staging, TUESDAY_CLOSE) == TUESDAY_CLOSE - utc(2026, 2, 13, 14, 30)


def test_two_sessions_across_a_weekend_and_a_holiday_refuse_then_land(work):
    with pytest.raises(promote.Refused) as refused:
        promote.promote(work.path, promote.Request("prod", now=MONDAY), passing)
    assert refused.value.lines[0] == (
        "soak: fks-execution 1.4.3 has run in staging for 1 of 2 NYSE sessions; wait until 2026-02-17 21:00 UTC "
        "or use --break-glass --reason TEXT")  # then prod's freeze for the holiday
    # Tuesday after the close (prod's freeze is over for the day): the second session counted.
    result = promote.promote(work.path, promote.Request("prod", now=TUESDAY_CLOSE + dt.timedelta(minutes=5)), passing)
    assert "Soak: 2 sessions" in result.message.splitlines()


def test_status_shows_sessions_progress(work, capsys):
    assert cli.main(["--repo", str(work.path), "--status", "--at", MONDAY.isoformat()]) == 0
    row = capsys.readouterr().out.splitlines()[1]
    assert "1.4.3 (4d 1h, soak 1/2 sessions)" in row
    assert cli.main(["--repo", str(work.path), "--status", "--format", "json", "--at", MONDAY.isoformat()]) == 0
    cell = json.loads(capsys.readouterr().out)["images"][0]["environments"]["staging"]
    assert cell["soak"] == {"done": 1, "needed": 2, "unit": "sessions", "fraction": 0.5, "complete": False,
                            "said": "1 of 2 NYSE sessions", "until": "2026-02-17T16:00:00-05:00"}


def test_the_audit_replays_a_sessions_soak(work):
    sha = work.head()
    work.set_tag("prod", "fks-execution", "1.4.3")
    work.commit(f"promote(prod): fks-execution 1.4.2 -> 1.4.3\n\n- by hand\n\nPromoted-From: staging@{sha}\n"
                f"Image: {EXEC}:1.4.3\nSoak: 2 sessions\n", utc(2026, 2, 13, 22))  # Friday: no freeze
    config = environments.load(work.path)
    read = ledger.read(Git.open(work.path), [e.overlay for e in config.environments])
    found = {f.rule: f.message for f in audit.audit(config, read, [config.get("prod")], utc(2026, 3, 1))}
    assert sorted(found) == ["gate-soak", "trailer"]
    assert found["trailer"].endswith(": Soak: 2 sessions claims more than history shows (1 session)")
    assert found["gate-soak"].endswith(
        ": at its time 2026-02-13 22:00 UTC, soak: fks-execution 1.4.3 has run in staging for 1 of 2 NYSE sessions; "
        "wait until 2026-02-17 21:00 UTC or use --break-glass --reason TEXT")
