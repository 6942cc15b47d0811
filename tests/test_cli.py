import pytest

from fks_gitops.cli import guarded, repo_from
from fks_gitops.errors import GitOpsError


def test_expected_failure_is_one_line_with_its_exit_code(capsys):
    def refuse():
        raise GitOpsError("overlays/prod: gate closed", exit_code=1)

    assert guarded(refuse) == 1
    assert capsys.readouterr().err == "error: overlays/prod: gate closed\n"


def test_a_bug_exits_3_and_says_so(capsys):
    def bug():
        raise KeyError("boom")

    assert guarded(bug) == 3
    err = capsys.readouterr().err
    assert "Traceback" in err and err.rstrip().endswith("please report it with the traceback above")


def test_success_passes_the_code_through():
    assert guarded(lambda: 0) == 0


def test_repo_from_option_and_from_inside(repo, tmp_path):
    assert repo_from(str(repo / "base")) == repo
    with pytest.raises(GitOpsError, match="pass --repo"):
        repo_from(str(tmp_path))
