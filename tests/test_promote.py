"""tools/promote.py against real git repositories (a clone of tests/fixtures/promote with a bare origin).

The fixture is our own small chain (two images, three overlays) rather than a copy of the
repository: each render takes ~50 ms instead of a full validate's second, so ~45 real-git
scenarios stay well under 30 s, and the tests do not break when the real overlays change.

Validation is the lead's `validate` module; here a small checker stands in for it (it refuses any
image tagged `*-broken`) so these tests pin promote's contract: it validates the rendered target,
refuses on errors and restores the file. `test_default_validator_runs_validate` covers the real one.
"""
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import promote as cli
from fks_gitops.repo_git import Git
from fks_gitops import validate
from fks_gitops.promote import promotion as promote
from fks_gitops import problem

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "promote_lib"))
from promote_repo import FIXTURE, NAMES, T0, clone, copy_real, make  # noqa: E402

from clock import faketime_env  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SATURDAY = dt.datetime(2026, 3, 7, 12, tzinfo=dt.timezone.utc)  # no freeze; T0 + 6 days
MARKET_OPEN = dt.datetime(2026, 3, 10, 15, tzinfo=dt.timezone.utc)  # Tuesday 11:00 in New York
EXEC = NAMES["fks-execution"]


def checker(repo, env, docs):
    return [
        problem.at(d, "test.broken", "error", f"image {c['image']!r} is marked broken")
        for d in docs
        if d["kind"] == "Deployment"
        for c in d["spec"]["template"]["spec"]["containers"]
        if c["image"].endswith("-broken")
    ]


@pytest.fixture(autouse=True)
def validated(monkeypatch):
    """Every validation call as (env, execution image it saw)."""
    calls = []

    def recording(repo, env, docs):
        deployment = next(d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == "fks-execution")
        calls.append((env, deployment["spec"]["template"]["spec"]["containers"][0]["image"]))
        return checker(repo, env, docs)

    monkeypatch.setattr(promote, "validate_target", recording)
    return calls


def unfrozen(tmp_path: Path) -> Path:
    """The fixture with prod's freeze taken out: command-line runs here use the real clock, which
    may be in market hours; the freeze has its own tests at fixed times below."""
    copy = tmp_path / "fixture"
    shutil.copytree(FIXTURE, copy)
    path = copy / "environments.yaml"
    text, count = re.subn(r"(?ms)^    freeze:\n.*\Z", "", path.read_text())
    assert count == 1
    path.write_text(text)
    return copy


@pytest.fixture
def work(tmp_path):
    return make(tmp_path, fixture=unfrozen(tmp_path))


@pytest.fixture
def frozen(tmp_path):
    """The fixture as it is: prod freezes in market hours (New York)."""
    return make(tmp_path)


def at(work, when: dt.datetime, target: str, **fields) -> promote.Promotion:
    """A promotion through the library, whose `now` puts the gates (and the commit date) at `when`."""
    return promote.promote(work.path, promote.Request(target, now=when, **fields))


def stage(work):
    """fks-execution 1.4.3 in dev (T0+1h) and staging (T0+2h), pushed."""
    work.set_tag("dev", "fks-execution", "1.4.3")
    work.commit("dev 1.4.3", T0 + dt.timedelta(hours=1))
    work.set_tag("staging", "fks-execution", "1.4.3")
    work.commit("staging 1.4.3", T0 + dt.timedelta(hours=2))
    work.push()
    return work


@pytest.fixture
def staged(work):
    """fks-execution 1.4.3 in dev (T0+1h) and staging (T0+2h), pushed: soaked by Saturday."""
    return stage(work)


def run(work, capsys, *args):
    code = cli.main(["--repo", str(work.path), *args])
    out, err = capsys.readouterr()
    return code, out, err


def run_at(work, when: dt.datetime, *args, env: dict | None = None) -> subprocess.CompletedProcess:
    """tools/promote.py as its own process, its clock moved to `when` by libfaketime."""
    argv = [sys.executable, str(REPO / "tools" / "promote.py"), "--repo", str(work.path), *args]
    return subprocess.run(argv, env=faketime_env(when, env), capture_output=True, text=True, timeout=120)


def trailers(work, rev="HEAD"):
    return work.git("log", "-1", "--format=%(trailers:only,unfold)", rev).splitlines()


# -- promotions that land


def test_dev_takes_a_pinned_image_as_a_one_line_commit(work, capsys, validated):
    code, out, _ = run(work, capsys, "--to", "dev", "--image", f"{EXEC}:1.4.3")
    assert code == 0
    assert work.subjects()[0] == "promote(dev): fks-execution 1.4.2 -> 1.4.3"
    assert trailers(work) == [f"Image: {EXEC}:1.4.3"]
    diff = work.git("diff", "-U0", "HEAD~1", "HEAD").splitlines()
    assert [ln for ln in diff if ln[:1] in "+-" and ln[:3] not in ("+++", "---")] == [
        "-    newTag: 1.4.2",
        "+    newTag: 1.4.3",
    ]
    assert work.git("diff", "--name-only", "HEAD~1", "HEAD") == "overlays/dev/kustomization.yaml"
    assert validated == [("dev", f"{EXEC}:1.4.3")]
    assert "committed" in out


