"""Seal Secret values offline in the Sealed Secrets wire format.

    cert = certs.load(repo / "certs/prod.pem")
    sealed = seal(cert, "grafana-admin", "fks-trading", {"admin-password": b"..."})
    text = to_yaml(sealed)                       # a new SealedSecret file
    text = merge(old_text, sealed, "old.yaml")   # or keys added to an existing one

Each value: a fresh 32-byte session key sealed with RSA-OAEP (SHA-256, MGF1-SHA-256, label by
scope), the value sealed with AES-256-GCM under that key and a zero nonce (safe: the key is
never reused), stored as uint16 big-endian RSA length | RSA block | GCM output, in base64.
https://github.com/bitnami-labs/sealed-secrets/blob/main/docs/developer/crypto.md
"""
from __future__ import annotations

import base64
import io
import os
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.util import load_yaml_guess_indent

from fks_gitops import yamlload
from fks_gitops.seal import digests
from fks_gitops.seal.certs import Certificate
from fks_gitops.errors import GitOpsError

API_VERSION = "bitnami.com/v1alpha1"
SEALED_WITH = "gitops.fks/sealed-with"
SCOPE_ANNOTATIONS = {
    "namespace-wide": "sealedsecrets.bitnami.com/namespace-wide",
    "cluster-wide": "sealedsecrets.bitnami.com/cluster-wide",
}
SCOPES = ("strict", *SCOPE_ANNOTATIONS)
_DNS_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_NAME = re.compile(rf"{_DNS_LABEL}(\.{_DNS_LABEL})*")  # a DNS subdomain, as Kubernetes names are
_NAMESPACE = re.compile(_DNS_LABEL)


@dataclass(frozen=True)
class SealedSecret:
    name: str
    namespace: str
    scope: str
    type: str
    fingerprint: str | None
    encrypted: Mapping[str, str]  # key -> base64 of the sealed blob

    def document(self) -> dict:
        labels = {
            "app.kubernetes.io/name": self.name,
            "app.kubernetes.io/component": "secret",
            "app.kubernetes.io/part-of": "fks-trading",
            "app.kubernetes.io/managed-by": "kustomize",
        }
        scope = {SCOPE_ANNOTATIONS[self.scope]: "true"} if self.scope != "strict" else {}
        template_meta = {"name": self.name, "namespace": self.namespace, "labels": labels}
        if scope:
            template_meta["annotations"] = dict(scope)
        return {
            "apiVersion": API_VERSION,
            "kind": "SealedSecret",
            "metadata": {
                "name": self.name,
                "namespace": self.namespace,
                "labels": dict(labels),
                "annotations": {**scope, SEALED_WITH: self.fingerprint,
                                digests.ANNOTATION: digests.record(label(self.scope, self.namespace, self.name), self.encrypted)},
            },
            "spec": {
                "encryptedData": dict(sorted(self.encrypted.items())),
                "template": {"metadata": template_meta, "type": self.type},
            },
        }


def label(scope: str, namespace: str, name: str) -> bytes:
    return {"strict": f"{namespace}/{name}", "namespace-wide": namespace, "cluster-wide": ""}[scope].encode()


def encrypt(public_key: rsa.RSAPublicKey, label: bytes, value: bytes) -> bytes:
    """One value -> the raw sealed blob (before base64)."""
    session_key = os.urandom(32)
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=label)
    sealed_key = public_key.encrypt(session_key, oaep)
    return struct.pack(">H", len(sealed_key)) + sealed_key + AESGCM(session_key).encrypt(bytes(12), value, None)


def seal(
    cert: Certificate,
    name: str,
    namespace: str,
    values: Mapping[str, bytes],
    scope: str = "strict",
    type: str = "Opaque",
) -> SealedSecret:
    if not _NAME.fullmatch(name) or len(name) > 253:
        raise GitOpsError(f"--name: {name!r} is not a valid Kubernetes name (lowercase letters, digits, '-', '.')")
    if not _NAMESPACE.fullmatch(namespace) or len(namespace) > 63:
        raise GitOpsError(f"--namespace: {namespace!r} is not a valid namespace (lowercase letters, digits, '-')")
    if scope not in SCOPES:
        raise GitOpsError(f"--scope: {scope!r} is not one of {', '.join(SCOPES)}")
    key_label = label(scope, namespace, name)
    encrypted = {
        key: base64.b64encode(encrypt(cert.public_key, key_label, value)).decode()
        for key, value in sorted(values.items())
    }
    return SealedSecret(name, namespace, scope, type, cert.fingerprint, encrypted)


