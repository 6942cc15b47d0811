"""A sealed ciphertext that appears twice anywhere in the repository (checks/ciphertexts.py)."""
from conftest import copy_repo
from fks_gitops import validate


def test_a_ciphertext_copied_into_another_environment_is_an_error(tmp_path):
    repo = copy_repo(tmp_path / "repo")
    source = (repo / "overlays/dev/sealed-secrets/grafana-admin.yaml").read_text()
    target = repo / "overlays/prod/sealed-secrets/grafana-admin.yaml"
    line = next(ln for ln in source.splitlines() if ln.strip().startswith("admin-password:"))
    text = target.read_text()
    target.write_text("\n".join(line if ln.strip().startswith("admin-password:") else ln for ln in text.splitlines()) + "\n")
    [problem] = validate.validate(repo, only=("ciphertexts",)).problems
    assert (problem.location.file, problem.rule) == ("overlays/prod/sealed-secrets/grafana-admin.yaml", "secrets.ciphertext-repeated")
    assert "repeats the ciphertext of 'admin-password' of 'grafana-admin' (overlays/dev/sealed-secrets/grafana-admin.yaml:" \
        in problem.message


def test_the_repository_repeats_no_ciphertext(repo):
    assert validate.validate(repo, only=("ciphertexts",)).problems == []


def test_kept_entries_are_the_parsed_ones_and_a_changed_file_is_parsed_again(tmp_path, monkeypatch):
    from conftest import REPO
    from fks_gitops.checks import ciphertexts
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("FKS_GITOPS_NO_CACHE", "0")
    text = (REPO / "overlays" / "dev" / "sealed-secrets" / "grafana-admin.yaml").read_text()
    parsed = list(ciphertexts._entries("a.yaml", text))
    assert parsed and ciphertexts._kept("a.yaml", "d1", text) == parsed
    assert ciphertexts._kept("a.yaml", "d1", "") == parsed  # kept: not parsed again
    assert ciphertexts._kept("a.yaml", "d2", "") == []  # another content: parsed again