def test_several_images_keep_comments_and_quotes(work, capsys):
    before = work.kustomization("dev").read_text()
    code, _, _ = run(work, capsys, "--to", "dev", "--image", "fks-execution:1.4.3", "--image", "grafana:11.2.2")
    assert code == 0
    after = work.kustomization("dev").read_text()
    assert after == before.replace("newTag: 1.4.2", "newTag: 1.4.3").replace('"11.2.0"', '"11.2.2"')
    message = work.git("log", "-1", "--format=%B")
    assert message.startswith("promote(dev): fks-execution 1.4.2 -> 1.4.3, grafana 11.2.0 -> 11.2.2\n\n")
    assert f"- {EXEC}: 1.4.2 -> 1.4.3\n- docker.io/grafana/grafana: 11.2.0 -> 11.2.2\n" in message


def test_prod_takes_staging_versions_after_soak_with_trailers(staged):
    source = staged.head()
    assert at(staged, SATURDAY, "prod").commit == staged.head()
    assert staged.tags("prod") == {"fks-execution": "1.4.3", "grafana": "11.2.0"}
    assert trailers(staged) == [f"Promoted-From: staging@{source}", f"Image: {EXEC}:1.4.3", "Soak: 142h"]
    assert staged.git("log", "-1", "--format=%cI") == "2026-03-07T12:00:00+00:00"  # dated when the gates ran


def test_the_command_line_dates_the_commit_by_the_clock_whatever_git_is_told(staged, capsys, monkeypatch):
    monkeypatch.setenv("GIT_COMMITTER_DATE", "2026-03-01T00:00:00+00:00")  # a forged date in the shell
    monkeypatch.setenv("GIT_AUTHOR_DATE", "2026-03-01T00:00:00+00:00")
    before = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    assert run(staged, capsys, "--to", "prod")[0] == 0
    committed = dt.datetime.fromisoformat(staged.git("log", "-1", "--format=%cI"))
    assert before <= committed <= dt.datetime.now(dt.timezone.utc)


def test_component_limits_what_moves(staged, capsys):
    staged.set_tag("dev", "grafana", "11.2.2")
    staged.set_tag("staging", "grafana", "11.2.2")
    staged.commit("dev and staging grafana", T0 + dt.timedelta(hours=3))
    code, _, _ = run(staged, capsys, "--to", "prod", "--component", "grafana")
    assert code == 0
    assert staged.tags("prod") == {"fks-execution": "1.4.2", "grafana": "11.2.2"}


def test_nothing_to_promote_exits_0(work, capsys):
    code, out, _ = run(work, capsys, "--to", "staging")
    assert (code, out, work.subjects()) == (0, "nothing to promote\n", ["initial"])


# -- gates, each refused and passed


def test_soak_refuses_then_passes(work):
    work.set_tag("dev", "fks-execution", "1.4.3")
    work.commit("dev 1.4.3", T0)
    work.set_tag("staging", "fks-execution", "1.4.3")
    work.commit("staging 1.4.3", dt.datetime(2026, 3, 6, 16, tzinfo=dt.timezone.utc))  # 20h before Saturday noon
    state = work.state()
    with pytest.raises(promote.Refused) as refused:
        at(work, SATURDAY, "prod")
    assert refused.value.lines == [
        "soak: fks-execution 1.4.3 has run in staging for 20h of 24h; wait until 2026-03-07 16:00 UTC "
        "or use --break-glass --reason TEXT"
    ]
    assert work.state() == state
    assert at(work, SATURDAY + dt.timedelta(hours=5), "prod").commit
    assert "Soak: 25h" in trailers(work)


def test_soak_refusal_prints_utc_when_now_has_an_offset(work, capsys):
    work.set_tag("dev", "fks-execution", "1.4.3")
    work.commit("dev 1.4.3", T0)
    work.set_tag("staging", "fks-execution", "1.4.3")
    work.commit("staging 1.4.3", dt.datetime(2026, 3, 8, 18, tzinfo=dt.timezone.utc))
    state = work.state()
    code, _, err = run(work, capsys, "--to", "prod", "--dry-run", "--at", "2026-03-09T10:00:00-04:00")  # 14:00 UTC
    assert code == 1 and "has run in staging for 20h of 24h; wait until 2026-03-09 18:00 UTC " in err
    assert work.state() == state


def test_order_refuses_a_version_that_never_ran_in_dev_even_with_break_glass(staged, capsys):
    staged.set_tag("staging", "fks-execution", "1.5.0")
    staged.commit("hand edit", T0 + dt.timedelta(hours=3))
    state = staged.state()
    code, _, err = run(staged, capsys, "--to", "prod", "--break-glass", "--reason", "try")
    assert code == 1 and "order: fks-execution 1.5.0 never ran in dev" in err
    assert staged.state() == state


