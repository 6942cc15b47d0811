"""Argo CD sync windows: generated from environments.yaml, written by tools/sync_windows.py,
compared by validate's Argo CD check."""
import datetime as dt

import sync_windows as cli
import yaml

from fks_gitops import environments, syncwindows, syncwindows_file
from fks_gitops.checks import argocd
from fks_gitops.problem import Location
from fks_gitops.checks.context import RepoContext

START = dt.date(2026, 12, 1)
PROJECT = "argocd/projects/fks-trading.yaml"


def _windows(repo):
    return yaml.safe_load((repo / PROJECT).read_text())["spec"]["syncWindows"]


def _problems(repo, rule):
    return [p for p in argocd.check(RepoContext(environments.load(repo), {})) if p.rule == rule]


def _today():
    return dt.datetime.now(dt.timezone.utc).date()


def test_market_hours_are_one_weekday_window_synced_by_hand_only(config):
    [hours] = [w for w in syncwindows.generate(config, START) if "market hours" in w["description"]]
    assert hours == {"kind": "deny", "schedule": "30 9 * * 1-5", "duration": "6h30m", "timeZone": "America/New_York",
                     "applications": ["fks-trading-prod"], "manualSync": True,
                     "description": "prod: market hours 09:30-16:00 (early closes stay frozen to 16:00)"}


def test_holidays_are_the_calendar_s_for_one_year_from_the_start(config):
    holidays = [w for w in syncwindows.generate(config, START) if "holiday" in w["description"]]
    assert holidays[0]["description"] == "prod: NYSE holiday 2026-12-25 (Christmas Day)"
    assert (holidays[0]["schedule"], holidays[0]["duration"]) == ("0 0 25 12 *", "24h")
    # 2027-12-24 (Christmas observed) is after the horizon 2027-12-01: a cron has no year.
    assert holidays[-1]["description"] == "prod: NYSE holiday 2027-11-25 (Thanksgiving Day)"
    assert len(holidays) == 10  # NYSE closes ten weekdays a year


def test_an_adhoc_freeze_is_a_window_from_its_start_for_its_length(tmp_path, repo):
    text = (repo / "environments.yaml").read_text().replace(
        "adhoc: []", "adhoc: [{from: 2026-12-30T18:00, to: 2027-01-02T06:30, reason: year-end}]")
    (tmp_path / "environments.yaml").write_text(text)
    [adhoc] = [w for w in syncwindows.generate(environments.load(tmp_path), START) if "ad-hoc" in w["description"]]
    assert (adhoc["schedule"], adhoc["duration"]) == ("0 18 30 12 *", "60h30m")
    assert adhoc["description"] == "prod: ad-hoc freeze 'year-end' 2026-12-30 18:00"
    assert not [w for w in syncwindows.generate(environments.load(tmp_path), dt.date(2027, 1, 3)) if "ad-hoc" in w["description"]]


def test_the_horizon_is_a_year_even_from_a_leap_day():
    assert syncwindows.horizon(START) == dt.date(2027, 12, 1)
    assert syncwindows.horizon(dt.date(2028, 2, 29)) == dt.date(2029, 2, 28)


def test_the_command_writes_what_validate_expects_and_keeps_comments(repo_copy, capsys):
    today = _today().isoformat()
    assert cli.main(["--repo", str(repo_copy), "--from", today]) == 0
    assert capsys.readouterr().out.startswith(f"{PROJECT}: sync windows from {today} until ")
    text = (repo_copy / PROJECT).read_text()
    assert "# Generated from environments.yaml by tools/sync_windows.py" in text
    assert f"gitops.fks/sync-windows-from: '{today}'" in text
    assert _problems(repo_copy, "argocd.sync-windows") == [] and _problems(repo_copy, "argocd.sync-windows-horizon") == []


def test_a_change_to_environments_yaml_is_drift_until_the_command_runs(repo_copy):
    start = yaml.safe_load((repo_copy / PROJECT).read_text())["metadata"]["annotations"][syncwindows.FROM]
    env = repo_copy / "environments.yaml"
    env.write_text(env.read_text().replace("adhoc: []", f"adhoc: [{{from: {start}T00:00, to: {start}T12:00, reason: audit}}]"))
    [problem] = _problems(repo_copy, "argocd.sync-windows")
    line = next(i for i, t in enumerate((repo_copy / PROJECT).read_text().splitlines(), 1) if t == "  syncWindows:")
    assert (problem.location, str(problem.object)) == (Location(PROJECT, line, 3), "AppProject/fks-trading")
    assert problem.message == (f"syncWindows differ from environments.yaml from {start} (1 missing, 0 not from "
                               f"environments.yaml; first: \"prod: ad-hoc freeze 'audit' {start} 00:00\"); "
                               f"run tools/sync_windows.py --from {start}")
    assert cli.main(["--repo", str(repo_copy), "--from", start]) == 0
    assert _problems(repo_copy, "argocd.sync-windows") == []
    assert _windows(repo_copy)[-1]["description"] == f"prod: ad-hoc freeze 'audit' {start} 00:00"


def test_a_hand_edited_window_is_drift(repo_copy):
    text = (repo_copy / PROJECT).read_text()
    (repo_copy / PROJECT).write_text(text.replace('"30 9 * * 1-5"', '"30 10 * * 1-5"', 1))
    [problem] = _problems(repo_copy, "argocd.sync-windows")
    assert "1 missing, 1 not from environments.yaml" in problem.message


def test_windows_ending_within_90_days_must_be_regenerated(repo_copy):
    old = (_today() - dt.timedelta(days=300)).isoformat()
    assert cli.main(["--repo", str(repo_copy), "--from", old]) == 0
    assert _problems(repo_copy, "argocd.sync-windows") == []  # as the command wrote them: no drift
    [problem] = _problems(repo_copy, "argocd.sync-windows-horizon")
    assert "within 90 days; run tools/sync_windows.py to extend them" in problem.message


def test_missing_start_annotation_names_the_command(repo_copy):
    text = (repo_copy / PROJECT).read_text()
    (repo_copy / PROJECT).write_text(text.replace("gitops.fks/sync-windows-from", "gitops.fks/from"))
    [problem] = _problems(repo_copy, "argocd.sync-windows")
    assert "gitops.fks/sync-windows-from is missing" in problem.message and "tools/sync_windows.py" in problem.message
    line = next(i for i, t in enumerate(text.splitlines(), 1) if t == "  annotations:")
    assert problem.location == Location(PROJECT, line, 3)  # the annotation is missing: its parent


def test_bad_input_is_one_line_and_exit_2(repo_copy, capsys):
    assert cli.main(["--repo", str(repo_copy), "--from", "2026-13-01"]) == 2
    assert "'2026-13-01' is not a date like 2026-12-01" in capsys.readouterr().err
    (repo_copy / PROJECT).unlink()
    assert cli.main(["--repo", str(repo_copy)]) == 2
    err = capsys.readouterr().err
    assert err == "error: argocd/: no AppProject named 'fks-trading' (argocd_project in environments.yaml)\n"


def test_write_refuses_a_duplicate_key_in_the_project_file(repo_copy):
    path = repo_copy / PROJECT
    path.write_text(path.read_text().replace("  description: FKS", "  description: x\n  description: FKS", 1))
    try:
        syncwindows_file.write(environments.load(repo_copy), START)
    except Exception as exc:  # noqa: BLE001 - the message is what matters
        assert "duplicate key 'description'" in str(exc) and "\n" not in str(exc)
    else:
        raise AssertionError("a duplicate key was accepted")
