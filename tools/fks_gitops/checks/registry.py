"""Every check validate runs, in one place (yamllint's _RULES); `fks_gitops.checks` hands it out.

Each is a module with `ID`, `SCOPE` (checks/context.py) and `run(ctx) -> list[Problem]`, listed
here by module name with its ID and scope (tests/test_registry.py holds them equal to the
module's): a module loads on its check's first run, so a run whose results are all remembered
(envcache.py) imports none of them. To add one: write `checks/<name>.py` in that shape and list
it here; `tools/seal.py --verify` runs the ones in SECRETS.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

from fks_gitops import environments
from fks_gitops.checks.context import ENVIRONMENT, FILES, REPOSITORY


@dataclass(frozen=True)
class Check:
    module: str  # checks/<module>.py
    ID: str
    SCOPE: str
    # A whole-repository check's inputs beside git's history, when not every file: envcache
    # reuses its problems while these are unchanged (tests/test_envcache.py).
    reads: Callable[[object], list[str]] | None = None
    environ: tuple[str, ...] = ()  # environment variables its result depends on: in its key too
    # An environment check that reads only these kinds of the render (beside envcache's
    # CHECK_INPUTS): its problems are reused while those objects are unchanged, whatever else
    # the render changed (tests/test_envcache.py).
    kinds: tuple[str, ...] = ()
    # An environment check whose problems are each object's own, found from that object alone
    # (and CHECK_INPUTS): each object's problems are reused while the object is unchanged.
    per_object: bool = False

    def load(self) -> ModuleType:
        return importlib.import_module(f"fks_gitops.checks.{self.module}")

    def run(self, ctx) -> list:
        return self.load().run(ctx)


# Slowest first within a scope: they start while the quick ones queue.
CHECKS = (
    Check("monitoring", "monitoring", ENVIRONMENT),
    Check("wiring", "wiring", ENVIRONMENT),
    Check("schemas", "schemas", ENVIRONMENT, per_object=True),
    Check("policies", "policies", ENVIRONMENT),
    Check("references", "references", ENVIRONMENT),
    Check("api_pods", "api-pods", ENVIRONMENT),
    Check("api_objects", "api-objects", ENVIRONMENT),
    Check("api_names", "api-names", ENVIRONMENT),
    Check("api_cel", "api-cel", ENVIRONMENT, per_object=True),
    Check("image_references", "image-references", ENVIRONMENT),
    Check("checker_versions", "checker-versions", ENVIRONMENT),
    Check("secret_references", "secret-references", ENVIRONMENT),
    Check("sealed_secrets", "sealed-secrets", ENVIRONMENT, kinds=("SealedSecret",)),
    Check("env_secrets", "env-secrets", ENVIRONMENT),
    Check("object_size", "object-size", ENVIRONMENT),
    Check("argocd", "argocd", REPOSITORY),
    Check("policies_outside", "policies-argocd", REPOSITORY, reads=lambda ctx: _outside(ctx)),
    Check("parity", "parity", REPOSITORY),
    Check("plaintext", "plaintext-secrets", FILES),
    Check("ciphertexts", "ciphertexts", FILES),
    # In CI the audit asks Prometheus again about recent promotions and what a pull request brings.
    Check("promotions", "promotions", FILES, reads=lambda ctx: _audited(ctx.config), environ=("CI", "GITHUB_BASE_REF")),
    Check("verify_queries", "verify-queries", FILES, reads=lambda ctx: [environments.FILE]),
    Check("duplicate_keys", "duplicate-keys", FILES),
    Check("kustomize_version", "kustomize-version", FILES, reads=lambda ctx: [environments.FILE]),
    Check("encoding", "encoding", FILES),
)
_BY_MODULE = {c.module: c for c in CHECKS}
SECRETS = ("secret-references", "sealed-secrets", "plaintext-secrets", "env-secrets", "ciphertexts")  # what seal.py --verify checks
POLICIES, MONITORING = _BY_MODULE["policies"], _BY_MODULE["monitoring"]


def _audited(config) -> list[str]:
    """What the promotion audit reads beside git: environments.yaml, the pinned packages (the
    exchange calendars are the holidays package's), and each environment's kustomization.yaml,
    for its uncommitted image edits and the lines of findings."""
    return [environments.FILE, "requirements.lock",  # the holidays package: the exchange calendars
            *(f"{e.overlay}/kustomization.yaml" for e in config.environments)]


def _outside(ctx) -> list[str]:
    """What the policies on Argo CD's manifests and the other folders its Applications deploy
    read (checks/policies_outside.py): argocd/ and policy/ whole, environments.yaml, the pinned
    packages (OPA's among them), and each Application folder that is no environment's overlay:
    what its kustomizations reach, else every file under it. Found without loading the check:
    a manifest that does not load means every file."""
    import yaml  # noqa: PLC0415

    from fks_gitops import render_inputs, runcache, yamldepth  # noqa: PLC0415

    repo, config = ctx.config.repo, ctx.config
    found = [environments.FILE, "requirements.lock", "requirements-opa.lock", *runcache.globbed(repo, ["argocd", "policy"])]
    overlays = {e.overlay for e in config.environments}
    for file in sorted((repo / "argocd").rglob("*.y*ml")):
        try:
            docs = list(yaml.load_all(file.read_text(), Loader=yamldepth.CSafeLoader))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            return ctx.files()
        for doc in docs:
            if not isinstance(doc, dict) or doc.get("kind") != "Application":
                continue
            spec = doc.get("spec") if isinstance(doc.get("spec"), dict) else {}
            source = spec.get("source") if isinstance(spec.get("source"), dict) else {}
            path = str(source.get("path") or "").rstrip("/")
            if not path or path in overlays:
                continue
            if path.startswith("/") or ".." in path.split("/"):
                return ctx.files()  # the argocd check refuses it; every file, to be safe
            if (repo / path / "kustomization.yaml").is_file():
                found += render_inputs.reached(repo, path, ctx.file_set())[1]
            else:
                found += [path, *runcache.globbed(repo, [path])]
    return found


def selected(scope: str, only: tuple[str, ...] = (), skip: tuple[str, ...] = ()) -> list:
    """The checks of one scope, narrowed to `only` (when given) and without `skip`."""
    return [c for c in CHECKS if c.SCOPE == scope and (not only or c.ID in only) and c.ID not in skip]


def extra_renders(ctx) -> list[str]:
    """Folders beyond the overlays that whole-repository checks render (only on a full run:
    `--env` narrows the Argo CD check to the named environments' Applications)."""
    return _BY_MODULE["argocd"].load().app_paths(ctx) if ctx.everything else []


def _policy():
    from fks_gitops import policy  # noqa: PLC0415 - the policy engine loads when policies run

    return policy


def warm_ups(config, session, wanted: list) -> list[Callable[[], object]]:
    """Work to start before the overlays are rendered, for the checks in `wanted`: promtool's unit
    tests are the longest single step (their inputs sit in the bases' files, and every environment
    shares the result); OPA loads its library and compiles the policies once per process; the
    checks' own modules load beside kustomize (an environment's checks start when its render is
    done). The libraries only some checks use (sealed-secrets' cryptography, api-cel's celpy, the
    sync windows' ruamel.yaml) are not warmed up: with their problems reused for what did not
    change, they are needed only after a change to what those checks read."""
    work: list[Callable[[], object]] = [lambda: [c.load() for c in wanted]]
    if MONITORING in wanted:
        work.append(lambda: _monitoring_docs(MONITORING.load(), config, session))
    if POLICIES in wanted:
        first = config.environments[0]
        work.append(lambda: _policy().warm_up(config.repo / "policy", first.name, first.namespace))
    return work


def _monitoring_docs(monitoring: ModuleType, config, session) -> object:
    return monitoring.check_docs(config.repo, monitoring.source_configmaps(config.repo), session)