def test_freeze_refuses_in_market_hours_and_break_glass_is_recorded(frozen):
    stage(frozen)
    state = frozen.state()
    with pytest.raises(promote.Refused) as refused:
        at(frozen, MARKET_OPEN, "prod")
    assert refused.value.lines == [
        "freeze: prod is frozen for market hours 09:30-16:00 until 2026-03-10 16:00 America/New_York; "
        "wait or use --break-glass --reason TEXT"
    ]
    assert frozen.state() == state
    result = at(frozen, MARKET_OPEN, "prod", break_glass="exchange outage fix INC-12")
    assert [r.gate for r in result.overridden] == ["freeze"]
    assert "Break-Glass: exchange outage fix INC-12" in trailers(frozen)


def test_the_command_line_gates_on_the_process_clock(frozen):
    """libfaketime puts the process in market hours: no option can move promote's clock."""
    stage(frozen)
    state = frozen.state()
    proc = run_at(frozen, MARKET_OPEN, "--to", "prod")
    assert proc.returncode == 1 and "freeze: prod is frozen for market hours 09:30-16:00" in proc.stderr
    assert frozen.state() == state
    proc = run_at(frozen, MARKET_OPEN, "--to", "prod", "--dry-run", "--at", "2026-03-07T12:00:00Z")
    # Planning for Saturday noon: no freeze, a soak of 142h. (The real validator, in this process,
    # refuses the small fixture itself; only the stand-in of the other tests knows it.)
    assert "+    newTag: 1.4.3" in proc.stdout and "(dry run, nothing written)" in proc.stdout
    assert "freeze:" not in proc.stderr and "soak:" not in proc.stderr and "validation:" in proc.stderr
    assert frozen.state() == state


@pytest.mark.parametrize("args", [["--now", "2026-03-07T12:00:00Z"], ["--at", "2026-03-07T12:00:00Z"]])
def test_no_clock_option_on_a_real_promotion(frozen, args):
    stage(frozen)
    state = frozen.state()
    proc = run_at(frozen, MARKET_OPEN, "--to", "prod", *args, env=dict(os.environ, FKS_NOW="2026-03-07T12:00:00Z"))
    assert proc.returncode == 2 and proc.stdout == ""
    assert ("unrecognized arguments: --now" if args[0] == "--now" else "--at plans only") in proc.stderr
    assert frozen.state() == state
    proc = run_at(frozen, MARKET_OPEN, "--to", "prod", env=dict(os.environ, FKS_NOW="2026-03-07T12:00:00Z"))
    assert proc.returncode == 1 and "freeze: prod is frozen" in proc.stderr  # FKS_NOW means nothing


def test_freeze_applies_only_to_the_environment_that_has_one(frozen):
    assert at(frozen, MARKET_OPEN, "dev", images=("fks-execution:1.4.3",)).commit


def test_validation_failure_restores_the_file(work, capsys, validated):
    state = work.state()
    code, _, err = run(work, capsys, "--to", "dev", "--image", "fks-execution:1.4.3-broken")
    assert code == 1
    assert "[error] Deployment/fks-execution: image 'ghcr.io/fks-trading/fks-execution:1.4.3-broken' is marked broken (test.broken)" in err
    assert "error: dev: promotion refused; nothing changed" in err
    assert work.state() == state and validated == [("dev", f"{EXEC}:1.4.3-broken")]


def test_break_glass_never_overrides_validation(work, capsys):
    work.set_tag("dev", "fks-execution", "1.4.3-broken")
    work.commit("dev broken", T0)
    state = work.state()
    assert run(work, capsys, "--to", "staging", "--break-glass", "--reason", "x")[0] == 1
    assert work.state() == state


def test_rendered_drift_is_refused_naming_the_path(staged, capsys):
    with staged.kustomization("prod").open("a") as out:
        out.write(
            "replacements:\n  - source: {kind: Deployment, name: fks-execution, fieldPath: "
            "'spec.template.spec.containers.[name=execution].image'}\n    targets:\n"
            "      - select: {kind: ConfigMap, name: fks-execution-config}\n"
            "        fieldPaths: [data.IMAGE]\n        options: {create: true}\n"
        )
    staged.commit("prod copies the image into a ConfigMap", T0 + dt.timedelta(hours=3))
    state = staged.state()
    code, _, err = run(staged, capsys, "--to", "prod")
    assert code == 1
    assert "drift: the promotion would change ConfigMap/fks-trading/fks-execution-config: data.IMAGE, not only images" in err
    assert staged.state() == state
    code, out, err = run(staged, capsys, "--to", "prod", "--dry-run")
    assert code == 1 and "+  IMAGE: ghcr.io/fks-trading/fks-execution:1.4.3" in out
    assert "drift: the promotion would change ConfigMap/fks-trading/fks-execution-config: data.IMAGE" in err
    assert staged.state() == state


