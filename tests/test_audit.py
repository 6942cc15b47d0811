"""The promotion audit (validate's `promotions` check) on real repositories with a bare origin.

Every bypass of issue 8 is made the way a person would make it (a hand edit, a hand-written
commit with trailers, a forged commit date, a shallow clone) and must be reported; a chain of
real promotions must pass.
"""
import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from fks_gitops.repo_git import Git
from fks_gitops import environments
from fks_gitops.checks import promotions as audit
from fks_gitops.problem import Location
from fks_gitops.promote import ledger
from fks_gitops.promote import promotion as promote
from fks_gitops.promote.images import Image
from fks_gitops.promote.message import commit_message
from fks_gitops.promote.plan import Change

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "promote_lib"))
from promote_repo import NAMES, T0, copy_real, make  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
EXEC = NAMES["fks-execution"]
SATURDAY = dt.datetime(2026, 3, 7, 12, tzinfo=dt.timezone.utc)
MARKET_OPEN = dt.datetime(2026, 3, 10, 15, tzinfo=dt.timezone.utc)  # Tuesday 11:00 in New York
NOW = dt.datetime(2026, 3, 20, tzinfo=dt.timezone.utc)  # the audit's clock: after every commit here
PATH = "overlays/prod/kustomization.yaml"


def passing(repo, env, docs):
    return []


def at(work, when, target, **fields):
    return promote.promote(work.path, promote.Request(target, now=when, **fields), validator=passing)


def findings(work, now=NOW):
    config = environments.load(work.path)
    read = ledger.read(Git.open(work.path), [e.overlay for e in config.environments])
    return [(f.where, f.rule, f.level, f.message) for f in audit.audit(config, read, list(config.environments[1:]), now)]


def errors(work, now=NOW):
    return [f for f in findings(work, now) if f[2] == "error"]


def problems(work, now=NOW):
    config = environments.load(work.path)
    read = ledger.read(Git.open(work.path), [e.overlay for e in config.environments])
    return [f.problem() for f in audit.audit(config, read, list(config.environments[1:]), now)]


def tag_line(work, image=EXEC, path=PATH):
    """The line of `image`'s newTag in the working tree: where a promotion edits it."""
    lines = (work.path / path).read_text().splitlines()
    entry = next(i for i, t in enumerate(lines) if t.strip().startswith(f"- name: {image}"))
    return next(i for i in range(entry, len(lines)) if lines[i].strip().startswith("newTag:")) + 1


@pytest.fixture
def staged(tmp_path):
    """1.4.3 promoted to dev (T0+1h) and staging (T0+2h) by the tool."""
    work = make(tmp_path)
    assert at(work, T0 + dt.timedelta(hours=1), "dev", images=("fks-execution:1.4.3",)).commit
    assert at(work, T0 + dt.timedelta(hours=2), "staging").commit
    return work


def forged(work, when, subject, trailers, env="prod", tag="1.4.3"):
    """A commit made by hand that looks like a promotion."""
    work.set_tag(env, "fks-execution", tag)
    return work.commit(f"{subject}\n\n- by hand\n\n" + "\n".join(trailers) + "\n", when)


def short(work, rev="HEAD"):
    return work.git("rev-parse", "--short=7", rev)


# -- what passes


def test_a_chain_of_real_promotions_passes(staged):
    assert at(staged, SATURDAY, "prod").commit
    assert at(staged, MARKET_OPEN, "prod", rollback=True).commit  # rollback passes freeze by design
    assert at(staged, SATURDAY + dt.timedelta(days=7), "prod", break_glass="re-release after the fix").commit
    assert errors(staged) == []
    (warning,) = findings(staged)
    assert warning[1:3] == ("break-glass", "warning")
    assert warning[3].endswith("break-glass by Test, overriding rollback: re-release after the fix")


