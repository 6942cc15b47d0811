"""The verification gate (promote/verify.py) against a real Prometheus serving synthetic series.

The checks are the repository's own: staging's `verify.checks` from the real environments.yaml,
copied into the small promotion fixture with the test server's URL. One server for the module;
each scenario has its own week of data (synthetic_series.py), its version entering staging on a
Friday at noon and promoted to prod on Saturday at 14:00 (26 hours later: the soak has passed,
and prod does not freeze on a Saturday).
"""
import datetime as dt
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import promote as cli
from fks_gitops import environments
from fks_gitops.checks import promotions as audit
from fks_gitops.environments_verify import Expectation
from fks_gitops.promote import ledger, verify
from fks_gitops.promote import promotion as promote
from fks_gitops.promote.history import History
from fks_gitops.promote.images import Image
from fks_gitops.promote.plan import Change
from fks_gitops.repo_git import Git

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "promote_lib"))
from clock import faketime_env  # noqa: E402
from prometheus_server import free_port, serve  # noqa: E402
from synthetic_series import critical_alert, soak  # noqa: E402
from promote_repo import FIXTURE, NAMES, copy_real, make  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
EXEC = NAMES["fks-execution"]
NS = APP = "fks-trading-staging"
HOUR = dt.timedelta(hours=1)


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.timezone.utc)


HEALTHY, SHORT_RUN, ALERTED = (utc(2026, 3, 6, 12), utc(2026, 3, 13, 12), utc(2026, 3, 20, 12))  # Fridays: entered


def promoted(entered: dt.datetime) -> dt.datetime:
    return entered + 26 * HOUR  # Saturday 14:00 UTC


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory):
    lines = [*soak(NS, APP, HEALTHY, promoted(HEALTHY) + HOUR),
             *soak(NS, APP, SHORT_RUN, promoted(SHORT_RUN) + HOUR, ready_from=promoted(SHORT_RUN) - 10 * HOUR),
             *soak(NS, APP, ALERTED, promoted(ALERTED) + HOUR), *critical_alert(NS, ALERTED + 12 * HOUR, 20)]
    with serve(tmp_path_factory.mktemp("prometheus"), lines) as url:
        yield url


def fixture_with(tmp_path: Path, url: str, timeout: str = "10s") -> Path:
    """The promotion fixture, its staging verified by the real repository's checks against `url`."""
    copy = tmp_path / "fixture"
    shutil.copytree(FIXTURE, copy)
    real = yaml.safe_load((REPO / "environments.yaml").read_text())
    checks = next(e for e in real["environments"] if e["name"] == "staging")["verify"]["checks"]
    path = copy / "environments.yaml"
    config = yaml.safe_load(path.read_text())
    staging = next(e for e in config["environments"] if e["name"] == "staging")
    staging["verify"] = {"prometheus": url, "timeout": timeout, "checks": checks}
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return copy


def staged(tmp_path: Path, url: str, entered: dt.datetime, timeout: str = "10s"):
    work = make(tmp_path, when=entered - 3 * HOUR, fixture=fixture_with(tmp_path, url, timeout))
    work.set_tag("dev", "fks-execution", "1.4.3")
    work.commit("dev 1.4.3", entered - HOUR)
    work.set_tag("staging", "fks-execution", "1.4.3")
    work.commit("staging 1.4.3", entered)
    work.push()
    return work


def passing(repo, env, docs):
    return []


def to_prod(work, now, **fields):
    return promote.promote(work.path, promote.Request("prod", now=now, **fields), passing)


def trailers(work):
    return work.git("log", "-1", "--format=%(trailers:only,unfold)").splitlines()


VERIFIED = ["Verified: staging/ready-pods (>= 2)", "Verified: staging/no-critical-alerts (empty)",
            "Verified: staging/argocd-synced-healthy (nonempty)", "Verified: staging/order-error-ratio (< 0.01)"]


def test_a_healthy_soak_lands_with_its_verified_trailers(tmp_path, prometheus):
    work = staged(tmp_path, prometheus, HEALTHY)
    result = to_prod(work, promoted(HEALTHY))
    assert result.commit and result.verification.passed
    assert [t for t in trailers(work) if t.startswith("Verified")] == VERIFIED
    ratio = next(r for r in result.verification.results if r.item.label == "staging/order-error-ratio")
    assert 0.0009 < float(ratio.shown) < 0.001  # one failed order in about a thousand, by Prometheus's increase()


def test_a_version_that_ran_10_of_24_hours_is_refused(tmp_path, prometheus):
    work = staged(tmp_path, prometheus, SHORT_RUN)
    before = work.state()
    with pytest.raises(promote.Refused) as refused:
        to_prod(work, promoted(SHORT_RUN))
    assert refused.value.lines == ["verify: staging/ready-pods: 0; expected >= 2"]
    assert work.state() == before


