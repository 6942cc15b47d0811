"""tests/clock.py: libfaketime moves the clock of real subprocesses (Python, git, kustomize)."""
from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest

import clock
from conftest import REPO

MOMENT = dt.datetime(2026, 12, 7, 15, 4, 5, tzinfo=dt.timezone.utc)  # a Monday, NYSE open


def _now_in_child(env: dict[str, str]) -> dt.datetime:
    code = "import datetime as dt; print(dt.datetime.now(dt.timezone.utc).isoformat())"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True, timeout=60)
    return dt.datetime.fromisoformat(out.stdout.strip())


def test_a_child_python_sees_the_faked_moment():
    seen = _now_in_child(clock.faketime_env(MOMENT))
    assert MOMENT <= seen < MOMENT + dt.timedelta(seconds=30)


def test_a_moment_in_another_zone_is_the_same_instant():
    new_york = dt.timezone(dt.timedelta(hours=-5))
    seen = _now_in_child(clock.faketime_env(MOMENT.astimezone(new_york)))
    assert MOMENT <= seen < MOMENT + dt.timedelta(seconds=30)


def test_without_the_environment_the_clock_is_real():
    assert abs(_now_in_child({}) - dt.datetime.now(dt.timezone.utc)) < dt.timedelta(minutes=5)


def test_git_commit_takes_the_faked_date(tmp_path, monkeypatch):
    monkeypatch.setenv("GIT_COMMITTER_DATE", "2001-01-01T00:00:00Z")  # must not win over the clock
    env = clock.faketime_env(MOMENT)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "-C", str(tmp_path)]
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True, timeout=60)
    (tmp_path / "f").write_text("x\n")
    subprocess.run([*git, "add", "f"], check=True, timeout=60)
    subprocess.run([*git, "commit", "-q", "-m", "m"], env=env, check=True, timeout=60)
    out = subprocess.run([*git, "log", "-1", "--format=%cI %aI"], capture_output=True, text=True, check=True, timeout=60)
    committed, authored = (dt.datetime.fromisoformat(s) for s in out.stdout.split())
    for date in (committed, authored):
        assert MOMENT <= date < MOMENT + dt.timedelta(seconds=30)


def test_kustomize_still_renders_under_the_faked_clock():
    from fks_gitops import render

    argv = [*render.renderer().argv, str(REPO / "base" / "cluster")]
    out = subprocess.run(argv, env=clock.faketime_env(MOMENT), capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "kind: ClusterIssuer" in out.stdout


def test_a_naive_moment_is_refused():
    with pytest.raises(ValueError, match="aware datetime"):
        clock.faketime_env(dt.datetime(2026, 12, 7, 15, 0))


def test_a_missing_library_fails_the_test_and_says_make_setup(tmp_path, monkeypatch):
    monkeypatch.setattr(clock, "LIBRARY", tmp_path / "a" / "b" / "c" / "libfaketime.so.1")
    with pytest.raises(pytest.fail.Exception, match=r"run `make setup`"):
        clock.faketime_env(MOMENT)


def test_the_library_is_the_one_in_the_virtualenv():
    assert clock.faketime_env(MOMENT)["LD_PRELOAD"].split(":")[0] == str(REPO / ".venv" / "lib" / "faketime" / "libfaketime.so.1")
