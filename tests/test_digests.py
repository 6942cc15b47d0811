"""Sealed-entry digests: recorded when sealing, a copied ciphertext caught offline (seal/digests.py,
seal/verify.py), and the scope and template facts verify checks beside them."""
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from fks_gitops.seal import certs, digests
from fks_gitops.seal.codec import label, seal
from fks_gitops.seal.verify import check_sealed

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "seal"))
from sealkeys import certificate_pem, rsa_key  # noqa: E402

NS, NAME = "team-dev", "app-secrets"


@pytest.fixture
def repo(tmp_path, config):
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs/dev.pem").write_bytes(certificate_pem(rsa_key()))
    return tmp_path


@pytest.fixture
def env(config):
    return replace(config.get("dev"), namespace=NS, certificate="certs/dev.pem")


def sealed(repo, keys=("A", "B"), name=NAME, scope="strict") -> dict:
    return seal(certs.load(repo / "certs/dev.pem"), name, NS, {k: b"v" for k in keys}, scope).document()


def rules(repo, env, docs, declared=None):
    return [(p.rule, p.pointer) for p in check_sealed(repo, env, docs, declared)]


def test_a_fresh_seal_records_a_digest_per_entry_that_matches(repo, env):
    doc = sealed(repo)
    assert set(digests.check(doc["metadata"]["annotations"], label("strict", NS, NAME), doc["spec"]["encryptedData"])) == set()
    assert rules(repo, env, [doc]) == []


def test_a_ciphertext_copied_from_another_entry_is_an_error(repo, env):
    doc = sealed(repo)
    data = doc["spec"]["encryptedData"]
    data["B"] = data["A"]
    assert rules(repo, env, [doc]) == [("secrets.digest", "/spec/encryptedData/B")]


def test_a_ciphertext_copied_from_another_secret_is_an_error(repo, env):
    doc, other = sealed(repo), sealed(repo, name="other-secrets")
    doc["spec"]["encryptedData"]["A"] = other["spec"]["encryptedData"]["A"]
    assert rules(repo, env, [doc]) == [("secrets.digest", "/spec/encryptedData/A")]


def test_a_seal_without_the_annotation_is_not_digest_checked(repo, env):
    doc = sealed(repo)
    del doc["metadata"]["annotations"][digests.ANNOTATION]
    doc["spec"]["encryptedData"]["B"] = doc["spec"]["encryptedData"]["A"]
    assert rules(repo, env, [doc]) == []


def test_a_scope_environments_yaml_does_not_allow_is_an_error(repo, env):
    doc = sealed(repo, scope="cluster-wide")
    doc["spec"]["template"]["metadata"]["namespace"] = NS
    assert rules(repo, replace(env, scopes=("strict",)), [doc]) == [
        ("secrets.scope", "/metadata/annotations/sealedsecrets.bitnami.com~1cluster-wide")]
    assert rules(repo, replace(env, scopes=("strict", "cluster-wide")), [doc]) == []


def test_a_secret_or_key_the_template_does_not_declare_is_an_error(repo, env):
    declared = {NAME: frozenset({"A"})}
    assert rules(repo, env, [sealed(repo, keys=("A",))], declared) == []
    assert rules(repo, env, [sealed(repo, keys=("A", "Z"))], declared) == [("secrets.template", "/spec/encryptedData/Z")]
    assert rules(repo, env, [sealed(repo, name="stray")], declared) == [("secrets.template", "/metadata/name")]
