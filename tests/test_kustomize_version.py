"""checks/kustomize_version.py: a warning when validate's kustomize is not the one the Argo CD in
environments.yaml bundles."""
from __future__ import annotations

from dataclasses import replace

import pytest

from fks_gitops import render
from fks_gitops.checks import kustomize_version
from fks_gitops.checks.context import RepoContext
from fks_gitops.problem import Location


@pytest.fixture
def renders_with(monkeypatch):
    def use(version: str) -> None:
        monkeypatch.setattr(render, "renderer", lambda: render.Renderer(("kustomize", "build"), version))
    return use


def _line(config) -> int:
    return (config.repo / "environments.yaml").read_text().splitlines().index(f"argocd_version: {config.argocd_version}") + 1


def test_the_bundled_version_passes(config, renders_with):
    renders_with("v5.8.1")
    assert config.argocd_version == "v3.3"
    assert kustomize_version.run(RepoContext(config, {})) == []


def test_another_version_is_a_warning_at_argocd_version(config, renders_with):
    renders_with("v5.5.0")
    [found] = kustomize_version.run(RepoContext(config, {}))
    assert (found.rule, found.level, found.location) == ("kustomize-version.differs", "warning",
                                                         Location("environments.yaml", _line(config), 1))
    assert found.message.startswith("rendered with kustomize v5.5.0, but Argo CD v3.3 bundles v5.8.1: ")


def test_an_argocd_the_table_does_not_know_says_where_to_add_it(config, renders_with):
    renders_with("v5.8.1")
    [found] = kustomize_version.run(RepoContext(replace(config, argocd_version="v9.1"), {}))
    assert found.rule == "kustomize-version.unknown" and "add it to BUNDLED" in found.message