def test_a_critical_alert_mid_soak_is_refused_naming_it(tmp_path, prometheus):
    work = staged(tmp_path, prometheus, ALERTED)
    with pytest.raises(promote.Refused) as refused:
        to_prod(work, promoted(ALERTED))
    assert refused.value.lines == [
        'verify: staging/no-critical-alerts: {alertname="FKSOrderFailureRateHigh",alertstate="firing",exchange="binance",'
        'namespace="fks-trading-staging",severity="critical"} 1; expected empty']


def test_prometheus_down_refuses_naming_the_url_then_break_glass_lands_and_is_recorded(tmp_path):
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    work = staged(tmp_path, url, HEALTHY)
    with pytest.raises(promote.Refused) as refused:
        to_prod(work, promoted(HEALTHY))
    (line,) = refused.value.lines
    assert line.startswith(f"verify: staging: Prometheus {url} is unreachable or too slow: ")
    assert line.endswith(" (timeout 10 s)") and "refused" in line
    result = to_prod(work, promoted(HEALTHY), break_glass="Prometheus down, fix verified by hand")
    assert [r.gate for r in result.overridden] == ["verify"]
    assert [t for t in trailers(work) if t.split(":")[0] in ("Break-Glass", "Unverified")] == [
        f"Unverified: {line.removeprefix('verify: ')}", "Break-Glass: Prometheus down, fix verified by hand"]
    config = environments.load(work.path)
    read = ledger.read(Git.open(work.path), [e.overlay for e in config.environments])
    (finding,) = [f for f in audit.audit(config, read, [config.get("prod")], utc(2026, 4, 1)) if f.rule == "break-glass"]
    assert "overriding verify: Prometheus down" in finding.message


def test_a_prometheus_that_never_answers_is_refused_within_the_timeout(tmp_path):
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        work = staged(tmp_path, url, HEALTHY, timeout="1s")
        started = dt.datetime.now()
        with pytest.raises(promote.Refused) as refused:
            to_prod(work, promoted(HEALTHY))
        took = (dt.datetime.now() - started).total_seconds()
    (line,) = refused.value.lines
    assert line.startswith(f"verify: staging: Prometheus {url} is unreachable or too slow: ") and "(timeout 1 s)" in line
    assert took < 5


def audited(work, now):
    """The audit of prod, by the working tree's environments.yaml, at `now`: (rule, level, message)."""
    config = environments.load(work.path)
    read = ledger.read(Git.open(work.path), [e.overlay for e in config.environments])
    return [(f.rule, f.level, f.message) for f in audit.audit(config, read, [config.get("prod")], now)]


def by_hand(work, when, trailers):
    """A promotion to prod written by hand: the right diff, Promoted-From and Image trailers."""
    staging = work.head()
    work.set_tag("prod", "fks-execution", "1.4.3")
    work.commit("promote(prod): fks-execution 1.4.2 -> 1.4.3\n\n"
                + "\n".join([f"Promoted-From: staging@{staging}", f"Image: {EXEC}:1.4.3", *trailers]) + "\n", when)
    return work.git("rev-parse", "--short=7", "HEAD")


def test_a_tool_made_verified_promotion_passes_the_audit_and_its_replay(tmp_path, prometheus):
    work = staged(tmp_path, prometheus, HEALTHY)
    assert to_prod(work, promoted(HEALTHY)).commit
    assert audited(work, promoted(HEALTHY) + HOUR) == []  # asked again, Prometheus agrees


def test_a_hand_made_promotion_without_verified_trailers_is_an_error(tmp_path, prometheus):
    work = staged(tmp_path, prometheus, HEALTHY)
    sha = by_hand(work, promoted(HEALTHY), [])
    assert audited(work, promoted(HEALTHY) + HOUR) == [(
        "verify", "error", f"{sha} (Test) promote(prod): fks-execution 1.4.2 -> 1.4.3: no Verified trailer for "
        "staging/ready-pods, staging/no-critical-alerts, staging/argocd-synced-healthy and 1 more: staging's verify "
        "checks are not on record as passed; revert it and use tools/promote.py --to prod")]


def test_forged_verified_trailers_are_contradicted_by_prometheus(tmp_path, prometheus):
    work = staged(tmp_path, prometheus, SHORT_RUN)  # the version ran 10 of the 24 hours
    sha = by_hand(work, promoted(SHORT_RUN), VERIFIED)
    assert audited(work, promoted(SHORT_RUN) + HOUR) == [(
        "verify-replayed", "error", f"{sha} (Test) promote(prod): fks-execution 1.4.2 -> 1.4.3: Verified: "
        "staging/ready-pods, but staging's Prometheus at 2026-03-14 14:00:00 UTC answers 0; expected >= 2")]


