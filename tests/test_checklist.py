"""The deploy checklist (promote/checklist.py; promote.py --verify ENV and --wait-verified) against a
real Prometheus serving synthetic series (synthetic_series.py), with the real environments.yaml's
deploy_checks. One server for the module; each scenario has its own day.
"""
import datetime as dt
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import promote as cli
from fks_gitops import environments
from fks_gitops.promote import checklist

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "promote_lib"))
from clock import faketime_env  # noqa: E402
from prometheus_server import free_port, serve  # noqa: E402
from promote_repo import FIXTURE, copy_real  # noqa: E402
from synthetic_series import deployed, soak  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
STAGING, PROD = "fks-trading-staging", "fks-trading"
HOUR = dt.timedelta(hours=1)


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.timezone.utc)


PENDING, HEALTHY, BINDING = utc(2026, 4, 6, 12), utc(2026, 4, 7, 12), utc(2026, 4, 8, 12)
ENTERED, PINNED_ENTERED = utc(2026, 4, 10, 12), utc(2026, 4, 17, 12)  # Fridays; promoted on Saturday at 14:00
PUSHED, PINNED_PUSHED = ENTERED + 26 * HOUR, PINNED_ENTERED + 26 * HOUR


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory):
    lines = [*deployed(STAGING, PENDING - HOUR, PENDING + HOUR, pending="grafana-data"),
             *deployed(STAGING, HEALTHY - HOUR, HEALTHY + HOUR),
             *deployed(STAGING, BINDING - HOUR, BINDING + HOUR, pending="grafana-data",
                       pending_until=BINDING + dt.timedelta(minutes=1)),
             *soak(STAGING, STAGING, ENTERED, PUSHED + HOUR), *deployed(PROD, PUSHED - HOUR, PUSHED + HOUR),
             *soak(STAGING, STAGING, PINNED_ENTERED, PINNED_PUSHED + HOUR),
             *deployed(PROD, PINNED_PUSHED - HOUR, PINNED_PUSHED + HOUR, hpa_current=4)]
    with serve(tmp_path_factory.mktemp("prometheus"), lines) as url:
        yield url


def fixture_with(tmp_path: Path, url: str) -> Path:
    """The promotion fixture with the real deploy_checks; staging's Prometheus at `url`."""
    copy = tmp_path / "fixture"
    shutil.copytree(FIXTURE, copy)
    path = copy / "environments.yaml"
    config = yaml.safe_load(path.read_text())
    config["deploy_checks"] = yaml.safe_load((REPO / "environments.yaml").read_text())["deploy_checks"]
    next(e for e in config["environments"] if e["name"] == "staging")["verify"] = {"prometheus": url}
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return copy


def verify_at(tmp_path, capsys, url, when, env="staging"):
    code = cli.main(["--repo", str(fixture_with(tmp_path, url)), "--verify", env, "--at", when.isoformat()])
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


def test_one_pending_pvc_fails_the_checklist_naming_it(tmp_path, capsys, prometheus):
    code, lines, _ = verify_at(tmp_path, capsys, prometheus, PENDING)
    assert code == 1
    assert lines[0] == f"staging: deploy checklist against {prometheus} at 2026-04-06 12:00:00 UTC"
    assert lines[1:] == [
        '  ok    deployments-ready: {deployment="alertmanager",namespace="fks-trading-staging"} 0, '
        '{deployment="fks-execution",namespace="fks-trading-staging"} 0, '
        '{deployment="grafana",namespace="fks-trading-staging"} 0 and 1 more; expected == 0',
        '  FAIL  pvcs-bound: {persistentvolumeclaim="grafana-data"} 0; expected == 1',
        '  ok    targets-up: up{job="kubernetes-pods",namespace="fks-trading-staging",pod="alertmanager-0"} 1, '
        'up{job="kubernetes-pods",namespace="fks-trading-staging",pod="fks-execution-a"} 1, '
        'up{job="kubernetes-pods",namespace="fks-trading-staging",pod="fks-execution-b"} 1 and 1 more; expected == 1',
        "  ok    alertmanager-discovered: prometheus_notifications_alertmanagers_discovered 1; expected > 0",
        '  ok    slack-notifications: {integration="slack"} 0; expected == 0',
        '  ok    certificates-ready: certmanager_certificate_ready_status{condition="True",name="webhooks-tls",'
        'namespace="fks-trading-staging"} 1; expected == 1',
        "  ok    hpa-below-max: no series; expected empty",
        "1 of 7 checks failed",
    ]


