import os

import pytest

from fks_gitops.cli import exit_code
from fks_gitops import atomic
from fks_gitops.errors import GitOpsError


def test_replaces_content_and_keeps_the_mode(tmp_path):
    path = tmp_path / "k.yaml"
    path.write_text("old\n")
    path.chmod(0o600)
    atomic.write(path, "new\n")
    assert path.read_text() == "new\n"
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert os.listdir(tmp_path) == ["k.yaml"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "k.yaml"
    path.write_text("old\n")
    with pytest.raises(TypeError):
        atomic.write(path, 42)
    assert path.read_text() == "old\n"
    assert os.listdir(tmp_path) == ["k.yaml"]


def test_creates_missing_folders(tmp_path):
    atomic.write(tmp_path / "a" / "b.yaml", b"x")
    assert (tmp_path / "a" / "b.yaml").read_bytes() == b"x"


def test_a_target_that_is_a_folder_is_a_one_line_input_error(tmp_path):
    (tmp_path / "out").mkdir()
    with pytest.raises(GitOpsError) as caught:
        atomic.write(tmp_path / "out", "x\n")
    assert exit_code(caught.value) == 2
    assert str(caught.value) == f"{tmp_path / 'out'}: cannot write: Is a directory"
    assert os.listdir(tmp_path) == ["out"] and os.listdir(tmp_path / "out") == []


@pytest.mark.parametrize("below", ["k.yaml", "sub/k.yaml"])
def test_a_target_under_a_regular_file_is_a_one_line_input_error(tmp_path, below):
    (tmp_path / "file").write_text("keep\n")
    with pytest.raises(GitOpsError, match=r": cannot write: (File exists|Not a directory)$") as caught:
        atomic.write(tmp_path / "file" / below, "x\n")
    assert exit_code(caught.value) == 2
    assert str(caught.value).startswith(f"{tmp_path / 'file' / below}: ")
    assert os.listdir(tmp_path) == ["file"] and (tmp_path / "file").read_text() == "keep\n"
