"""A digest of each sealed entry's label and ciphertext, recorded when sealing, checked offline.

    annotation = record(label, encrypted)        # '{"KEY":"<32 hex digits>",...}'
    mismatched = check(annotations, label, encrypted)  # keys whose ciphertext was not sealed for this place

A ciphertext copied from another entry or SealedSecret passes every structural check but never
decrypts, because RSA-OAEP's label (the scope's namespace/name) differs, and the controller
would hand the copied value to the wrong key. The digest binds the label, the key and the
ciphertext, so a copy shows. It proves nothing about which key made the ciphertext: only the
controller's private key can (README: Seal a secret). SealedSecrets without the annotation
(sealed before it existed) are not checked; re-sealing adds it.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

ANNOTATION = "gitops.fks/sealed-digests"


def digest(key_label: bytes, key: str, ciphertext: str) -> str:
    """128 bits of SHA-256 over label, key and ciphertext: enough to tell a copy, short in a file."""
    return hashlib.sha256(key_label + b"\0" + key.encode() + b"\0" + ciphertext.encode()).hexdigest()[:32]


def record(key_label: bytes, encrypted: Mapping[str, str]) -> str:
    """`key_label`: codec.label of the scope, namespace and name sealed for."""
    return json.dumps({k: digest(key_label, k, str(v)) for k, v in sorted(encrypted.items())}, separators=(",", ":"))


def merged(recorded: str, key_label: bytes, encrypted: Mapping[str, str]) -> str:
    """A recorded annotation with the digests of `encrypted`'s keys added or replaced (seal --merge)."""
    try:
        old = json.loads(recorded)
    except ValueError:
        old = {}
    both = {**(old if isinstance(old, dict) else {}), **json.loads(record(key_label, encrypted))}
    return json.dumps(dict(sorted(both.items())), separators=(",", ":"))


def check(annotations: Mapping, key_label: bytes, encrypted: Mapping[str, str]) -> list[str] | None:
    """Keys whose recorded digest is missing or does not match `key_label` (where the SealedSecret
    renders); None when it records none."""
    raw = (annotations or {}).get(ANNOTATION)
    if raw is None:
        return None
    try:
        recorded = json.loads(str(raw))
    except ValueError:
        recorded = {}
    recorded = recorded if isinstance(recorded, dict) else {}
    return sorted(k for k, v in encrypted.items() if recorded.get(k) != digest(key_label, k, str(v)))