def test_a_pull_requests_promotions_are_asked_again_whatever_date_they_carry(tmp_path, prometheus):
    work = staged(tmp_path, prometheus, SHORT_RUN)
    sha = by_hand(work, promoted(SHORT_RUN), VERIFIED)  # reviewed a week later: its date is the committer's
    later = promoted(SHORT_RUN) + 8 * 24 * HOUR
    assert audited(work, later) == []  # older than REPLAY: the record alone is audited
    git = Git.open(work.path)
    fresh = audit.brought_by_pull_request(git, "main")  # the commit is not on origin/main yet
    assert fresh == {work.git("rev-parse", "HEAD")}
    config = environments.load(work.path)
    read = ledger.read(git, [e.overlay for e in config.environments])
    (finding,) = audit.audit(config, read, [config.get("prod")], later, fresh=fresh)
    assert (finding.rule, finding.level) == ("verify-replayed", "error") and sha in finding.message
    missing = audit.brought_by_pull_request(git, "release")
    assert (missing.rule, missing.level) == ("history", "error")
    assert missing.message.startswith("the pull request's base origin/release is not here")


def test_a_recorded_expectation_other_than_the_checks_is_an_error(tmp_path, prometheus):
    work = staged(tmp_path, prometheus, HEALTHY)
    lax = [t.replace("(< 0.01)", "(< 0.5)") for t in VERIFIED]
    by_hand(work, promoted(HEALTHY), lax)
    ((rule, level, message),) = audited(work, promoted(HEALTHY) + HOUR)
    assert (rule, level) == ("verify", "error")
    assert message.endswith("Verified: staging/order-error-ratio (< 0.5) records another expectation than the "
                            "environments.yaml it was promoted under (< 0.01)")


def test_unverified_without_break_glass_is_an_error(tmp_path, prometheus):
    work = staged(tmp_path, prometheus, HEALTHY)
    by_hand(work, promoted(HEALTHY), [*VERIFIED[1:], "Unverified: staging/ready-pods: 0; expected >= 2"])
    assert [(r, lv) for r, lv, _ in audited(work, promoted(HEALTHY) + HOUR)] == [("verify", "error"), ("verify", "error")]


def test_break_glass_past_a_failed_check_is_a_warning_and_its_passes_are_asked_again(tmp_path, prometheus):
    work = staged(tmp_path, prometheus, SHORT_RUN)
    assert to_prod(work, promoted(SHORT_RUN), break_glass="known flaky pods").commit
    assert "Unverified: staging/ready-pods: 0; expected >= 2" in trailers(work)
    ((rule, level, message),) = audited(work, promoted(SHORT_RUN) + HOUR)  # the other three hold when asked again
    assert (rule, level) == ("break-glass", "warning") and "overriding verify: known flaky pods" in message


def test_a_prometheus_the_audit_cannot_ask_is_a_warning_never_a_silent_pass(tmp_path, prometheus):
    work = staged(tmp_path, prometheus, HEALTHY)
    assert to_prod(work, promoted(HEALTHY)).commit
    dead = f"http://127.0.0.1:{free_port()}"
    path = work.path / "environments.yaml"
    path.write_text(path.read_text().replace(prometheus, dead))  # as from a CI runner that cannot reach it
    ((rule, level, message),) = audited(work, promoted(HEALTHY) + HOUR)
    assert (rule, level) == ("verify-not-replayed", "warning")
    assert f"its Verified trailers are not re-derived: Prometheus {dead} is unreachable" in message
    assert message.endswith("CI must reach staging's Prometheus (README: Verification)")
    assert audited(work, promoted(HEALTHY) + 8 * 24 * HOUR) == []  # older than REPLAY: the record alone is audited


def test_promotions_from_before_the_checks_existed_need_no_record(tmp_path):
    work = make(tmp_path, when=HEALTHY - 3 * HOUR)
    work.set_tag("dev", "fks-execution", "1.4.3")
    work.commit("dev 1.4.3", HEALTHY - HOUR)
    work.set_tag("staging", "fks-execution", "1.4.3")
    work.commit("staging 1.4.3", HEALTHY)
    work.push()
    assert to_prod(work, promoted(HEALTHY)).commit  # staging had no verify: no Verified trailers
    shutil.copy(fixture_with(tmp_path, "http://127.0.0.1:9") / "environments.yaml", work.path / "environments.yaml")
    work.commit("staging gets verify checks", promoted(HEALTHY) + HOUR)
    assert audited(work, promoted(HEALTHY) + 2 * HOUR) == []