def scope_of(annotations: Mapping[str, str] | None) -> str:
    """The scope a SealedSecret's annotations declare; cluster-wide wins, as in the controller."""
    annotations = annotations or {}
    for scope in ("cluster-wide", "namespace-wide"):
        if str(annotations.get(SCOPE_ANNOTATIONS[scope], "")).lower() == "true":
            return scope
    return "strict"


def from_document(doc: Mapping) -> SealedSecret:
    """A SealedSecret document (as loaded from YAML) -> SealedSecret."""
    meta = doc.get("metadata") or {}
    spec = doc.get("spec") or {}
    annotations = meta.get("annotations") or {}
    return SealedSecret(
        name=str(meta.get("name", "")),
        namespace=str(meta.get("namespace", "")),
        scope=scope_of(annotations),
        type=str((spec.get("template") or {}).get("type") or "Opaque"),
        fingerprint=annotations.get(SEALED_WITH),
        encrypted=dict(spec.get("encryptedData") or {}),
    )


def _yaml() -> YAML:
    yaml = YAML()  # round trip: comments, quotes and untouched ciphertext stay as they are
    yaml.width = 4096
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _dump(yaml: YAML, data: object) -> str:
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def to_yaml(sealed: SealedSecret) -> str:
    return _dump(_yaml(), sealed.document())


def load_document(text: str, where: str) -> dict:
    # ruamel.yaml refuses a key twice too, in a multi-line message; say it in the tools' one line.
    yamlload.refuse_duplicates(text, where)
    try:
        doc = _yaml().load(text)
    except YAMLError as exc:
        raise GitOpsError(f"{where}: not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(doc, dict) or doc.get("kind") != "SealedSecret":
        raise GitOpsError(f"{where}: not a SealedSecret; drop --merge to replace it")
    return doc


def _check_mergeable(old: SealedSecret, new: SealedSecret, where: str) -> None:
    if old.fingerprint is None:
        raise GitOpsError(f"{where}: records no {SEALED_WITH} fingerprint; re-seal every key without --merge")
    if old.fingerprint != new.fingerprint:
        raise GitOpsError(
            f"{where}: sealed with {old.fingerprint[:19]}..., not this certificate ({new.fingerprint[:19]}...); "
            "re-seal every key without --merge"
        )
    for field in ("name", "namespace", "scope"):
        if getattr(old, field) != getattr(new, field):
            raise GitOpsError(
                f"{where}: {field} is {getattr(old, field)!r}, not {getattr(new, field)!r}; keys cannot mix"
            )


def merge(text: str, sealed: SealedSecret, where: str, set_type: bool = False) -> str:
    """Put `sealed`'s keys into the SealedSecret in `text`; every other line stays byte for byte."""
    yaml = _yaml()
    doc = load_document(text, where)
    _check_mergeable(from_document(doc), sealed, where)
    spec = doc.setdefault("spec", {})
    data = spec.setdefault("encryptedData", {})
    for key, blob in sealed.encrypted.items():
        if key in data:
            data[key] = blob
        else:  # keep the keys sorted, as a fresh seal writes them
            data.insert(sum(1 for k in data if k < key), key, blob)
    if set_type:
        spec.setdefault("template", {})["type"] = sealed.type
    annotations = (doc.get("metadata") or {}).get("annotations") or {}
    if digests.ANNOTATION in annotations:  # one sealed before digests were recorded stays without
        key_label = label(sealed.scope, sealed.namespace, sealed.name)
        annotations[digests.ANNOTATION] = digests.merged(str(annotations[digests.ANNOTATION]), key_label, sealed.encrypted)
    return _dump(yaml, doc)


def add_resource(kustomization: str, entry: str, where: str = "kustomization.yaml") -> str | None:
    """The kustomization text with `entry` appended to `resources:`, or None when it is listed."""
    yamlload.refuse_duplicates(kustomization, where)
    yaml = _yaml()
    _, indent, offset = load_yaml_guess_indent(kustomization)
    data = yaml.load(kustomization)  # again, with preserve_quotes: the guess's loader drops quote styles
    if not isinstance(data, dict):
        raise GitOpsError("kustomization.yaml is not a mapping; fix it before sealing into this overlay")
    if indent is not None:  # keep the file's own list style: `- a` or `  - a`
        yaml.indent(mapping=(indent - offset) or 2, sequence=indent, offset=offset)
    resources = data.setdefault("resources", [])
    if entry in resources:
        return None
    resources.append(entry)
    return _dump(yaml, data)
