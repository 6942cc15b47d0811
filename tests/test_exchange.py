"""promote/exchange.py: calendar names are the holidays package's; a known name is remembered
by the content of the package's registry, an unknown one is always asked again."""
import hashlib
from pathlib import Path

import holidays

from fks_gitops import resultcache
from fks_gitops.promote import exchange


def test_a_known_calendar_is_remembered_by_the_registry_it_came_from(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("FKS_GITOPS_NO_CACHE", "0")
    assert exchange._registry() == hashlib.sha256(Path(holidays.registry.__file__).read_bytes()).hexdigest()
    assert exchange.known("NYSE") and exchange.known("NYSE") and exchange.known("XNYS")
    assert not exchange.known("NYSEE") and not exchange.known("NYSEE")
    remembered = resultcache.digest("financial calendar", "NYSE", exchange._registry())
    assert resultcache.passed(remembered)
    assert not resultcache.passed(resultcache.digest("financial calendar", "NYSEE", exchange._registry()))
    # Another registry (a holidays upgrade) is another key: the name is looked up in it again.
    monkeypatch.setattr(exchange, "_registry", lambda: "another registry")
    assert exchange.known("NYSE") and resultcache.passed(resultcache.digest("financial calendar", "NYSE", "another registry"))


def test_without_the_cache_nothing_is_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("FKS_GITOPS_NO_CACHE", "1")
    assert exchange.known("NYSE") and not (tmp_path / "cache").exists()


def test_a_remembered_calendar_is_the_one_holidays_builds_and_a_damaged_one_is_built_again(tmp_path, monkeypatch):
    import datetime as dt

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("FKS_GITOPS_NO_CACHE", "0")
    built = {d: str(n) for d, n in holidays.financial_holidays("NYSE", years=2026, categories=("public",)).items()}
    assert exchange._calendar("NYSE", 2026, "public") == built  # built, and kept
    (entry,) = (tmp_path / "cache" / "fks-gitops").iterdir()
    assert exchange._calendar("NYSE", 2026, "public") == built  # read back
    assert built[dt.date(2026, 12, 25)] == "Christmas Day"
    entry.write_text("{not json")
    assert exchange._calendar("NYSE", 2026, "public") == built
    # Another release of the package is another key: its calendar is built again.
    monkeypatch.setattr(exchange, "_package", lambda: "holidays-9.9.dist-info another registry")
    assert exchange._calendar("NYSE", 2026, "public") == built
    assert len(list((tmp_path / "cache" / "fks-gitops").iterdir())) == 2
