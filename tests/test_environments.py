import datetime as dt

import pytest

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
    assert dt.date(2026, 11, 26) in prod.freeze.holidays


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
