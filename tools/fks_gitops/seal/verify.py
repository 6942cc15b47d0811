"""Offline checks that secrets are sealed right and that no plaintext secret is in git.

    problems = verify(repo)             # every environment: validate, narrowed to these checks
    problems = verify(repo, ["prod"], rendered={"prod": docs})  # reuses a render

1. each SealedSecret was sealed with its environment's certificate (fingerprint, RSA block size);
2. its scope fits where it renders (a strict seal is bound to its namespace and name), is one
   environments.yaml allows there, and each entry's recorded digest (seal/digests.py) matches,
   so no ciphertext was copied in; it and its keys are in secrets.template.yaml;
3. every secret key a pod or ingress uses is sealed (references.check_secrets);
4. no tracked file holds a plaintext Secret, a private key or a dotenv with values (seal/plaintext.py).
"""
from __future__ import annotations

import base64
import binascii
import struct
from pathlib import Path

from fks_gitops import problem
from fks_gitops.seal import certs, digests
from fks_gitops.environments import Environment
from fks_gitops.errors import GitOpsError
from fks_gitops.pointer import join
from fks_gitops.problem import Problem, in_file
from fks_gitops.seal.codec import API_VERSION, SCOPE_ANNOTATIONS, SEALED_WITH, SealedSecret, from_document, label


def verify(repo: Path, envs: list[str] | None = None, rendered: dict[str, list[dict]] | None = None) -> list[Problem]:
    """Checks 1 to 4: a run of validate's registry narrowed to the secret checks (checks.SECRETS),
    so seal.py --verify and validate can never disagree. Render failures are reported too;
    `rendered` reuses renders (and narrows the run to their environments)."""
    from fks_gitops import checks, validate  # the checks import this module

    envs = envs or (list(rendered) if rendered else None)
    return validate.validate(repo, envs, rendered, only=checks.SECRETS).problems


def check_sealed(repo: Path, env: Environment, docs: list[dict],
                 declared: dict[str, frozenset[str]] | None = None) -> list[Problem]:
    """Checks 1 and 2 for one environment's rendered documents; `declared`: seal/template.load."""
    sealed = [d for d in docs if d.get("kind") == "SealedSecret"]
    if not sealed:
        return []
    try:
        cert = certs.load(repo / env.certificate, env.certificate, check_expiry=False)
    except GitOpsError as exc:
        return [in_file(env.certificate, "secrets.certificate", "error", str(exc))]
    problems = []
    if cert.expired():
        problems.append(in_file(env.certificate, "secrets.certificate", "warning",
                                f"expired on {cert.not_after:%Y-%m-%d}; fetch the current one"))
    for doc in sealed:
        found = from_document(doc)
        reseal = f"re-seal with tools/seal.py --env {env.name} --name {found.name}"
        problems += [problem.at(doc, "secrets.certificate", "error", m, pointer)
                     for pointer, m in _certificate(doc, found, cert, env, reseal)]
        problems += [problem.at(doc, "secrets.scope", "error", m, pointer) for pointer, m in _scope(doc, found, reseal)]
        problems += [problem.at(doc, rule, "error", m, pointer) for rule, pointer, m in _fits(doc, found, env, reseal)]
        problems += [problem.at(doc, "secrets.template", "error", m, pointer) for pointer, m in _declared(found, declared)]
    return problems


def _fits(doc: dict, sealed: SealedSecret, env: Environment, reseal: str) -> list[tuple[str, str, str]]:
    """(rule, pointer, message): a scope environments.yaml does not allow; entries whose digest shows a copy."""
    found = []
    if sealed.scope not in env.scopes:
        at = join("", "metadata", "annotations", SCOPE_ANNOTATIONS[sealed.scope]) if sealed.scope in SCOPE_ANNOTATIONS else ""
        found.append(("secrets.scope", at, f"sealed {sealed.scope}, which environments.yaml does not allow in {env.name} "
                                           f"(scopes: {', '.join(env.scopes)}); {reseal} --scope {env.scopes[0]}"))
    annotations = (doc.get("metadata") or {}).get("annotations") or {}
    key_label = label(sealed.scope, sealed.namespace, sealed.name)
    for key in digests.check(annotations, key_label, sealed.encrypted) or ():
        found.append(("secrets.digest", join("", "spec", "encryptedData", key),
                      f"encryptedData[{key!r}] was not sealed as {key!r} of {sealed.namespace}/{sealed.name} (its "
                      f"{digests.ANNOTATION} digest differs): a copied ciphertext never decrypts; {reseal}"))
    return found


