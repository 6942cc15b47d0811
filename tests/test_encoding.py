"""Files that are not UTF-8: one problem at the first bad byte, never a skipped check or a traceback."""
import validate as cli
from fks_gitops import textfile, validate

LATIN1 = "# caf\u00e9\n".encode("latin-1")


def append(path, data: bytes) -> None:
    path.write_bytes(path.read_bytes() + data)


def test_first_invalid_gives_line_column_and_byte():
    assert textfile.first_invalid("ok\n\u00e9t\u00e9 ".encode() + b"\xff") == (2, 5, 0xFF)
    assert textfile.first_invalid("\u00e9t\u00e9\n".encode()) is None


def test_a_monitoring_config_that_is_not_utf8_is_an_error_not_skipped(repo_copy):
    path = repo_copy / "base/alertmanager/alertmanager.yml"
    line = path.read_bytes().count(b"\n") + 1
    append(path, LATIN1)
    problems = validate.validate(repo_copy, ["dev"], only=("monitoring",)).problems
    assert [(str(p.location), p.rule) for p in problems] == [(f"base/alertmanager/alertmanager.yml:{line}:6", "encoding.utf8")]


def test_utf8_monitoring_configs_pass(repo_copy):
    append(repo_copy / "base/prometheus/prometheus.yml", "# caf\u00e9\n".encode())
    assert validate.validate(repo_copy, ["dev"], only=("monitoring", "encoding")).problems == []


def test_the_encoding_check_reports_each_file_once_with_every_environment(repo_copy):
    append(repo_copy / "base/prometheus/prometheus.yml", LATIN1)
    problems = validate.validate(repo_copy, only=("monitoring", "encoding")).problems
    assert [(p.location.file, p.environments) for p in problems] == [("base/prometheus/prometheus.yml", ("dev", "staging", "prod"))]


def test_argocd_and_environments_yaml_not_utf8_are_one_line(repo_copy, capsys):
    for rel in ("argocd/apps/dev.yaml", "environments.yaml"):
        path = repo_copy / rel
        before = path.read_bytes()
        line = before.count(b"\n") + 1
        append(path, LATIN1)
        assert cli.main(["--repo", str(repo_copy)]) == 2
        err = capsys.readouterr().err
        assert err == f"error: {rel}:{line}:6: not UTF-8: byte 0xe9 cannot be decoded; save the file as UTF-8\n"
        path.write_bytes(before)
