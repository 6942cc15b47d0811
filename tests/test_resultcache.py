import copy

import pytest

from fks_gitops import resultcache
from fks_gitops.checks import monitoring
from fks_gitops.checks.context import EnvContext


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("FKS_GITOPS_NO_CACHE", "0")
    return tmp_path / "fks-gitops"


def test_remembers_a_pass_by_key(cache):
    key = resultcache.digest("promtool", "rules")
    assert not resultcache.passed(key)
    resultcache.remember(key)
    assert resultcache.passed(key)
    assert not resultcache.passed(resultcache.digest("promtool", "other rules"))


def test_off_switch(cache, monkeypatch):
    key = resultcache.digest("x")
    resultcache.remember(key)
    monkeypatch.setenv("FKS_GITOPS_NO_CACHE", "1")
    assert not resultcache.passed(key)


def test_digest_separates_parts():
    assert resultcache.digest("ab", "c") != resultcache.digest("a", "bc")


def test_monitoring_remembers_passes_only(cache, config, rendered):
    docs = copy.deepcopy(rendered["prod"])
    problems = monitoring.check(EnvContext(config, config.get("prod"), docs))
    assert problems == [] and len(list(cache.iterdir())) >= 1
    before = set(cache.iterdir())
    rules = next(d for d in docs if d["kind"] == "ConfigMap" and "orders.yaml" in d.get("data", {}))
    rules["data"]["orders.yaml"] = rules["data"]["orders.yaml"].replace("for: ", "for: 9")
    assert monitoring.check(EnvContext(config, config.get("prod"), docs))
    assert set(cache.iterdir()) == before  # the failure was not remembered
