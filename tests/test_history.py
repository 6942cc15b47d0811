import sys
from datetime import timedelta
from pathlib import Path

import pytest

from fks_gitops.cli import exit_code
from fks_gitops import repo_git
from fks_gitops.errors import GitOpsError
from fks_gitops.promote.history import History
from fks_gitops.promote.images import Image

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "promote_lib"))
from promote_repo import NAMES, T0, make  # noqa: E402

EXEC = NAMES["fks-execution"]


def _promote(work, env, tag, hours, kind="promote", old="1.4.2"):
    work.set_tag(env, "fks-execution", tag)
    trailers = f"Image: {EXEC}:{tag}"
    if kind == "rollback":
        trailers += f"\nRollback: fks-execution {old} -> {tag}"
    return work.commit(f"{kind}({env}): fks-execution {old} -> {tag}\n\n- body\n\n{trailers}\n", T0 + timedelta(hours=hours))


@pytest.fixture
def work(tmp_path):
    return make(tmp_path)


def test_entered_is_the_commit_that_put_the_version_there(work):
    _promote(work, "dev", "1.4.3", 1)
    staged = _promote(work, "staging", "1.4.3", 2)
    work.set_tag("staging", "grafana", "11.2.2")
    work.commit("staging: grafana", T0 + timedelta(hours=3))
    snap = History(work.path).entered("overlays/staging", Image(EXEC, tag="1.4.3"))
    assert (snap.sha, snap.when) == (staged, T0 + timedelta(hours=2))


def test_history_outside_git_is_the_same_one_line_error_as_promote(tmp_path):
    message = f"{tmp_path} is not the top of a git repository"
    with pytest.raises(GitOpsError) as opened:
        repo_git.Git.open(tmp_path)
    with pytest.raises(GitOpsError) as read:
        History(tmp_path).promotions()
    assert [str(opened.value), str(read.value)] == [message, message]
    assert exit_code(read.value) == 2


def test_entered_is_none_for_a_version_not_at_head(work):
    assert History(work.path).entered("overlays/dev", Image(EXEC, tag="9.9.9")) is None


def test_ever_looks_through_all_history(work):
    _promote(work, "dev", "1.4.3", 1)
    _promote(work, "dev", "1.4.4", 2, old="1.4.3")
    history = History(work.path)
    assert history.ever("overlays/dev", Image(EXEC, tag="1.4.3"))
    assert not history.ever("overlays/dev", Image(EXEC, tag="1.5.0"))


def test_rollback_target_pops_one_promotion_per_rollback(work):
    _promote(work, "prod", "1.4.3", 1)
    _promote(work, "prod", "1.4.4", 2, old="1.4.3")
    assert History(work.path).rollback_target("overlays/prod", Image(EXEC, tag="1.4.4")) == Image(EXEC, tag="1.4.3")
    _promote(work, "prod", "1.4.3", 3, kind="rollback", old="1.4.4")
    assert History(work.path).rollback_target("overlays/prod", Image(EXEC, tag="1.4.3")) == Image(EXEC, tag="1.4.2")
    _promote(work, "prod", "1.4.2", 4, kind="rollback", old="1.4.3")
    assert History(work.path).rollback_target("overlays/prod", Image(EXEC, tag="1.4.2")) is None


def test_blocked_holds_rolled_back_versions_until_re_promoted(work):
    _promote(work, "prod", "1.4.3", 1)
    rollback = _promote(work, "prod", "1.4.2", 2, kind="rollback", old="1.4.3")
    blocked = History(work.path).blocked("overlays/prod", EXEC)
    assert {key: snap.sha for key, snap in blocked.items()} == {(None, "1.4.3", None): rollback}
    _promote(work, "prod", "1.4.3", 3)
    assert History(work.path).blocked("overlays/prod", EXEC) == {}


def test_promotions_read_back_subjects_and_trailers_newest_first(work):
    _promote(work, "dev", "1.4.3", 1)
    _promote(work, "prod", "1.4.3", 2)
    _promote(work, "prod", "1.4.2", 3, kind="rollback", old="1.4.3")
    work.set_tag("dev", "grafana", "11.2.2")
    work.commit("chore: hand edit without trailers", T0 + timedelta(hours=4))
    records = History(work.path).promotions()
    assert [(r.env, r.kind, r.when - T0) for r in records] == [
        ("prod", "rollback", timedelta(hours=3)),
        ("prod", "promote", timedelta(hours=2)),
        ("dev", "promote", timedelta(hours=1)),
    ]
    assert ("Rollback", "fks-execution 1.4.3 -> 1.4.2") in records[0].trailers
    assert [r.kind for r in History(work.path).promotions("prod")] == ["rollback", "promote"]
    assert History(work.path).promotions("staging") == []
