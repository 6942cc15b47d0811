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


def test_passes_of_one_kind_keep_what_a_run_asked_about_and_added(cache):
    a, b, c = (resultcache.digest("file", name) for name in "abc")
    with resultcache.Passes("scan") as passes:
        assert a not in passes
        passes.add(a)
        passes.add(b)
    with resultcache.Passes("scan") as passes:
        assert a in passes and b in passes and c not in passes
        assert resultcache.digest("file", "a") not in resultcache.Passes("another scan")
    with resultcache.Passes("scan") as passes:
        assert a in passes  # b was not asked about: the tree no longer holds it
    with resultcache.Passes("scan") as passes:
        assert a in passes and b not in passes


def test_passes_are_not_kept_when_the_scan_fails_or_the_cache_is_off(cache, monkeypatch):
    key = resultcache.digest("file", "a")
    with pytest.raises(RuntimeError), resultcache.Passes("scan") as passes:
        passes.add(key)
        raise RuntimeError("the scan failed")
    assert key not in resultcache.Passes("scan")
    with resultcache.Passes("scan") as passes:
        passes.add(key)
    monkeypatch.setenv("FKS_GITOPS_NO_CACHE", "1")
    assert key not in resultcache.Passes("scan")


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


def test_amtool_remembers_a_config_that_passed_and_never_one_that_failed(cache, config, rendered):
    from fks_gitops.checks.monitoring import _check_alertmanager

    good = next(d for d in rendered["prod"] if "alertmanager.yml" in (d.get("data") or {}))["data"]["alertmanager.yml"]
    bad = good.replace("receiver: slack-critical", "receiver: nobody", 1)
    assert _check_alertmanager(config.repo, good) == () and len(list(cache.iterdir())) == 1
    assert _check_alertmanager(config.repo, bad) and _check_alertmanager(config.repo, bad)
    assert len(list(cache.iterdir())) == 1  # the failure was not remembered