# -- refusals change nothing


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--to", "qa"], "unknown environment 'qa'"),
        (["--to", "dev", "--image", "loki:1.0.0"], "overlays/dev: unknown image 'loki'"),
        (["--to", "dev", "--image", "fks-execution:latest"], "is not pinned"),
        (["--to", "dev", "--image", "fks-execution"], "is not pinned"),
        (["--to", "dev"], "--to dev needs --image"),
        (["--to", "prod", "--image", "fks-execution:1.4.3"], "--image sets dev only"),
        (["--to", "prod", "--component", "loki"], "overlays/staging: unknown image 'loki'"),
        (["--to", "prod", "--break-glass"], "--break-glass needs --reason"),
        (["--to", "prod", "--rollback", "--image", "x:1"], "--rollback takes neither"),
        (["--to", "dev", "--image", "fks-execution:1.4.3", "--push"], None),  # checked below: unpushed
        (["--to", "prod", "--dry-run", "--at", "tomorrow"], "not ISO 8601"),
        (["--to", "prod", "--at", "2026-03-07T12:00:00Z"], "--at plans only"),
        (["--to", "prod", "--push", "--at", "2026-03-07T12:00:00Z"], "--at plans only"),
    ],
)
def test_usage_errors_exit_2_and_change_nothing(work, capsys, args, message):
    if message is None:  # --push with a local commit not yet pushed
        work.set_tag("dev", "grafana", "11.2.1")
        work.commit("local", T0)
        message = "main has 1 commit that origin/main does not; push or drop them first"
    state = work.state()
    code, out, err = run(work, capsys, *args)
    assert code == 2 and message in err and out == ""
    assert len(err.strip().splitlines()) == 1
    assert work.state() == state


@pytest.mark.parametrize("tag", ["latest", '""'])
def test_an_unpinned_source_version_is_refused_before_anything_is_written(work, capsys, validated, tag):
    work.set_tag("dev", "fks-execution", tag)
    work.commit("dev unpinned", T0)
    state = work.state()
    code, out, err = run(work, capsys, "--to", "staging")
    shown = f"{EXEC}:latest" if tag == "latest" else EXEC
    assert (code, out, err) == (2, "", f"error: overlays/dev: image {shown!r} is not pinned; pin it in dev "
                                       "(a tag other than 'latest', or a digest) before promoting to staging\n")
    assert work.state() == state and validated == []


def test_a_directory_outside_git_is_refused(tmp_path, capsys):
    plain = tmp_path / "plain"
    shutil.copytree(FIXTURE, plain)
    code, out, err = cli.main(["--repo", str(plain), "--to", "dev", "--image", "fks-execution:1.4.3"]), *capsys.readouterr()
    assert (code, out, err) == (2, "", f"error: {plain} is not the top of a git repository\n")


@pytest.mark.parametrize("path", ["overlays/prod/kustomization.yaml", "base/grafana/deployment.yaml"])
def test_uncommitted_tracked_changes_refuse(work, capsys, path):
    with (work.path / path).open("a") as out:
        out.write("# local edit\n")
    state = work.state()
    code, _, err = run(work, capsys, "--to", "dev", "--image", "fks-execution:1.4.3")
    assert code == 2 and f"uncommitted changes in {path}" in err
    assert work.state() == state


def test_untracked_files_refuse_only_inside_overlays(work, capsys):
    (work.path / "notes.txt").write_text("scratch\n")
    assert run(work, capsys, "--to", "dev", "--image", "fks-execution:1.4.3")[0] == 0
    (work.path / "overlays" / "dev" / "new-patch.yaml").write_text("{}\n")
    code, _, err = run(work, capsys, "--to", "dev", "--image", "fks-execution:1.4.4")
    assert code == 2 and "uncommitted changes in overlays/dev/new-patch.yaml" in err


def test_detached_head_refuses(work, capsys):
    work.git("checkout", "-q", "--detach")
    state = work.state()
    code, _, err = run(work, capsys, "--to", "dev", "--image", "fks-execution:1.4.3")
    assert code == 2 and "HEAD is detached" in err
    assert work.state() == state


def test_failed_commit_restores_the_file(work, capsys):
    hook = work.path / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho 'hook says no' >&2\nexit 1\n")
    hook.chmod(0o755)
    state = work.state()
    code, _, err = run(work, capsys, "--to", "dev", "--image", "fks-execution:1.4.3")
    assert code == 1 and "git commit failed" in err
    assert work.state() == state


def test_interrupt_during_validation_leaves_the_tree_untouched(work):
    def interrupted(repo, env, docs):
        assert "1.4.3" not in (repo / "overlays/dev/kustomization.yaml").read_text()  # validated before the write
        raise KeyboardInterrupt

    state = work.state()
    request = promote.Request("dev", images=("fks-execution:1.4.3",))
    with pytest.raises(KeyboardInterrupt):
        promote.promote(work.path, request, validator=interrupted)
    assert work.state() == state


# -- dry run, branch, push


def test_dry_run_prints_both_diffs_and_writes_nothing(staged, capsys, validated):
    state = staged.state()
    code, out, _ = run(staged, capsys, "--to", "prod", "--dry-run")
    assert code == 0 and staged.state() == state
    assert "--- a/overlays/prod/kustomization.yaml\n" in out and "+    newTag: 1.4.3\n" in out
    assert "--- a/overlays/prod (rendered)\n" in out and f"+        image: {EXEC}:1.4.3\n" in out
    assert "promote(prod): fks-execution 1.4.2 -> 1.4.3 (dry run, nothing written)" in out
    assert validated == [("prod", f"{EXEC}:1.4.3")]


