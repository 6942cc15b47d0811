import pytest

from fks_gitops.cli import guarded, repo_from
from fks_gitops.errors import GitOpsError, Refused, ToolFailed


@pytest.mark.parametrize(("error", "code"), [(Refused, 1), (GitOpsError, 2), (ToolFailed, 3)])
def test_expected_failure_is_one_line_with_the_exit_code_of_its_class(capsys, error, code):
    def fail():
        raise error("overlays/prod: gate closed")

    assert guarded(fail) == code
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
