import hashlib
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from fks_gitops.seal import certs
from fks_gitops.errors import GitOpsError

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "seal"))
from sealkeys import certificate_pem, ec_key, rsa_key  # noqa: E402


def write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "cert.pem"
    path.write_bytes(data)
    return path


def test_load_gives_fingerprint_over_der_and_key_size(tmp_path):
    pem = certificate_pem(rsa_key())
    cert = certs.load(write(tmp_path, pem))
    der = x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)
    assert cert.fingerprint == "sha256:" + hashlib.sha256(der).hexdigest()
    assert cert.key_bytes == 256
    assert not cert.expired()


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"not a certificate", "not a PEM certificate"),
        (b"", "not a PEM certificate"),
    ],
)
def test_unparsable_certificate_is_refused(tmp_path, data, fragment):
    with pytest.raises(GitOpsError, match=fragment):
        certs.load(write(tmp_path, data))


def test_non_rsa_certificate_is_refused(tmp_path):
    with pytest.raises(GitOpsError, match="not RSA"):
        certs.load(write(tmp_path, certificate_pem(ec_key())))


def test_small_rsa_key_is_refused(tmp_path):
    with pytest.raises(GitOpsError, match="1024 bits; use at least 2048"):
        certs.load(write(tmp_path, certificate_pem(rsa_key(1024))))


def test_expired_certificate_is_refused_unless_told(tmp_path):
    path = write(tmp_path, certificate_pem(rsa_key(), days=-1, valid_from_days_ago=30))
    with pytest.raises(GitOpsError, match="expired on"):
        certs.load(path)
    assert certs.load(path, check_expiry=False).expired()


def test_missing_file_is_one_clear_error(tmp_path):
    with pytest.raises(GitOpsError, match=r"missing\.pem: cannot read certificate"):
        certs.load(tmp_path / "missing.pem")
