"""Sealed Secrets certificates: load one, check it can seal, and name it by fingerprint.

    cert = load(repo / "certs/prod.pem")
    cert.fingerprint   # "sha256:3f9a..." (SHA-256 over the certificate's DER)
    cert.key_bytes     # 512 for RSA-4096: the length of every RSA block sealed with it
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa

from fks_gitops.errors import GitOpsError

MIN_BITS = 2048  # what the Sealed Secrets controller generates at the least; weaker keys are refused


@dataclass(frozen=True)
class Certificate:
    public_key: rsa.RSAPublicKey
    fingerprint: str
    not_after: dt.datetime

    @property
    def key_bytes(self) -> int:
        return self.public_key.key_size // 8

    def expired(self, now: dt.datetime | None = None) -> bool:
        return (now or dt.datetime.now(dt.timezone.utc)) > self.not_after


def fingerprint(cert: x509.Certificate) -> str:
    return "sha256:" + cert.fingerprint(hashes.SHA256()).hex()


def parse(data: bytes, where: str) -> Certificate:
    """A PEM certificate -> Certificate, or GitOpsError if it is not RSA of at least 2048 bits."""
    try:
        cert = x509.load_pem_x509_certificate(data)
    except ValueError:
        raise GitOpsError(f"{where}: not a PEM certificate; fetch it with `kubeseal --fetch-cert`") from None
    key = cert.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        kind = type(key).__name__.removeprefix("_").replace("PublicKey", "")
        raise GitOpsError(f"{where}: key is {kind}, not RSA; Sealed Secrets needs an RSA certificate")
    if key.key_size < MIN_BITS:
        raise GitOpsError(f"{where}: RSA key has {key.key_size} bits; use at least {MIN_BITS}")
    return Certificate(key, fingerprint(cert), cert.not_valid_after_utc)


def load(path: Path, where: str | None = None, *, check_expiry: bool = True) -> Certificate:
    """Read and parse `path`; refuse an expired certificate unless check_expiry is False."""
    where = where or str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise GitOpsError(f"{where}: cannot read certificate: {exc.strerror}") from None
    cert = parse(data, where)
    if check_expiry and cert.expired():
        raise GitOpsError(
            f"{where}: certificate expired on {cert.not_after:%Y-%m-%d}; fetch the current one with `kubeseal --fetch-cert`"
        )
    return cert