def test_dry_run_shows_the_checks_and_their_results(tmp_path, prometheus, capsys):
    work = staged(tmp_path, prometheus, SHORT_RUN)
    code = cli.main(["--repo", str(work.path), "--to", "prod", "--dry-run", "--at", promoted(SHORT_RUN).isoformat()])
    out, err = capsys.readouterr()
    assert code == 1
    report = out.splitlines()[-6:]
    assert report[0] == f"staging: verification of prod's versions against {prometheus} at 2026-03-14 14:00:00 UTC"
    assert report[1:] == ["  FAIL  staging/ready-pods: 0; expected >= 2",
                          "  ok    staging/no-critical-alerts: no series; expected empty",
                          '  ok    staging/argocd-synced-healthy: argocd_app_info{health_status="Healthy",'
                          'name="fks-trading-staging",sync_status="Synced"} 1; expected nonempty',
                          "  ok    staging/order-error-ratio: 0.000971952; expected < 0.01",
                          "1 of 4 checks failed"]
    assert "verify: staging/ready-pods: 0; expected >= 2" in err


def test_the_command_line_verifies_the_real_repository_at_the_process_clock(tmp_path, prometheus):
    """The real overlays, validated for real; staging's verify points at the test server."""
    work = copy_real(tmp_path, REPO, when=HEALTHY, prometheus=prometheus)  # staging runs 1.4.3, prod 1.4.2
    argv = [sys.executable, str(REPO / "tools" / "promote.py"), "--repo", str(work.path), "--to", "prod"]
    proc = subprocess.run(argv, env=faketime_env(promoted(HEALTHY)), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert [t for t in trailers(work) if t.startswith("Verified")] == VERIFIED


def test_validate_asks_prometheus_again_in_ci_and_not_in_a_pre_commit_run(tmp_path, prometheus):
    """The real repository; a hand-written prod promotion carries staging's Verified trailers
    though the version ran 10 of the 24 hours."""
    work = copy_real(tmp_path, REPO, when=SHORT_RUN, prometheus=prometheus)  # staging runs 1.4.3 from here
    by_hand(work, promoted(SHORT_RUN), VERIFIED)
    argv = [sys.executable, str(REPO / "tools" / "validate.py"), "--repo", str(work.path)]
    local = {k: v for k, v in faketime_env(promoted(SHORT_RUN) + HOUR).items() if k not in ("CI", "GITHUB_BASE_REF")}
    for env, replayed in ((local, False), ({**local, "CI": "true"}, True), (local, False)):  # the cache tells them apart
        proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300)
        assert ("(promotions.verify-replayed)" in proc.stdout) == replayed, proc.stdout
        assert proc.returncode == (1 if replayed else 0), proc.stdout + proc.stderr


def test_a_check_naming_an_image_runs_once_per_moved_image_it_applies_to(tmp_path):
    work = staged(tmp_path, "http://127.0.0.1:9", HEALTHY)
    source = environments.load(work.path).get("staging")
    grafana = Change(Image(NAMES["grafana"], tag="11.2.0"), Image(NAMES["grafana"], tag="11.2.1"))
    execution = Change(Image(EXEC, tag="1.4.2"), Image(EXEC, tag="1.4.3"))
    items = verify.Verification(source, [execution, grafana], History(work.path)).items(promoted(HEALTHY))
    assert [i.label for i in items] == ["staging/ready-pods", "staging/no-critical-alerts",
                                        "staging/argocd-synced-healthy", "staging/order-error-ratio"]
    assert f'image_spec="{EXEC}:1.4.3"' in items[0].query and "[1d:1m]" in items[0].query
    assert items[2].query == 'argocd_app_info{name="fks-trading-staging", sync_status="Synced", health_status="Healthy"}'
    only_grafana = verify.Verification(source, [grafana], History(work.path)).items(promoted(HEALTHY))
    assert [i.label for i in only_grafana] == ["staging/no-critical-alerts", "staging/argocd-synced-healthy"]


@pytest.mark.parametrize("text,values,holds", [
    ("empty", [], True), ("empty", [0.0], False), ("nonempty", [0.0], True), ("nonempty", [], False),
    ("< 0.01", [0.001, 0.002], True), ("< 0.01", [0.001, 0.5], False), ("< 0.01", [], False),
    (">= 2", [2.0], True), ("== 0", [float("nan")], False), ("!= 1", [0.0], True)])
def test_expectations(text, values, holds):
    assert Expectation.parse(text, "x").holds(values) is holds
