import io

import pytest

from fks_gitops.errors import GitOpsError
from fks_gitops.seal.inputs import check_key, collect, guard, parse_dotenv, parse_literal
from conftest import git


@pytest.fixture
def repo(tmp_path):
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    (root / ".gitignore").write_text("*.env\nlocal/\n")
    git(root, "add", ".gitignore")
    git(root, "commit", "-qm", "init")
    return root


def test_dotenv_lines_comments_export_and_quotes():
    text = "# comment\n\nA=1\nexport B = two words \nC=\"quoted=x\"\nD='single'\nE=\nF=a#b\n"
    assert parse_dotenv(text, "x.env") == [
        ("A", b"1"), ("B", b"two words"), ("C", b"quoted=x"), ("D", b"single"), ("E", b""), ("F", b"a#b"),
    ]


@pytest.mark.parametrize("line", ["JUST_A_NAME", "=value", "  =value"])
def test_malformed_dotenv_line_names_file_and_line_not_value(line):
    with pytest.raises(GitOpsError) as err:
        parse_dotenv(f"A=1\n{line}\n", "prod.env")
    assert str(err.value) == "prod.env:2: malformed line; expected KEY=value"


@pytest.mark.parametrize("key", ["a b", "a/b", ".", "..", "..x", "", "x" * 254, "ключ", "A\n"])
def test_invalid_secret_keys_are_refused(key):
    with pytest.raises(GitOpsError, match="not a valid Secret key"):
        check_key(key, "--from-literal")


@pytest.mark.parametrize("key", ["A", "tls.crt", "admin-user", "_x", ".dotfile", "x" * 253])
def test_valid_secret_keys_pass(key):
    assert check_key(key, "here") == key


def test_literal_splits_on_first_equals_and_never_echoes_a_value():
    assert parse_literal("URL=postgres://u:p@h/db?x=1") == ("URL", b"postgres://u:p@h/db?x=1")
    with pytest.raises(GitOpsError) as err:
        parse_literal("s3cr3t-without-key")
    assert "s3cr3t" not in str(err.value)


def test_collect_merges_sources_and_refuses_duplicates(tmp_path, repo):
    env_file = tmp_path / "in.env"
    env_file.write_text("A=1\nB=2\n")
    blob = tmp_path / "tls.crt"
    blob.write_bytes(b"\x00\x01binary")
    values = collect(repo, [str(env_file)], ["C=3"], [f"D={blob}", str(blob)])
    assert values == {"A": b"1", "B": b"2", "C": b"3", "D": b"\x00\x01binary", "tls.crt": b"\x00\x01binary"}
    with pytest.raises(GitOpsError, match="duplicate key 'A'"):
        collect(repo, [str(env_file)], ["A=again"])
    with pytest.raises(GitOpsError, match="duplicate key 'A'"):
        collect(repo, literals=["A=1", "A=2"])


def test_collect_refuses_no_keys(tmp_path, repo):
    empty = tmp_path / "empty.env"
    empty.write_text("# nothing here\n")
    with pytest.raises(GitOpsError, match="no keys given"):
        collect(repo, [str(empty)])


def test_stdin_is_read_once(repo):
    assert collect(repo, ["-"], stdin=io.BytesIO(b"A=1\n")) == {"A": b"1"}
    with pytest.raises(GitOpsError, match="only once"):
        collect(repo, ["-"], files=["B=-"], stdin=io.BytesIO(b"A=1\n"))


def test_guard_refuses_tracked_and_unignored_files_in_the_repo(repo):
    tracked = repo / "tracked.env"
    tracked.write_text("A=1\n")
    git(repo, "add", "-f", "tracked.env")
    with pytest.raises(GitOpsError, match="^tracked.env: git tracks this file"):
        guard(tracked, repo)
    loose = repo / "notes.txt"
    loose.write_text("A=1\n")
    with pytest.raises(GitOpsError, match="^notes.txt: inside the repository and not ignored by git"):
        guard(loose, repo)


def test_guard_accepts_ignored_untracked_and_outside_files(tmp_path, repo):
    (repo / "local").mkdir()
    ignored = repo / "local" / "secrets.txt"
    ignored.write_text("A=1\n")
    outside = tmp_path / "outside.txt"
    outside.write_text("A=1\n")
    assert guard(ignored, repo) is None
    assert guard(outside, repo) is None


def test_unreadable_and_non_utf8_inputs_are_one_line_errors(tmp_path, repo):
    with pytest.raises(GitOpsError, match="cannot read .*missing.env"):
        collect(repo, [str(tmp_path / "missing.env")])
    latin = tmp_path / "latin.env"
    latin.write_bytes(b"A=\xe9\n")
    with pytest.raises(GitOpsError, match="is not UTF-8 text"):
        collect(repo, [str(latin)])