def test_a_promotion_merged_as_a_pull_request_passes(staged):
    assert at(staged, SATURDAY, "prod", branch="promote/prod-1.4.3").commit
    staged.git("merge", "-q", "--no-ff", "-m", "Merge pull request #7 from promote/prod-1.4.3",
               "promote/prod-1.4.3", when=SATURDAY + dt.timedelta(hours=1))
    assert staged.tags("prod")["fks-execution"] == "1.4.3"
    assert errors(staged) == []
    staged.set_tag("prod", "fks-execution", "9.9.9")  # a merge that brings a hand edit is still one
    staged.git("switch", "-q", "-c", "sneak")
    staged.commit("bump", SATURDAY + dt.timedelta(hours=2))
    staged.git("switch", "-q", "main")
    staged.git("merge", "-q", "--no-ff", "-m", "Merge sneak", "sneak", when=SATURDAY + dt.timedelta(hours=3))
    (error,) = errors(staged)
    assert error[1] == "hand-edit" and "Merge sneak (merging bump) sets fks-execution 1.4.3 -> 9.9.9" in error[3]


def test_commits_that_leave_gated_images_alone_pass(staged):
    (staged.path / "base" / "grafana" / "deployment.yaml").write_text("# edited\n")
    staged.commit("grafana: a base change", T0 + dt.timedelta(hours=3))
    staged.set_tag("dev", "grafana", "11.2.2")  # dev is the first environment: CI sets it directly
    staged.commit("dev grafana", T0 + dt.timedelta(hours=4))
    assert errors(staged) == []


# -- what is reported


def test_a_hand_edit_of_prod_names_the_commit_and_the_fix(staged):
    staged.set_tag("prod", "fks-execution", "9.9.9")
    staged.commit("bump prod", T0 + dt.timedelta(hours=3))
    assert errors(staged) == [(PATH, "hand-edit", "error",
                               f"{short(staged)} (Test) bump prod sets fks-execution 1.4.2 -> 9.9.9 outside a "
                               "promotion; revert it and use tools/promote.py --to prod")]
    [problem] = [p for p in problems(staged) if p.level == "error"]
    assert (problem.rule, problem.location, problem.object) == (
        "promotions.hand-edit", Location(PATH, tag_line(staged)), None)


def test_an_accepted_finding_stays_on_the_record_as_a_warning(staged):
    staged.set_tag("prod", "fks-execution", "9.9.9")
    sha = staged.commit("bump prod", T0 + dt.timedelta(hours=3))
    config = staged.path / "environments.yaml"
    config.write_text(config.read_text().replace(
        'since: "2026-01-01"', f'since: "2026-01-01"\n  accepted:\n    - {{commit: {sha[:10]}, reason: reverted in INC-7}}'))
    staged.set_tag("prod", "fks-execution", "1.4.2")
    staged.commit("Revert bump prod; accept it", T0 + dt.timedelta(hours=4))
    found = findings(staged)
    assert [(f[1], f[2]) for f in found] == [("hand-edit", "warning"), ("hand-edit", "error")]
    assert found[0][3].endswith("(accepted in environments.yaml: reverted in INC-7)")


def test_forged_trailers_are_re_derived(staged):
    dev_only = staged.git("rev-parse", "HEAD~1")  # dev had 1.4.3 here, staging did not
    forged(staged, SATURDAY, "promote(prod): fks-execution 1.4.2 -> 1.4.3",
           [f"Promoted-From: staging@{dev_only}", f"Image: {EXEC}:1.4.4", "Soak: 87h", "Break-Glass: approved"])
    who = f"{short(staged)} (Test) promote(prod): fks-execution 1.4.2 -> 1.4.3"
    assert errors(staged) == [
        (PATH, "trailer", "error", f"{who}: Image trailers {EXEC}:1.4.4 disagree with the diff ({EXEC}:1.4.3)"),
        (PATH, "trailer", "error", f"{who}: Promoted-From staging@{dev_only}: staging did not run fks-execution 1.4.3 there"),
    ]
    assert [f[1] for f in findings(staged) if f[2] == "warning"] == ["break-glass"]  # and loud on every run


