"""Every check validate runs, in one place (yamllint's _RULES); `fks_gitops.checks` hands it out.

Each is a module with `ID`, `SCOPE` (checks/context.py) and `run(ctx) -> list[Problem]`.
To add one: write `checks/<name>.py` in that shape and list it here; `tools/seal.py --verify`
runs the ones in SECRETS.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable

from fks_gitops import policy
from fks_gitops.checks import (
    api_cel,
    api_names,
    api_objects,
    api_pods,
    argocd,
    checker_versions,
    ciphertexts,
    duplicate_keys,
    encoding,
    env_secrets,
    image_references,
    kustomize_version,
    monitoring,
    object_size,
    parity,
    plaintext,
    policies,
    policies_outside,
    promotions,
    references,
    schemas,
    sealed_secrets,
    secret_references,
    verify_queries,
    wiring,
)

# Slowest first within a scope: they start while the quick ones queue.
CHECKS = (
    monitoring,
    wiring,
    schemas,
    policies,
    references,
    api_pods,
    api_objects,
    api_names,
    api_cel,
    image_references,
    checker_versions,
    secret_references,
    sealed_secrets,
    env_secrets,
    object_size,
    argocd,
    policies_outside,
    parity,
    plaintext,
    ciphertexts,
    promotions,
    verify_queries,
    duplicate_keys,
    kustomize_version,
    encoding,
)
SECRETS = (secret_references.ID, sealed_secrets.ID, plaintext.ID, env_secrets.ID, ciphertexts.ID)  # what seal.py --verify checks


def selected(scope: str, only: tuple[str, ...] = (), skip: tuple[str, ...] = ()) -> list:
    """The checks of one scope, narrowed to `only` (when given) and without `skip`."""
    return [c for c in CHECKS if c.SCOPE == scope and (not only or c.ID in only) and c.ID not in skip]


def extra_renders(ctx) -> list[str]:
    """Folders beyond the overlays that whole-repository checks render (only on a full run:
    `--env` narrows the Argo CD check to the named environments' Applications)."""
    return argocd.app_paths(ctx) if ctx.everything else []


# What a check imports on its first run (cryptography, ruamel.yaml, celpy): loaded by a warm-up.
_LIBRARIES = ((sealed_secrets, "fks_gitops.seal.verify"), (api_cel, "fks_gitops.cel_rules"),
              (argocd, "fks_gitops.syncwindows_file"))


def warm_ups(config, session, wanted: list) -> list[Callable[[], object]]:
    """Work to start before the overlays are rendered, for the checks in `wanted`: promtool's unit
    tests are the longest single step (their inputs sit in the bases' files, and every environment
    shares the result); OPA loads its library and compiles the policies once per process; the
    libraries only some checks use load beside kustomize."""
    work = [lambda name=name: importlib.import_module(name) for c, name in _LIBRARIES if c in wanted]
    if monitoring in wanted:
        work.append(lambda: monitoring.check_docs(config.repo, monitoring.source_configmaps(config.repo), session))
    if policies in wanted:
        first = config.environments[0]
        work.append(lambda: policy.warm_up(config.repo / "policy", first.name, first.namespace))
    return work
