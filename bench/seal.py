#!/usr/bin/env python3
"""How long sealing 100 keys takes against an RSA-4096 certificate (target: under 1 s).

    .venv/bin/python bench/seal.py
"""
from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))

from fks_gitops.seal import certs  # noqa: E402
from fks_gitops.seal.codec import seal, to_yaml  # noqa: E402

KEYS = 100


def demo_certificate() -> certs.Certificate:
    """A throwaway RSA-4096 certificate, like the controller's; the key lives only in memory."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=4096)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bench")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(1).not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return certs.parse(cert.public_bytes(serialization.Encoding.PEM), "bench")


def main() -> int:
    cert = demo_certificate()
    values = {f"KEY_{i:03d}": f"placeholder value number {i}".encode() * 4 for i in range(KEYS)}
    started = time.perf_counter()
    text = to_yaml(seal(cert, "bench", "fks-trading", values))
    seconds = time.perf_counter() - started
    print(f"seal: {KEYS} keys, RSA-4096, {len(text)} bytes of YAML in {seconds * 1000:.1f} ms"
          f" ({seconds / KEYS * 1000:.2f} ms a key; target < 1000 ms)")
    return 0 if seconds < 1 else 1


if __name__ == "__main__":
    sys.exit(main())
