"""promote under load, faults and misbehaving remotes (issue 10): real clones, a bare origin, real
kills. Every promotion lands or fails cleanly, and nothing it leaves blocks the next one.

Validation is the stand-in of test_promote.py (it refuses `*-broken` tags), so each scenario runs
in about a second; a killed run is a real process (promote_lib/promote_child.py), killed by the
repository's own hooks at the moment a test picks.
"""
import datetime as dt
import json
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import promote as cli
from fks_gitops.promote import promotion as promote
from fks_gitops.promote.versions import older

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "promote_lib"))
from promote_child import kill_holder  # noqa: E402
from promote_repo import FIXTURE, NAMES, T0, clone, make  # noqa: E402

EXEC = NAMES["fks-execution"]
CHILD = Path(__file__).parent / "fixtures" / "promote_lib" / "promote_child.py"
LOCK = Path(".git") / "fks-promote.lock"
WORKERS = [f"ghcr.io/fks-trading/worker-{i}" for i in range(1, 7)]


def accept(repo, env, docs):
    """Validation that passes: these tests are about git, locks and kills."""
    return []


@pytest.fixture(autouse=True)
def accepted(monkeypatch):
    monkeypatch.setattr(promote, "validate_target", accept)


@pytest.fixture
def work(tmp_path):
    """The promotion fixture without prod's freeze (these runs use the real clock)."""
    copy = tmp_path / "fixture"
    shutil.copytree(FIXTURE, copy)
    config = copy / "environments.yaml"
    config.write_text(re.sub(r"(?ms)^    freeze:\n.*\Z", "", config.read_text()))
    return make(tmp_path, fixture=copy)


def run(work, capsys, *args):
    code = cli.main(["--repo", str(work.path), *args])
    out, err = capsys.readouterr()
    return code, out, err


def promote_dev(work, *images, **fields):
    return promote.promote(work.path, promote.Request("dev", images=images, **fields), accept)


def changed_lines(work, rev):
    """The commit's changed lines, without their comments."""
    diff = work.git("show", "--format=", "-U0", rev).splitlines()
    return [ln.split("   #")[0] for ln in diff if ln[:1] in "+-" and ln[:3] not in ("+++", "---")]


# -- 1. concurrent pushes all land


@pytest.fixture
def eight(tmp_path):
    """The fixture with six more images (one Deployment of workers), so that eight promotions
    from eight clones move eight different images."""
    copy = tmp_path / "fixture"
    shutil.copytree(FIXTURE, copy)
    config = copy / "environments.yaml"
    text = re.sub(r"(?ms)^    freeze:\n.*\Z", "", config.read_text())
    allowed = "".join(f"  worker-{i}: [{name}]\n" for i, name in enumerate(WORKERS, 1))
    config.write_text(text.replace("images:\n", "images:\n" + allowed, 1))
    base = copy / "base" / "workers"
    base.mkdir()
    containers = "".join(f"        - name: worker-{i}\n          image: {name}:1.0.0\n" for i, name in enumerate(WORKERS, 1))
    (base / "deployment.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: workers\nspec:\n  selector:\n    matchLabels:\n"
        "      app: workers\n  template:\n    metadata:\n      labels:\n        app: workers\n    spec:\n"
        "      containers:\n" + containers)
    (base / "kustomization.yaml").write_text("resources:\n  - deployment.yaml\n")
    for env in ("dev", "staging", "prod"):
        path = copy / "overlays" / env / "kustomization.yaml"
        entries = "".join(f"  - name: {name}\n    newTag: 1.0.0\n" for name in WORKERS)
        path.write_text(path.read_text().replace("resources:\n", "resources:\n  - ../../base/workers\n", 1)
                        .replace("images:\n", "images:\n" + entries, 1))
    origin = make(tmp_path, fixture=copy)
    return origin, [clone(tmp_path, origin.origin, f"ci-{i}") for i in range(8)]


