import datetime as dt

import pytest

from fks_gitops.cli import exit_code
from fks_gitops import environments
from fks_gitops.errors import GitOpsError


def test_chain_order_and_facts(config):
    assert [e.name for e in config.environments] == ["dev", "staging", "prod"]
    prod = config.get("prod")
    assert prod.namespace == "fks-trading"
    assert config.previous(prod).name == "staging"
    assert config.previous(config.get("dev")) is None
    assert config.get("staging").soak == dt.timedelta(hours=24)
    assert prod.freeze.timezone == "America/New_York"
    assert prod.freeze.open == dt.time(9, 30) and prod.freeze.close == dt.time(16, 0)
    assert prod.freeze.calendar == "NYSE"


def test_unknown_environment_names_the_known_ones(config):
    with pytest.raises(GitOpsError, match="unknown environment 'qa'; known: dev, staging, prod"):
        config.get("qa")


@pytest.mark.parametrize("text,expected", [("24h", dt.timedelta(hours=24)), ("1d12h", dt.timedelta(hours=36)),
                                           ("90m", dt.timedelta(minutes=90)), ("0h", dt.timedelta(0))])
def test_durations(text, expected):
    assert environments.parse_duration(text, "x") == expected


@pytest.mark.parametrize("text", ["", "24", "1 day", "h"])
def test_bad_durations_say_the_format(text):
    with pytest.raises(GitOpsError, match="is not like '24h'"):
        environments.parse_duration(text, "x")


def test_find_repo_walks_up(repo):
    assert environments.find_repo(repo / "overlays" / "prod") == repo


def test_find_repo_outside_says_how(tmp_path):
    with pytest.raises(GitOpsError, match="pass --repo"):
        environments.find_repo(tmp_path)


def test_broken_file_is_one_line(tmp_path):
    (tmp_path / "environments.yaml").write_text("environments: [\n")
    with pytest.raises(GitOpsError) as err:
        environments.load(tmp_path)
    assert "\n" not in str(err.value) and "not valid YAML" in str(err.value)


def _broken(tmp_path, repo, old, new):
    text = (repo / "environments.yaml").read_text()
    assert old in text
    (tmp_path / "environments.yaml").write_text(text.replace(old, new, 1))
    with pytest.raises(GitOpsError) as err:
        environments.load(tmp_path)
    assert exit_code(err.value) == 2 and "\n" not in str(err.value)
    return str(err.value)


def test_a_misspelt_day_is_refused_not_ignored(tmp_path, repo):
    # Ignored, it would switch prod's market-hours freeze off.
    message = _broken(tmp_path, repo, "days: [mon,", "days: [monday,")
    assert message.startswith("environments.yaml: environments[2].freeze.market_hours.days[0]:")
    assert "monday" in message


def test_an_unknown_time_zone_is_refused(tmp_path, repo):
    message = _broken(tmp_path, repo, "timezone: America/New_York", "timezone: America/NewYork")
    assert "'America/NewYork' is not a time zone" in message


def test_an_unknown_exchange_calendar_is_refused(tmp_path, repo):
    message = _broken(tmp_path, repo, "calendar: NYSE", "calendar: NYSEE")
    assert "freeze.calendar: 'NYSEE' is not a financial calendar" in message


def test_a_hand_kept_holiday_list_is_refused(tmp_path, repo):
    message = _broken(tmp_path, repo, "calendar: NYSE", "holidays: [2026-12-25]")
    assert message.startswith("environments.yaml: environments[2].freeze:") and "'holidays'" in message


def test_a_parity_rule_needs_a_kind(tmp_path, repo):
    message = _broken(tmp_path, repo, '- {kind: "*", name: "*", path: metadata.namespace}', "- {path: metadata.namespace}")
    assert message.startswith("environments.yaml: parity[0]:") and "kind" in message


def test_environments_must_be_a_list(tmp_path, repo):
    text = (repo / "environments.yaml").read_text()
    (tmp_path / "environments.yaml").write_text(text.split("environments:\n")[0] + "environments: 5\n")
    with pytest.raises(GitOpsError, match="environments.yaml: environments: "):
        environments.load(tmp_path)


def test_a_bad_adhoc_window_is_refused_at_load(tmp_path, repo):
    message = _broken(tmp_path, repo, "adhoc: []", "adhoc: [{from: next week, to: 2027-01-02}]")
    assert "adhoc[0].from" in message
    # Shaped like a date, but not one: still refused at load, never at promotion time.
    message = _broken(tmp_path, repo, "adhoc: []", "adhoc: [{from: 2026-13-01, to: 2027-01-02}]")
    assert "adhoc[0].from: '2026-13-01' is not a date and time" in message
    message = _broken(tmp_path, repo, "adhoc: []", "adhoc: [{from: 2027-01-02, to: 2026-12-30}]")
    assert "'to' '2026-12-30' is not after 'from'" in message


def test_adhoc_windows_are_read_in_the_freeze_time_zone(tmp_path, repo):
    text = (repo / "environments.yaml").read_text().replace(
        "adhoc: []", "adhoc: [{from: 2026-12-30T00:00, to: 2027-01-02T00:00, reason: year-end}]")
    (tmp_path / "environments.yaml").write_text(text)
    [window] = environments.load(tmp_path).get("prod").freeze.adhoc
    assert window.start.isoformat() == "2026-12-30T00:00:00-05:00" and window.reason == "year-end"


def test_select_keeps_chain_order_and_drops_repeats(config):
    assert [e.name for e in config.select(["prod", "dev", "prod"])] == ["dev", "prod"]


def test_a_key_given_twice_is_refused_with_its_line(tmp_path):
    (tmp_path / "environments.yaml").write_text("repository: a\nenvironments:\n  - name: staging\n    soak: 24h\n    soak: 0h\n")
    with pytest.raises(GitOpsError) as err:
        environments.load(tmp_path)
    assert str(err.value) == "environments.yaml:5:5: duplicate key 'soak' (first at line 4); remove one"


def test_a_remembered_schema_pass_never_hides_a_change(tmp_path, repo, monkeypatch):
    import sys

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("FKS_GITOPS_NO_CACHE", "0")
    environments.load(repo)
    monkeypatch.delitem(sys.modules, "jsonschema_rs", raising=False)
    environments.environments_schema._validator.cache_clear()
    environments.load(repo)  # the same document: remembered, the validator never loads
    assert "jsonschema_rs" not in sys.modules
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "environments.yaml").write_text(
        (repo / "environments.yaml").read_text().replace("days: [mon,", "days: [monday,", 1))
    with pytest.raises(GitOpsError, match="monday"):
        environments.load(tmp_path / "repo")
    environments.environments_schema._validator.cache_clear()  # monkeypatch puts the first module back