def _declared(sealed: SealedSecret, declared: dict[str, frozenset[str]] | None) -> list[tuple[str, str]]:
    """A SealedSecret, or a key of one, that secrets.template.yaml does not list."""
    if declared is None:
        return []
    if sealed.name not in declared:
        return [("/metadata/name", f"{sealed.name!r} is not in secrets.template.yaml; declare it there with its keys, "
                                   "or remove it")]
    return [(join("", "spec", "encryptedData", key), f"key {key!r} of {sealed.name!r} is not in secrets.template.yaml; "
                                                     "declare it there, or remove it")
            for key in sorted(sealed.encrypted) if key not in declared[sealed.name]]


def _certificate(
    doc: dict, sealed: SealedSecret, cert: certs.Certificate, env: Environment, reseal: str
) -> list[tuple[str, str]]:
    """(JSON pointer of the field, message) for each way the seal does not fit the certificate."""
    messages = []
    if doc.get("apiVersion") != API_VERSION:
        shown = repr(doc["apiVersion"]) if doc.get("apiVersion") else "unset"
        messages.append(("/apiVersion", f"apiVersion is {shown}, not {API_VERSION!r}"))
    if sealed.fingerprint is None:
        messages.append(("/metadata/annotations", f"no {SEALED_WITH} annotation, so its certificate is unknown; {reseal}"))
    elif sealed.fingerprint != cert.fingerprint:
        messages.append((join("", "metadata", "annotations", SEALED_WITH),
                         f"sealed with {sealed.fingerprint[:19]}..., not {env.certificate} "
                         f"({cert.fingerprint[:19]}...); {reseal}"))
    if not sealed.encrypted:
        messages.append(("/spec/encryptedData", "spec.encryptedData is empty"))
    for key, value in sorted(sealed.encrypted.items()):
        size = _rsa_block_size(str(value))
        at = join("", "spec", "encryptedData", str(key))
        if size is None:
            messages.append((at, f"encryptedData[{key!r}] is not a sealed value (base64 of length, RSA block, AES-GCM)"))
        elif size != cert.key_bytes:
            messages.append((at, f"encryptedData[{key!r}] has a {size * 8}-bit RSA block; "
                                 f"{env.certificate} is {cert.key_bytes * 8}-bit; {reseal}"))
    return messages


def _rsa_block_size(value: str) -> int | None:
    """The RSA block length a sealed value declares, or None if it cannot be one."""
    try:
        blob = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(blob) < 2:
        return None
    (size,) = struct.unpack(">H", blob[:2])
    return size if len(blob) >= 2 + size + 16 else None  # 16: the GCM tag of even an empty value


def _scope(doc: dict, sealed: SealedSecret, reseal: str) -> list[tuple[str, str]]:
    template = ((doc.get("spec") or {}).get("template") or {}).get("metadata") or {}
    sealed_for = (template.get("namespace"), template.get("name"))
    if sealed.scope == "strict":
        if None in sealed_for:
            return [("/spec/template/metadata", f"strict seal without spec.template.metadata namespace and name; {reseal}")]
        if sealed_for != (sealed.namespace, sealed.name):
            at = "/metadata/name" if sealed_for[1] != sealed.name else "/metadata/namespace"
            return [(at, f"strict seal for {sealed_for[0]}/{sealed_for[1]} renders as "
                         f"{sealed.namespace}/{sealed.name} and will not decrypt; {reseal}")]
    if sealed.scope == "namespace-wide" and sealed_for[0] != sealed.namespace:
        shown = repr(sealed_for[0]) if sealed_for[0] else "no namespace"
        return [("/metadata/namespace", f"namespace-wide seal for {shown} renders in {sealed.namespace!r} "
                                        f"and will not decrypt; {reseal}")]
    return []