def test_eight_concurrent_pushes_from_eight_clones_all_land(eight):
    origin, clones = eight
    refs = [f"{EXEC}:1.4.3", f"{NAMES['grafana']}:11.2.1", *(f"{name}:1.0.1" for name in WORKERS)]
    results, failures = {}, []
    start = threading.Barrier(len(clones))

    def one(work, ref):
        start.wait()
        try:
            results[ref] = promote_dev(work, ref, push=True)
        except Exception as exc:  # noqa: BLE001 - reported below
            failures.append(f"{ref}: {exc}")

    threads = [threading.Thread(target=one, args=pair) for pair in zip(clones, refs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=200)
    assert failures == [] and sorted(results) == sorted(refs)
    assert all(r.pushed and r.attempts >= 1 for r in results.values())
    assert sum(r.attempts for r in results.values()) > len(refs)  # they did race, and retried

    origin.git("pull", "-q", "--ff-only")
    log = origin.git("log", "--format=%H %P", "HEAD").splitlines()
    assert all(len(line.split()) <= 2 for line in log)  # linear: no merge commit
    promotions = log[:len(refs)]
    assert len(promotions) == len(refs)
    seen = set()
    for line in promotions:
        sha = line.split()[0]
        (image,) = [t.removeprefix("Image: ") for t in origin.git("log", "-1", "--format=%(trailers:only,unfold)", sha).splitlines()
                    if t.startswith("Image: ")]
        name, tag = image.rsplit(":", 1)
        seen.add(image)
        assert origin.git("show", "--format=", "--name-only", sha) == "overlays/dev/kustomization.yaml"
        old = {"fks-execution": "1.4.2", "grafana": '"11.2.0"'}.get(name.rsplit("/", 1)[-1], "1.0.0")
        new = f'"{tag}"' if old.startswith('"') else tag
        assert changed_lines(origin, sha) == [f"-    newTag: {old}", f"+    newTag: {new}"]
    assert seen == set(refs)


def test_the_lower_version_arriving_second_is_refused_as_a_downgrade(work, tmp_path):
    late = clone(tmp_path, work.origin, "late")
    assert promote_dev(work, f"{EXEC}:1.4.5", push=True).pushed
    with pytest.raises(promote.Refused) as refused:
        promote_dev(late, f"{EXEC}:1.4.4", push=True)
    assert refused.value.lines == [
        "downgrade: fks-execution 1.4.4 is older than the 1.4.5 dev runs; give --allow-downgrade if you mean it"]
    assert late.git("status", "--porcelain") == "" and late.git("rev-list", "--count", "origin/main..HEAD") == "0"


def test_push_reports_its_attempts_and_a_moved_remote_is_redone_on_its_tip(work, tmp_path, capsys):
    other = clone(tmp_path, work.origin, "other")
    other.set_tag("dev", "grafana", "11.2.1")
    other.commit("grafana by hand in another clone", T0)
    other.push()
    code, out, err = run(work, capsys, "--to", "dev", "--image", f"{EXEC}:1.4.3", "--push")
    assert code == 0 and "pushed after 1 attempt\n" in out, err  # fetched first: no rejected push
    assert work.git("log", "--format=%s", "-2", "origin/main").splitlines() == [
        "promote(dev): fks-execution 1.4.2 -> 1.4.3", "grafana by hand in another clone"]


# -- 8. no silent downgrade


def test_a_lower_version_in_dev_needs_allow_downgrade_which_is_recorded(work, capsys):
    state = work.state()
    code, out, err = run(work, capsys, "--to", "dev", "--image", f"{EXEC}:1.4.1")
    assert code == 1 and "downgrade: fks-execution 1.4.1 is older than the 1.4.2 dev runs" in err
    assert work.state() == state
    code, out, err = run(work, capsys, "--to", "dev", "--image", f"{EXEC}:1.4.1", "--allow-downgrade")
    assert code == 0 and "allow-downgrade overrides downgrade: fks-execution 1.4.1" in out
    trailers = work.git("log", "-1", "--format=%(trailers:only,unfold)").splitlines()
    assert "Allow-Downgrade: fks-execution 1.4.2 -> 1.4.1" in trailers


def test_a_tag_that_is_no_version_is_older_when_the_environment_ran_it_before(work):
    assert promote_dev(work, f"{EXEC}:sha-aaaa").commit
    assert promote_dev(work, f"{EXEC}:sha-bbbb").commit  # never ran here: newer
    with pytest.raises(promote.Refused) as refused:
        promote_dev(work, f"{EXEC}:sha-aaaa")
    assert refused.value.lines == [
        "downgrade: fks-execution sha-aaaa is older than the sha-bbbb dev runs; give --allow-downgrade if you mean it"]


def test_promoting_a_lower_version_from_the_source_points_to_rollback(work):
    for env in ("staging", "prod"):
        work.set_tag(env, "fks-execution", "1.4.3")
    work.commit("staging and prod run 1.4.3", T0)
    work.set_tag("staging", "fks-execution", "1.4.2")
    work.commit("staging back to 1.4.2", T0 + dt.timedelta(hours=1))
    with pytest.raises(promote.Refused) as refused:
        promote.promote(work.path, promote.Request("prod", now=T0 + dt.timedelta(days=3)), accept)
    assert "downgrade: fks-execution 1.4.2 is older than the 1.4.3 prod runs; roll back with --rollback, " \
           "or give --allow-downgrade" in refused.value.lines


@pytest.mark.parametrize("new, old, expected", [
    ("1.9.34", "1.9.35", True), ("1.9.35", "1.9.34", False), ("1.10.0", "1.9.99", False),
    ("v2.0.0", "1.99.0", False), ("1.0.0-rc.1", "1.0.0", True), ("1.0.0-alpha", "1.0.0-alpha.1", True),
    ("1.0.0-alpha.beta", "1.0.0-beta", True), ("1.0.0-beta.2", "1.0.0-beta.11", True),
    ("1.0.0-rc.1", "1.0.0-beta.11", False), ("1.0.0+build.2", "1.0.0+build.1", False),
    ("1.4.3", "1.4.3", False), ("sha-1", "1.4.3", None), ("01.2.3", "1.2.3", None), ("9" * 4301, "1.0.0", None),
])
def test_versions_follow_semver_precedence(new, old, expected):
    """semver.org section 11: numeric fields numerically, a pre-release before its release,
    identifiers field by field, numeric before alphanumeric, build metadata ignored."""
    assert older(new, old) is expected


# -- 3. crash safety: a kill at any stage, then the next run


def child(work, *args):
    argv = [sys.executable, str(CHILD), str(work.path), "dev", f"{EXEC}:1.4.3", *args]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    return json.loads((work.path / LOCK).read_text())["journal"]


def test_killed_while_validating_the_next_run_just_works(work, capsys):
    journal = child(work, "--die-validating")
    assert journal["stage"] == "planning"
    code, out, err = run(work, capsys, "--to", "dev", "--image", f"{EXEC}:1.4.3")
    assert code == 0 and err.startswith("note: took over the stale promotion lock")
    assert work.tags("dev")["fks-execution"] == "1.4.3" and not (work.path / LOCK).exists()


def test_killed_after_the_edit_the_next_run_says_abort_which_restores_it(work, capsys):
    kill_holder(work.path / ".git", "pre-commit")
    start = work.head()
    assert child(work)["stage"] == "writing"
    assert work.tags("dev")["fks-execution"] == "1.4.3" and work.head() == start  # edited, not committed
    (work.path / ".git" / "hooks" / "pre-commit").unlink()
    for args in (["--to", "dev", "--image", f"{EXEC}:1.4.4"], ["--to", "dev", "--image", f"{EXEC}:1.4.4", "--dry-run"]):
        code, out, err = run(work, capsys, *args)
        assert code == 2 and "uncommitted" not in err and len(err.splitlines()) == 1
        assert re.fullmatch(r"error: a promotion to dev \(pid \d+, started .* UTC\) was killed and left an edit of "
                            r"overlays/dev/kustomization.yaml; run `tools/promote.py --abort` to restore main as "
                            r"it was, then promote again\n", err), err
    code, out, err = run(work, capsys, "--abort")
    assert (code, out, err) == (0, "restored overlays/dev/kustomization.yaml as main has it\n", "")
    assert work.git("status", "--porcelain", "--untracked-files=all") == "" and work.head() == start
    assert promote_dev(work, f"{EXEC}:1.4.4").commit


def test_killed_after_a_local_commit_the_commit_is_kept(work, capsys):
    kill_holder(work.path / ".git", "post-commit")
    child(work)
    (work.path / ".git" / "hooks" / "post-commit").unlink()
    assert work.subjects()[0] == "promote(dev): fks-execution 1.4.2 -> 1.4.3"
    code, out, err = run(work, capsys, "--abort")
    assert code == 0 and re.fullmatch(r"kept commit [0-9a-f]{12}: it passed every gate before it was written\n", out)
    assert work.subjects()[0] == "promote(dev): fks-execution 1.4.2 -> 1.4.3"
    assert run(work, capsys, "--to", "dev", "--image", f"{EXEC}:1.4.4")[0] == 0


def test_killed_before_the_push_the_unpushed_commit_is_dropped(work, capsys):
    kill_holder(work.path / ".git", "pre-push")
    start = work.head()
    assert child(work, "--push")["stage"] == "committed"
    (work.path / ".git" / "hooks" / "pre-push").unlink()
    code, out, err = run(work, capsys, "--to", "dev", "--image", f"{EXEC}:1.4.3", "--push")
    assert code == 2 and "a commit it did not push" in err
    code, out, err = run(work, capsys, "--abort")
    assert code == 0 and re.fullmatch(r"dropped commit [0-9a-f]{12}, which was never pushed; promote again to redo it\n", out)
    assert work.head() == start and work.git("status", "--porcelain") == ""
    code, out, err = run(work, capsys, "--to", "dev", "--image", f"{EXEC}:1.4.3", "--push")
    assert code == 0 and work.git("rev-parse", "origin/main") == work.head()


def test_killed_on_a_promotion_branch_abort_returns_to_main_and_deletes_it(work, capsys):
    kill_holder(work.path / ".git", "pre-push")
    start = work.head()
    assert child(work, "--branch", "promote/dev-1.4.3")["stage"] == "committed"
    assert work.git("branch", "--show-current") == "promote/dev-1.4.3"  # the user is left there
    (work.path / ".git" / "hooks" / "pre-push").unlink()
    code, out, err = run(work, capsys, "--abort")
    assert code == 0 and out == "back on main\ndeleted branch promote/dev-1.4.3, which was never pushed\n"
    assert work.git("branch", "--show-current") == "main" and work.head() == start
    assert work.git("branch", "--list", "promote/*") == ""
    assert run(work, capsys, "--to", "dev", "--image", f"{EXEC}:1.4.3", "--branch", "promote/dev-1.4.3")[0] == 0


def test_abort_leaves_a_change_that_is_not_the_promotions(work, capsys):
    kill_holder(work.path / ".git", "pre-commit")
    child(work)
    (work.path / ".git" / "hooks" / "pre-commit").unlink()
    work.set_tag("dev", "grafana", "11.2.9")  # the user edits the same file afterwards
    code, out, err = run(work, capsys, "--abort")
    assert code == 2 and "overlays/dev/kustomization.yaml was changed after the killed promotion wrote it" in err
    assert work.tags("dev")["grafana"] == "11.2.9"


def test_a_temporary_file_left_by_a_killed_write_is_no_change_and_is_swept(work, capsys):
    stray = work.path / "overlays" / "dev" / ".kustomization.yaml.k3j_x9a2.tmp"
    stray.write_text("half a file")
    code, out, err = run(work, capsys, "--to", "dev", "--image", f"{EXEC}:1.4.3")
    assert code == 0 and not stray.exists()
    assert run(work, capsys, "--abort")[1] == "no interrupted promotion in this working tree; nothing to undo\n"


# -- 4. git over the network: bounded and honest


def hook(work, name, body):
    path = work.origin / "hooks" / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)