def test_dry_run_reports_refusals_with_exit_1(frozen, capsys):
    stage(frozen)
    state = frozen.state()
    code, out, err = run(frozen, capsys, "--to", "prod", "--dry-run", "--at", MARKET_OPEN.isoformat())
    assert code == 1 and "+    newTag: 1.4.3" in out and "freeze: prod is frozen" in err
    assert frozen.state() == state


def test_branch_commits_and_pushes_a_new_branch_and_returns(staged, capsys):
    main_head = staged.head()
    code, out, _ = run(staged, capsys, "--to", "prod", "--branch", "promote/prod-1.4.3")
    assert code == 0 and "branch promote/prod-1.4.3 pushed" in out
    assert staged.git("branch", "--show-current") == "main" and staged.head() == main_head
    assert staged.tags("prod")["fks-execution"] == "1.4.2"
    remote = staged.git("log", "-1", "--format=%s", "origin/promote/prod-1.4.3")
    assert remote == "promote(prod): fks-execution 1.4.2 -> 1.4.3"
    assert staged.git("rev-parse", "promote/prod-1.4.3~1") == main_head


def test_branch_refusal_leaves_no_branch(frozen):
    stage(frozen)
    state = frozen.state()
    with pytest.raises(promote.Refused):
        at(frozen, MARKET_OPEN, "prod", branch="promote/x")
    assert frozen.state() == state and frozen.git("branch", "--list", "promote/x") == ""


def test_push_lands_on_the_upstream(work, capsys):
    code, out, _ = run(work, capsys, "--to", "dev", "--image", "fks-execution:1.4.3", "--push")
    assert code == 0 and "pushed after 1 attempt\n" in out
    assert work.git("rev-parse", "origin/main") == work.head()
    assert work.git("--git-dir", str(work.origin), "log", "-1", "--format=%s") == work.subjects()[0]


def test_push_rejected_by_the_remote_changes_nothing(work, capsys):
    hook = work.origin / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\nexit 1\n")
    hook.chmod(0o755)
    state = work.state()
    code, _, err = run(work, capsys, "--to", "dev", "--image", "fks-execution:1.4.3", "--push")
    assert code == 1 and "pre-receive hook declined" in err
    assert work.state() == state


