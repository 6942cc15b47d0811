"""Shared fixtures: the real repository, rendered once per test session, and copies of it."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from fks_gitops import environments, render

# Every test runs promtool for real: no result remembered from an earlier run (the cache has
# its own tests in test_resultcache.py). Set before anything runs, so subprocesses inherit it.
os.environ["FKS_GITOPS_NO_CACHE"] = "1"

REPO = Path(__file__).resolve().parent.parent
# What a copy of the repository needs to render and validate; .venv and .git stay behind.
COPIED = ("base", "overlays", "argocd", "policy", "schemas", "certs", "environments.yaml", "secrets.template.yaml",
          ".secrets.baseline")


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def config():
    return environments.load(REPO)


@pytest.fixture(scope="session")
def rendered(config) -> dict[str, list[dict]]:
    results = render.render_all(REPO, [e.overlay for e in config.environments])
    return {e.name: results[e.overlay] for e in config.environments}


def git(repo: Path, *args: str) -> None:
    """git in `repo` with a throwaway identity, failing loudly."""
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
                   cwd=repo, check=True, capture_output=True)


def copy_repo(dest: Path) -> Path:
    """A copy of the repository's content in `dest`, for tests that break it on purpose: a clone,
    so the promotion audit finds the history it reads (audit.since), with the working tree's
    content on top, staged (the plaintext-secret scan reads what git tracks)."""
    subprocess.run(["git", "clone", "-q", "--local", "--no-checkout", str(REPO), str(dest)], check=True)
    subprocess.run(["git", "-C", str(dest), "read-tree", "HEAD"], check=True)  # index = HEAD, files absent
    for name in COPIED:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, dest / name)
        elif src.exists():
            shutil.copy2(src, dest / name)
    subprocess.run(["git", "-C", str(dest), "add", "-A", "--", *COPIED], check=True)
    return dest


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    return copy_repo(tmp_path / "repo")


def find(docs: list[dict], kind: str, name: str) -> dict:
    matches = [d for d in docs if d.get("kind") == kind and d["metadata"]["name"] == name]
    assert len(matches) == 1, f"{kind}/{name}: {len(matches)} objects"
    return matches[0]


def one_error(problems: list, kind: str, rule: str, message: str, pointer: str) -> None:
    """The api-* checks' contract: one error, on the object of `kind`, at `pointer`, saying `message`."""
    (problem,) = problems
    assert (problem.object.kind, problem.rule, problem.level, problem.pointer) == (kind, rule, "error", pointer)
    assert message in problem.message


@pytest.fixture
def api_docs() -> list[dict]:
    """tests/fixtures/api/valid.yaml, which the API server accepts: fresh for each test to break."""
    return [d for d in yaml.safe_load_all((Path(__file__).parent / "fixtures/api/valid.yaml").read_text()) if d]