def test_a_soak_claim_larger_than_history_is_reported(staged):
    source = staged.head()
    forged(staged, T0 + dt.timedelta(hours=36), "promote(prod): fks-execution 1.4.2 -> 1.4.3",
           [f"Promoted-From: staging@{source}", f"Image: {EXEC}:1.4.3", "Soak: 87h"])
    (error,) = errors(staged)
    assert error[1] == "trailer" and error[3].endswith("Soak: 87h claims more than history shows (34h)")


def test_gates_that_failed_at_the_commits_time_are_errors_without_break_glass(staged):
    message = commit_message("promote", "prod", [Change(Image(EXEC, tag="1.4.2"), Image(EXEC, tag="1.4.3"),
                                                        MARKET_OPEN - T0 - dt.timedelta(hours=2))],
                             f"staging@{staged.head()}", None)
    staged.set_tag("prod", "fks-execution", "1.4.3")
    staged.commit(message, MARKET_OPEN)
    (error,) = errors(staged)
    assert error[1] == "gate-freeze" and "at its time 2026-03-10 15:00 UTC, freeze: prod is frozen for market hours" in error[3]


def test_an_early_promotion_with_break_glass_is_a_warning_every_run(staged):
    message = commit_message("promote", "prod", [Change(Image(EXEC, tag="1.4.2"), Image(EXEC, tag="1.4.3"),
                                                        dt.timedelta(hours=3))],
                             f"staging@{staged.head()}", "exchange outage")
    staged.set_tag("prod", "fks-execution", "1.4.3")
    staged.commit(message, T0 + dt.timedelta(hours=5))  # Sunday: no freeze, but 3h of a 24h soak
    assert errors(staged) == []
    (warning,) = findings(staged)
    assert warning[1:3] == ("break-glass", "warning") and warning[3].endswith("overriding soak: exchange outage")


def test_a_downgrade_is_an_error_unless_allowed_on_the_record(staged):
    initial = staged.git("rev-list", "--max-parents=0", "HEAD")  # staging ran 1.4.2 there
    assert at(staged, SATURDAY, "prod").commit
    claim = [f"Promoted-From: staging@{initial}", f"Image: {EXEC}:1.4.2"]
    forged(staged, SATURDAY + dt.timedelta(hours=1), "promote(prod): fks-execution 1.4.3 -> 1.4.2", claim, tag="1.4.2")
    downgrade = [f for f in errors(staged) if f[1] == "gate-downgrade"]
    assert len(downgrade) == 1 and downgrade[0][3].endswith(
        "downgrade: fks-execution 1.4.2 is older than the 1.4.3 prod runs; roll back with --rollback, or give --allow-downgrade")
    staged.git("reset", "-q", "--hard", "HEAD~1")
    forged(staged, SATURDAY + dt.timedelta(hours=1), "promote(prod): fks-execution 1.4.3 -> 1.4.2",
           [*claim, "Allow-Downgrade: fks-execution 1.4.3 -> 1.4.2"], tag="1.4.2")
    assert "gate-downgrade" not in [f[1] for f in errors(staged)]
    (warning,) = [f for f in findings(staged) if f[1] == "downgrade"]
    assert warning[2] == "warning" and "downgrade allowed by Test: fks-execution 1.4.3 -> 1.4.2" in warning[3]


def test_a_promotion_commit_that_touches_another_file_is_reported(staged):
    source = staged.head()
    (staged.path / "base" / "execution" / "configmap.yaml").write_text("# slipped in\n")
    forged(staged, SATURDAY, "promote(prod): fks-execution 1.4.2 -> 1.4.3",
           [f"Promoted-From: staging@{source}", f"Image: {EXEC}:1.4.3", "Soak: 142h"])
    (error,) = errors(staged)
    assert error[1] == "other-files"
    assert "a promotion that also changes base/execution/configmap.yaml; a promotion changes only " + PATH in error[3]


