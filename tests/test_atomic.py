import os

import pytest

from fks_gitops import atomic


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