def test_a_rejecting_hook_is_quoted_in_full(work, capsys):
    hook(work, "pre-receive", "echo 'policy: promotions to main need a ticket' >&2\necho 'see RUNBOOK.md' >&2\nexit 1\n")
    state = work.state()
    code, out, err = run(work, capsys, "--to", "dev", "--image", f"{EXEC}:1.4.3", "--push")
    assert code == 1 and out == ""
    assert "git: remote: policy: promotions to main need a ticket\ngit: remote: see RUNBOOK.md\n" in err
    assert err.splitlines()[-1] == "error: git push origin HEAD:main failed: [remote rejected] (pre-receive hook declined)"
    assert work.state() == state


def test_a_sleeping_hook_times_out(work, capsys):
    hook(work, "pre-receive", "sleep 60\n")
    state = work.state()
    began = time.monotonic()
    code, out, err = run(work, capsys, "--to", "dev", "--image", f"{EXEC}:1.4.3", "--push", "--git-timeout", "2")
    assert time.monotonic() - began < 30
    assert code == 1 and err == ("error: git push origin did not finish within 2 s (--git-timeout SECONDS); the remote "
                                 "may have taken the push: git fetch and look before trying again\n")
    assert work.state() == state


def test_an_unreachable_remote_says_what_git_said(work, capsys):
    work.git("remote", "set-url", "origin", str(work.path.parent / "gone.git"))
    code, out, err = run(work, capsys, "--to", "dev", "--image", f"{EXEC}:1.4.3", "--push")
    assert code == 1
    assert f"error: git fetch origin failed: '{work.path.parent / 'gone.git'}' does not appear to be a git repository" in err
    assert "and the repository exists." in err  # git's whole message, above the error line


def test_a_rewound_remote_is_not_pushed_back(work, tmp_path, capsys):
    for tag in ("11.2.1", "11.2.2", "11.2.3"):
        work.set_tag("dev", "grafana", tag)
        work.commit(f"grafana {tag}", T0)
    work.push()
    admin = clone(tmp_path, work.origin, "admin")
    admin.git("push", "-q", "--force", "origin", "HEAD~3:main")  # someone drops the three commits
    state = work.state()
    code, out, err = run(work, capsys, "--to", "dev", "--image", f"{EXEC}:1.4.3", "--push")
    assert (code, out) == (2, "")
    assert err == "error: main has 3 commits that origin/main does not; push or drop them first\n"
    assert work.state() == state and admin.git("ls-remote", "origin", "main").split()[0] == admin.git("rev-parse", "HEAD~3")


def test_git_timeout_takes_seconds(work, capsys):
    code, out, err = run(work, capsys, "--to", "dev", "--image", f"{EXEC}:1.4.3", "--git-timeout", "soon")
    assert code == 2 and "'soon' is not a number of seconds" in err