def test_a_healthy_deploy_passes(tmp_path, capsys, prometheus):
    code, lines, _ = verify_at(tmp_path, capsys, prometheus, HEALTHY)
    assert (code, lines[-1]) == (0, "all 7 checks passed")


def test_an_unreachable_prometheus_fails_the_checklist(tmp_path, capsys):
    url = f"http://127.0.0.1:{free_port()}"
    code, lines, _ = verify_at(tmp_path, capsys, url, HEALTHY)
    assert code == 1 and lines[1].startswith(f"  FAIL  Prometheus {url} is unreachable or too slow: ")


def test_an_environment_without_verify_is_a_usage_error(tmp_path, capsys, prometheus):
    code, _, err = verify_at(tmp_path, capsys, prometheus, HEALTHY, env="prod")
    assert code == 2 and "prod has no verify: block in environments.yaml" in err


def test_wait_polls_until_the_checklist_passes(tmp_path, prometheus):
    env = environments.load(fixture_with(tmp_path, prometheus)).get("staging")
    ticks, slept = [0.0], []

    def sleep(seconds):
        slept.append(seconds)
        ticks[0] += seconds

    outcome = checklist.wait(env, dt.timedelta(minutes=5), BINDING, poll=15, clock=lambda: ticks[0], sleep=sleep)
    assert outcome.passed and slept == [15, 15, 15, 15]  # grafana-data binds a minute in
    assert outcome.at == BINDING + dt.timedelta(minutes=1)


def push_and_wait(tmp_path, url, entered, pushed, duration):
    work = copy_real(tmp_path, REPO, when=entered, prometheus=url)
    argv = [sys.executable, str(REPO / "tools" / "promote.py"), "--repo", str(work.path), "--to", "prod", "--push",
            "--wait-verified", duration]
    return work, subprocess.run(argv, env=faketime_env(pushed), capture_output=True, text=True, timeout=180)


def test_wait_verified_after_a_push_passes_on_a_healthy_deploy(tmp_path, prometheus):
    work, proc = push_and_wait(tmp_path, prometheus, ENTERED, PUSHED, "1m")
    assert proc.returncode == 0, proc.stderr
    assert "pushed after 1 attempt" in proc.stdout and proc.stdout.splitlines()[-1] == "all 7 checks passed"
    assert work.git("log", "-1", "--format=%s", "origin/main") == "promote(prod): fks-execution 1.4.2 -> 1.4.3"


def test_wait_verified_prints_the_rollback_command_when_time_runs_out(tmp_path, prometheus):
    _, proc = push_and_wait(tmp_path, prometheus, PINNED_ENTERED, PINNED_PUSHED, "2s")
    assert proc.returncode == 1
    assert ('  FAIL  hpa-below-max: {horizontalpodautoscaler="fks-execution",namespace="fks-trading"} 4; '
            'expected empty') in proc.stdout.splitlines()
    assert proc.stderr.splitlines()[-2:] == [
        "error: prod did not pass its deploy checklist within 2s; roll back with:",
        "  tools/promote.py --to prod --rollback --component fks-execution --push"]


def test_wait_verified_goes_only_with_push(tmp_path, capsys):
    code = cli.main(["--repo", str(FIXTURE), "--to", "prod", "--wait-verified", "1m"])
    assert code == 2 and "--wait-verified checks a deploy: use it with --push" in capsys.readouterr().err
