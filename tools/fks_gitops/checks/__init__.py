"""Every check validate runs, in one place (yamllint's _RULES).

Per-environment checks take an EnvContext (one rendered environment); whole-repository checks
take a RepoContext (every environment that rendered, or only the repository's files).
"""
from __future__ import annotations

from collections.abc import Callable

from fks_gitops import policy
from fks_gitops.checks import argocd
from fks_gitops.checks import promotions as audit
from fks_gitops.checks import monitoring
from fks_gitops.checks import parity
from fks_gitops.checks import policies_outside as policy_inputs
from fks_gitops.checks import references
from fks_gitops.checks import schemas
from fks_gitops.seal import verify as sealverify
from fks_gitops.checks import duplicate_keys as yamlscan


def _schemas(ctx) -> list:
    return schemas.check(ctx.docs, ctx.env.kubernetes, ctx.schema_locations, ctx.config.schema_allow,
                         repo_schemas=ctx.config.repo / "schemas")


def _policies(ctx) -> list:
    return policy.check(ctx.docs, ctx.env.name, ctx.env.namespace, ctx.config.repo / "policy")


def _references(ctx) -> list:
    return references.check(ctx.docs)


def _sealed_secrets(ctx) -> list:
    return sealverify.check_sealed(ctx.config.repo, ctx.env, ctx.docs)


def _plaintext(ctx) -> list:
    return sealverify.check_plaintext(ctx.config.repo)


def _duplicate_keys(ctx) -> list:
    return yamlscan.check(ctx.config.repo)


def extra_renders(ctx) -> list[str]:
    """Folders beyond the overlays that whole-repository checks render (only on a full run:
    `--env` narrows the Argo CD check to the named environments' Applications)."""
    return argocd.app_paths(ctx.config.repo) if ctx.everything else []


def warm_ups(config) -> list[Callable[[], object]]:
    """Work to start before the overlays are rendered: promtool's unit tests are the longest
    single step, their inputs sit in the bases' files, and every environment shares the result."""
    return [lambda: monitoring.check_docs(config.repo, monitoring.source_configmaps(config.repo))]


# Slowest first: they start while the quick ones queue.
PER_ENVIRONMENT = [
    ("monitoring", monitoring.check),
    ("schemas", _schemas),
    ("policies", _policies),
    ("references", _references),  # includes secret-key coverage, as seal.py --verify reports it
    ("sealed-secrets", _sealed_secrets),
]
WHOLE_REPOSITORY = [
    ("argocd", argocd.check),
    ("policies-argocd", policy_inputs.check),  # argocd/ and the other folders Applications deploy
    ("parity", parity.check),
]
# Whole-repository checks that read files, not renders: they start at once, beside kustomize.
REPOSITORY_FILES = [
    ("plaintext-secrets", _plaintext),
    (audit.ID, audit.check),  # reads git history, not renders
    ("duplicate-keys", _duplicate_keys),
]