def test_two_concurrent_pushes_from_two_clones_both_land(tmp_path):
    origin = make(tmp_path).origin
    clones = [clone(tmp_path, origin, name) for name in ("alice", "bob")]
    refs = ["fks-execution:1.4.3", "grafana:11.2.2"]
    barrier, results, failures = threading.Barrier(2), {}, []

    def go(work, ref):
        barrier.wait()
        try:
            request = promote.Request("dev", images=(ref,), push=True, now=T0)
            results[ref] = promote.promote(work.path, request, validator=checker)
        except BaseException as exc:  # surfaced below with the thread's error
            failures.append(exc)

    threads = [threading.Thread(target=go, args=pair) for pair in zip(clones, refs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert sorted(r.attempts for r in results.values()) == [1, 2] and all(r.pushed for r in results.values())
    check = clone(tmp_path, origin, "check")
    assert check.tags("dev") == {"fks-execution": "1.4.3", "grafana": "11.2.2"}
    assert check.git("rev-list", "--min-parents=2", "HEAD") == ""  # linear: no merges
    assert sorted(check.subjects()[:2]) == ["promote(dev): fks-execution 1.4.2 -> 1.4.3", "promote(dev): grafana 11.2.0 -> 11.2.2"]


# -- rollback


def test_rollback_returns_to_the_previous_version_bypassing_freeze(frozen):
    stage(frozen)
    assert at(frozen, SATURDAY, "prod").commit
    assert at(frozen, MARKET_OPEN, "prod", rollback=True).commit
    assert frozen.tags("prod")["fks-execution"] == "1.4.2"
    assert frozen.subjects()[0] == "rollback(prod): fks-execution 1.4.3 -> 1.4.2"
    assert trailers(frozen) == [f"Image: {EXEC}:1.4.2", "Rollback: fks-execution 1.4.3 -> 1.4.2"]
    assert at(frozen, MARKET_OPEN, "prod", rollback=True).changes == ()


def test_rolled_back_version_needs_break_glass_to_return(staged, capsys):
    assert run(staged, capsys, "--to", "prod")[0] == 0
    assert run(staged, capsys, "--to", "prod", "--rollback")[0] == 0
    state = staged.state()
    code, _, err = run(staged, capsys, "--to", "prod")
    assert code == 1 and "rollback: fks-execution 1.4.3 was rolled back in prod" in err
    assert staged.state() == state
    assert run(staged, capsys, "--to", "prod", "--break-glass", "--reason", "fixed config")[0] == 0
    assert staged.tags("prod")["fks-execution"] == "1.4.3"


def test_rollback_of_a_named_image_without_history_is_refused(work, capsys):
    code, _, err = run(work, capsys, "--to", "prod", "--rollback", "--component", "grafana")
    assert code == 1 and "history has no version of grafana before 11.2.0" in err


def test_rollback_is_validated(staged, capsys, validated):
    assert run(staged, capsys, "--to", "prod")[0] == 0
    assert run(staged, capsys, "--to", "prod", "--rollback")[0] == 0
    assert validated[-1] == ("prod", f"{EXEC}:1.4.2")


# -- status and history


def test_status_table_marks_differences_and_ages(staged, capsys):
    code, out, _ = run(staged, capsys, "--status", "--at", SATURDAY.isoformat())
    assert code == 0
    assert out.splitlines() == [
        "IMAGE          dev             staging                       prod",
        "fks-execution  1.4.3 (5d 23h)  1.4.3 (5d 22h, soak 24h/24h)  1.4.2 (6d 0h) *",
        "grafana        11.2.0 (6d 0h)  11.2.0 (6d 0h, soak 24h/24h)  11.2.0 (6d 0h)",
        "* differs from the environment before it",
    ]


def test_status_json(staged, capsys):
    code, out, _ = run(staged, capsys, "--status", "--format", "json", "--at", SATURDAY.isoformat())
    data = json.loads(out)
    assert code == 0 and data["environments"] == ["dev", "staging", "prod"]
    prod = data["images"][0]["environments"]["prod"]
    assert (data["images"][0]["component"], prod["version"], prod["differs"], prod["age_seconds"]) == (
        "fks-execution", "1.4.2", True, 6 * 24 * 3600,
    )
    assert data["images"][0]["environments"]["staging"]["since"] == "2026-03-01T14:00:00+00:00"


def test_history_lists_promotions_newest_first(staged, capsys):
    assert at(staged, SATURDAY, "prod").commit
    assert at(staged, SATURDAY + dt.timedelta(hours=1), "prod", rollback=True).commit
    code, out, _ = run(staged, capsys, "--history", "--env", "prod")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 2
    assert lines[0].startswith("2026-03-07 13:00 ") and lines[0].endswith("rollback(prod): fks-execution 1.4.3 -> 1.4.2")
    assert "Test: promote(prod): fks-execution 1.4.2 -> 1.4.3  [Promoted-From: staging@" in lines[1] and "Soak: 142h" in lines[1]
    data = json.loads(run(staged, capsys, "--history", "--format", "json")[1])
    assert [(r["env"], r["kind"], r["author"], r["audit"]) for r in data] == [
        ("prod", "rollback", "Test", []), ("prod", "promote", "Test", [])]
    assert run(staged, capsys, "--history", "--env", "dev")[1] == "no promotions recorded for dev\n"


def test_history_shows_what_the_audit_says_of_a_hand_written_promotion(staged, capsys):
    staged.set_tag("prod", "fks-execution", "1.4.3")
    staged.commit(f"promote(prod): fks-execution 1.4.2 -> 1.4.3\n\nImage: {EXEC}:1.4.3\nBreak-Glass: approved\n",
                  SATURDAY)
    code, out, _ = run(staged, capsys, "--history", "--env", "prod")
    assert code == 0
    assert out.splitlines()[1:] == [
        "    audit error: Promoted-From (missing) names no earlier commit of staging",
        "    audit warning: break-glass by Test, overriding nothing: approved",
    ]


# -- the real validator on the real repository


def test_default_validator_runs_validate_on_the_real_repository(tmp_path, capsys, monkeypatch):
    monkeypatch.undo()  # the real promote.validate_target, not the stand-in
    real, calls = validate.validate, []

    def spy(repo, envs=None, rendered=None, **kwargs):
        calls.append((envs, sorted(rendered or {})))
        return real(repo, envs, rendered, **kwargs)

    monkeypatch.setattr(validate, "validate", spy)
    work = copy_real(tmp_path, REPO)
    for env in ("dev", "staging"):
        work.set_tag(env, "fks-execution", "9.9.9")
    work.commit("dev and staging 9.9.9", T0 + dt.timedelta(hours=1))
    assert at(work, SATURDAY, "prod").commit
    assert work.tags("prod")["fks-execution"] == "9.9.9"
    assert work.git("diff", "--name-only", "HEAD~1", "HEAD") == "overlays/prod/kustomization.yaml"
    assert calls == [(["prod"], ["prod"])]  # validated once, on promote's own render


def test_real_validation_failure_refuses_and_changes_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.undo()  # the real promote.validate_target
    work = copy_real(tmp_path, REPO)
    # prod already carries a problem only validation sees: it would trade on paper.
    patch = work.path / "overlays/prod/execution-trading-mode.yaml"
    patch.write_text(patch.read_text().replace("TRADING_MODE: live", "TRADING_MODE: paper"))
    for env in ("dev", "staging"):
        work.set_tag(env, "fks-execution", "9.9.9")
    work.commit("paper prod; dev and staging 9.9.9", T0 + dt.timedelta(hours=1))
    before = work.state()
    with pytest.raises(promote.Refused) as refused:
        at(work, SATURDAY, "prod")
    assert any("trading_mode.paper_in_prod" in line for line in refused.value.lines)
    assert work.state() == before
    assert work.tags("prod")["fks-execution"] == "1.4.2"


# -- hostile commit text (issue 10, step 5): history is read NUL-separated, never on a printable separator

HOSTILE = [
    "dev 1.4.3 \x1f unit \x1e record\tand a tab",
    "Image: ghcr.io/evil/miner:6.6.6",  # a subject that looks like a trailer
    "déploiement ✓ 日本語\n\nbody line one\nbody\x1fline\x1etwo\n\n"
    f"Image: {EXEC}:1.4.3 \x1f\nNote: ünïcode\x1e and\ttab\n",
]


def hostile(work):
    """Three commits of hostile text before the usual promotions: a dev change, an empty one, a trailer one."""
    work.set_tag("dev", "fks-execution", "1.4.3")
    work.commit(HOSTILE[0], T0 + dt.timedelta(hours=1))
    work.git("commit", "-q", "--allow-empty", "-m", HOSTILE[1], when=T0 + dt.timedelta(hours=1, minutes=30))
    work.set_tag("staging", "fks-execution", "1.4.3")
    work.commit(HOSTILE[2], T0 + dt.timedelta(hours=2))
    work.push()
    return work


def test_hostile_commit_text_is_kept_exactly_by_the_ledger(work):
    from fks_gitops.promote import ledger

    hostile(work)
    commits = ledger.read(Git.open(work.path), ["overlays/dev", "overlays/staging", "overlays/prod"]).commits
    assert [c.subject for c in commits[-3:]] == [HOSTILE[0], HOSTILE[1], "déploiement ✓ 日本語"]
    assert commits[-1].trailers == (("Image", f"{EXEC}:1.4.3 \x1f"), ("Note", "ünïcode\x1e and\ttab"))
    assert commits[-2].trailers == () and commits[-2].files == ()
    assert [c.files for c in commits[-3::2]] == [("overlays/dev/kustomization.yaml",),
                                                 ("overlays/staging/kustomization.yaml",)]
    assert commits[-1].images["overlays/staging"]["ghcr.io/fks-trading/fks-execution"].tag == "1.4.3"


def test_hostile_commit_text_breaks_no_command(work, capsys):
    hostile(work)
    code, out, err = run(work, capsys, "--history")
    assert (code, out, err) == (0, "no promotions recorded\n", "")
    code, out, err = run(work, capsys, "--status", "--at", SATURDAY.isoformat())
    assert code == 0 and err == ""
    assert out.splitlines()[1] == "fks-execution  1.4.3 (5d 23h)  1.4.3 (5d 22h, soak 24h/24h)  1.4.2 (6d 0h) *"
    code, out, err = run(work, capsys, "--to", "prod")
    assert code == 0 and "promote(prod): fks-execution 1.4.2 -> 1.4.3\ncommitted" in out
    assert work.tags("prod")["fks-execution"] == "1.4.3"
    code, out, err = run(work, capsys, "--to", "dev", "--image", f"{EXEC}:1.4.4")
    assert code == 0 and work.tags("dev")["fks-execution"] == "1.4.4"
    code, out, err = run(work, capsys, "--to", "prod", "--rollback")
    assert code == 0 and "rollback(prod): fks-execution 1.4.3 -> 1.4.2" in out
    code, out, err = run(work, capsys, "--history", "--env", "prod")
    lines = out.splitlines()
    assert code == 0 and err == "" and len(lines) == 2
    assert lines[0].endswith("rollback(prod): fks-execution 1.4.3 -> 1.4.2")
    assert "promote(prod): fks-execution 1.4.2 -> 1.4.3" in lines[1]


# -- one promotion per working tree (issue 10, step 2)

LOCK = Path(".git") / "fks-promote.lock"


@pytest.fixture
def renders(monkeypatch):
    """Every render promote started, as the overlay's label."""
    from fks_gitops.promote import rendered
    from fks_gitops import render as render_module

    calls = []

    def recording(overlay, label=None):
        calls.append(label)
        return render_module.render(overlay, label)

    monkeypatch.setattr(promote, "render", recording)
    monkeypatch.setattr(rendered, "render", recording)
    return calls


def test_a_second_promotion_in_the_same_tree_is_refused_at_once(work, capsys, validated, renders):
    second = []

    def during_validation(repo, env, docs):
        assert (repo / LOCK).is_file()
        before = list(renders)
        second.append((run(work, capsys, "--to", "dev", "--image", "grafana:11.2.2"), renders[len(before):]))
        return checker(repo, env, docs)

    result = promote.promote(work.path, promote.Request("dev", images=("fks-execution:1.4.3",)), during_validation)
    [((code, out, err), renders_of_second)] = second
    assert code == 1 and out == "" and renders_of_second == [] and validated == []
    assert re.fullmatch(r"error: another promotion \(pid \d+, started [\d-]+ [\d:]+ UTC\) is running in this "
                        r"working tree; wait for it to finish, or use another clone\n", err)
    assert result.commit and result.took_over is None and not (work.path / LOCK).exists()
    assert work.subjects()[0] == "promote(dev): fks-execution 1.4.2 -> 1.4.3"
    assert work.tags("dev")["grafana"] == "11.2.0"
    assert work.git("status", "--porcelain", "--untracked-files=all") == ""


def test_the_lock_is_released_on_refusal_and_interrupt(work, capsys):
    def interrupted(repo, env, docs):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        promote.promote(work.path, promote.Request("dev", images=("fks-execution:1.4.3",)), interrupted)
    assert not (work.path / LOCK).exists()
    assert run(work, capsys, "--to", "dev", "--image", "fks-execution:1.4.3-broken")[0] == 1
    assert not (work.path / LOCK).exists()
    assert run(work, capsys, "--to", "dev", "--image", "fks-execution:1.4.3")[0] == 0


def test_a_lock_whose_process_is_gone_is_taken_over_saying_so(work, capsys):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (work.path / LOCK).write_text(json.dumps({"pid": dead.pid, "started": T0.timestamp(), "ticks": 1}))
    code, out, err = run(work, capsys, "--to", "dev", "--image", "fks-execution:1.4.3")
    assert code == 0 and "committed" in out
    assert err == f"note: took over the stale promotion lock {work.path / LOCK} of pid {dead.pid} (no longer running)\n"
    assert not (work.path / LOCK).exists()


def test_a_lock_whose_pid_was_reused_is_stale(work):
    # This very process holds the pid, but started later than the recorded holder did.
    (work.path / LOCK).write_text(json.dumps({"pid": os.getpid(), "started": T0.timestamp(), "ticks": -1}))
    result = at(work, T0, "dev", images=("fks-execution:1.4.3",))
    assert result.commit and result.took_over and not (work.path / LOCK).exists()


@pytest.mark.parametrize("args", [["--dry-run", "--to", "dev", "--image", "fks-execution:1.4.3"], ["--status"],
                                  ["--history"]])
def test_reading_runs_take_no_lock(work, capsys, args):
    (work.path / LOCK).write_text(json.dumps({"pid": os.getpid(), "started": T0.timestamp()}))  # held, by us
    assert run(work, capsys, *args)[0] == 0
    assert (work.path / LOCK).exists()


# -- input checks before any work (issue 10, step 9)


def refused_before_work(work, capsys, validated, renders, *args):
    state = work.state()
    code, out, err = run(work, capsys, "--to", "dev", "--image", "fks-execution:1.4.3", *args)
    assert (code, out) == (2, "") and len(err.splitlines()) == 1
    assert renders == [] and validated == [] and work.state() == state
    assert not (work.path / LOCK).exists()
    return err


def test_a_missing_git_identity_is_refused_before_any_work(work, capsys, validated, renders, monkeypatch, tmp_path):
    home = tmp_path / "empty-home"
    home.mkdir()
    for name in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "EMAIL",
                 "XDG_CONFIG_HOME", "GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    work.git("config", "--unset", "user.email")
    err = refused_before_work(work, capsys, validated, renders)
    assert err == ("error: no git identity: user.email is not set; run `git config user.email you@example.com` "
                   "(add --global for every repository) and try again\n")
    work.git("config", "user.email", "test@example.invalid")
    work.git("config", "--unset", "user.name")
    assert "run `git config user.name \"Your Name\"`" in refused_before_work(work, capsys, validated, renders)
    monkeypatch.setenv("GIT_AUTHOR_NAME", "CI")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "CI")
    assert run(work, capsys, "--to", "dev", "--image", "fks-execution:1.4.3")[0] == 0
    assert work.git("log", "-1", "--format=%an <%ae>") == "CI <test@example.invalid>"


def test_a_dry_run_needs_no_identity(work, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    work.git("config", "--unset", "user.email")
    assert run(work, capsys, "--to", "dev", "--image", "fks-execution:1.4.3", "--dry-run")[0] == 0


def test_push_without_a_remote_is_refused_before_any_work(work, capsys, validated, renders):
    work.git("remote", "remove", "origin")
    err = refused_before_work(work, capsys, validated, renders, "--push")
    assert err == ("error: --push: this repository has no remote; add one "
                   "(git remote add origin URL, then git push -u origin main)\n")
    assert "no remote to push --branch to" in refused_before_work(work, capsys, validated, renders, "--branch", "p/x")


def test_push_without_an_upstream_is_refused_before_any_work(work, capsys, validated, renders):
    work.git("branch", "--unset-upstream")
    err = refused_before_work(work, capsys, validated, renders, "--push")
    assert err == "error: branch 'main' has no upstream; run `git push -u origin main` once, or drop --push\n"


@pytest.mark.parametrize("args", [[], ["--push"], ["--dry-run"]])
def test_a_detached_head_is_refused_before_any_work(work, capsys, validated, renders, args):
    work.git("checkout", "-q", "--detach")
    err = refused_before_work(work, capsys, validated, renders, *args)
    assert err == "error: HEAD is detached; check out a branch (git switch main) and try again\n"