def test_a_back_dated_commit_is_reported_and_never_lengthens_the_soak(staged):
    # staging takes 1.4.4 with its commit dated three days before its parent
    assert at(staged, T0 + dt.timedelta(hours=3), "dev", images=("fks-execution:1.4.4",)).commit
    assert at(staged, T0 - dt.timedelta(days=3), "staging").commit
    (error,) = errors(staged)
    assert error[1] == "back-dated" and "before its parent" in error[3] and "soak counts from the parent's date" in error[3]
    # 26h after the forged date, 23h after the parent's: the soak gate counts from the parent
    with pytest.raises(promote.Refused) as refused:
        at(staged, T0 + dt.timedelta(hours=26), "prod")
    assert "has run in staging for 23h of 24h" in refused.value.lines[0]


def test_a_commit_from_the_future_is_reported(staged):
    staged.set_tag("dev", "grafana", "11.2.2")
    staged.commit("dev grafana", NOW + dt.timedelta(days=1))
    (error,) = errors(staged)
    assert error[1] == "future-dated" and "in the future" in error[3]


def test_a_rollback_to_a_version_history_does_not_have_is_reported(staged):
    assert at(staged, SATURDAY, "prod").commit
    forged(staged, SATURDAY + dt.timedelta(hours=1), "rollback(prod): fks-execution 1.4.3 -> 1.0.0",
           [f"Image: {EXEC}:1.0.0", "Rollback: fks-execution 1.4.3 -> 1.0.0"], tag="1.0.0")
    (error,) = errors(staged)
    assert error[1] == "rollback" and "the version before 1.4.3 was 1.4.2" in error[3]


def test_an_uncommitted_edit_of_gated_images_is_an_error(staged):
    staged.set_tag("prod", "fks-execution", "9.9.9")
    assert errors(staged) == [(PATH, "uncommitted", "error",
                               "uncommitted change to prod's images (fks-execution 1.4.2 -> 9.9.9); these lines change "
                               "only through tools/promote.py --to prod: git checkout -- " + PATH)]
    [problem] = problems(staged)
    assert (problem.rule, problem.location) == ("promotions.uncommitted", Location(PATH, tag_line(staged)))


def test_history_the_audit_cannot_see_is_an_error(staged, tmp_path):
    staged.push()
    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{staged.origin}", str(shallow)], check=True)
    (error,) = findings(type(staged)(shallow, staged.origin))
    assert error[1] == "history" and "shallow clone" in error[3] and "fetch-depth: 0" in error[3]
    config = staged.path / "environments.yaml"
    config.write_text(config.read_text().replace('since: "2026-01-01"', "since: 0123456789abcdef"))
    (error,) = findings(staged)
    assert error[1] == "history" and "audit.since '0123456789abcdef' is not in this history" in error[3]
    assert [p.location for p in problems(staged)] == [Location("environments.yaml")]


# -- through the command line, on the real repository's content


def validate(work):
    return subprocess.run([sys.executable, str(REPO / "tools" / "validate.py"), "--repo", str(work.path)],
                          capture_output=True, text=True, timeout=300)


def test_validate_turns_red_on_a_hand_edit_and_on_a_shallow_clone(tmp_path):
    work = copy_real(tmp_path, REPO)
    assert validate(work).returncode == 0
    work.set_tag("prod", "fks-execution", "9.9.9")
    proc = validate(work)  # uncommitted first: what pre-commit sees
    assert proc.returncode == 1 and "(promotions.uncommitted)" in proc.stdout
    work.commit("hand edit", dt.datetime.now(dt.timezone.utc))
    work.push()
    proc = validate(work)
    line = next(ln for ln in proc.stdout.splitlines() if "promotions.hand-edit" in ln)
    assert proc.returncode == 1
    assert line == (f"{PATH}:{tag_line(work)}: [error] {short(work)} (Test) hand edit sets fks-execution 1.4.2 -> 9.9.9 outside a "
                    "promotion; revert it and use tools/promote.py --to prod (promotions.hand-edit)")
    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{work.origin}", str(shallow)], check=True)
    proc = validate(type(work)(shallow, work.origin))
    assert proc.returncode == 1 and "(promotions.history)" in proc.stdout and "shallow clone" in proc.stdout
