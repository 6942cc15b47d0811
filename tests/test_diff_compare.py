"""diff/compare.py and diff/risk.py: the real prod render, edited, compared object by object."""
import copy

import pytest

from conftest import find
from fks_gitops.diff import risk
from fks_gitops.diff.compare import compare


@pytest.fixture
def prod(rendered):
    return rendered["prod"]


def _edited(docs, kind, name, edit):
    after = copy.deepcopy(docs)
    edit(find(after, kind, name))
    return after


def _one(before, after):
    [change] = compare(before, after, "prod")
    return change


def test_unchanged_renders_compare_empty(prod):
    assert compare(prod, copy.deepcopy(prod), "prod") == ()


@pytest.mark.parametrize(("key", "value", "expected"), [
    ("TRADING_MODE", "paper", risk.TRADING_MODE),
    ("CIRCUIT_BREAKER_ERROR_THRESHOLD", "50", risk.RISK_LIMITS),
    ("MAX_DAILY_LOSS_PERCENT", "20.0", risk.RISK_LIMITS),
    ("RATE_LIMIT_ORDERS_PER_MINUTE", "600", risk.RISK_LIMITS),
    ("LOG_LEVEL", "debug", risk.OTHER),
])
def test_a_changed_configmap_value_shows_in_its_risk_class(prod, key, value, expected):
    after = _edited(prod, "ConfigMap", "fks-execution-config", lambda d: d["data"].__setitem__(key, value))
    change = _one(prod, after)
    assert (change.ref, change.action, change.fields) == (
        "ConfigMap/fks-trading/fks-execution-config", "changed", (f"data.{key}",))
    assert change.risks == (expected,)
    old = find(prod, "ConfigMap", "fks-execution-config")["data"][key]
    assert change.notes == (() if expected == risk.OTHER else (f"{key} {old} -> {value}",))


def test_trading_mode_set_in_a_container_env_is_trading_mode(prod):
    def edit(d):
        d["spec"]["template"]["spec"]["containers"][0].setdefault("env", []).append({"name": "TRADING_MODE", "value": "paper"})
    change = _one(prod, _edited(prod, "Deployment", "fks-execution", edit))
    assert change.risks == (risk.TRADING_MODE,) and change.notes == ("TRADING_MODE (none) -> paper",)


def test_an_image_change_names_the_versions(prod):
    def edit(d):
        d["spec"]["template"]["spec"]["containers"][0]["image"] = "ghcr.io/fks-trading/fks-execution:1.4.3"
    change = _one(prod, _edited(prod, "Deployment", "fks-execution", edit))
    assert change.risks == (risk.IMAGE,)
    assert change.notes == ("execution: ghcr.io/fks-trading/fks-execution 1.4.2 -> 1.4.3",)


def test_image_and_replicas_are_two_classes(prod):
    def edit(d):
        d["spec"]["template"]["spec"]["containers"][0]["image"] += "-rc1"
        d["spec"]["revisionHistoryLimit"] = 99
    assert _one(prod, _edited(prod, "Deployment", "fks-execution", edit)).risks == (risk.IMAGE, risk.OTHER)


def test_a_service_selector_change(prod):
    change = _one(prod, _edited(prod, "Service", "fks-execution",
                                lambda d: d["spec"]["selector"].__setitem__("track", "canary")))
    assert change.risks == (risk.SELECTOR,) and change.fields == ("spec.selector.track",)


def test_a_new_egress_rule_is_wider_and_a_dropped_one_is_not(prod):
    wider = _edited(prod, "NetworkPolicy", "fks-execution",
                    lambda d: d["spec"]["egress"].append({"ports": [{"protocol": "TCP", "port": 8080}]}))
    change = _one(prod, wider)
    assert change.risks == (risk.NETWORK,)
    assert change.notes == ('egress allows {"ports": [{"protocol": "TCP", "port": 8080}]}',)
    narrower = _edited(prod, "NetworkPolicy", "fks-execution", lambda d: d["spec"]["egress"].pop())
    assert _one(prod, narrower).risks == (risk.OTHER,)


def test_dropping_a_policy_type_is_wider(prod):
    change = _one(prod, _edited(prod, "NetworkPolicy", "fks-execution",
                                lambda d: d["spec"].__setitem__("policyTypes", ["Ingress"])))
    assert change.risks == (risk.NETWORK,) and change.notes == ("policyTypes no longer restrict Egress",)


def test_rbac_and_deletion(prod):
    role = _edited(prod, "Role", "prometheus", lambda d: d["rules"][0]["verbs"].append("delete"))
    assert _one(prod, role).risks == (risk.RBAC,)
    removed = [d for d in prod if d["kind"] != "Role"]
    change = _one(prod, removed)
    assert (change.action, change.risks) == ("removed", (risk.RBAC, risk.DELETION))
    assert change.diff.splitlines()[:2] == ["--- a/prod/Role/fks-trading/prometheus", "+++ /dev/null"]


def test_changes_are_ordered_riskiest_first(prod):
    after = _edited(prod, "ConfigMap", "fks-execution-config", lambda d: d["data"].__setitem__("TRADING_MODE", "paper"))
    after = [d for d in after if d["kind"] != "PodDisruptionBudget"]
    assert [c.risk for c in compare(prod, after, "prod")] == [risk.TRADING_MODE, risk.DELETION]


def test_a_regenerated_configmap_is_one_change_not_a_deletion(prod):
    after = copy.deepcopy(prod)
    [config] = [d for d in after if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith("prometheus-config-")]
    old_name = config["metadata"]["name"]
    config["metadata"]["name"] = "prometheus-config-abcdefgh12"
    config["data"]["prometheus.yml"] += "# more\n"
    change = _one(prod, after)
    assert (change.action, change.fields) == ("changed", ("data.prometheus.yml", "metadata.name"))
    assert change.diff.splitlines()[:2] == [f"--- a/prod/ConfigMap/fks-trading/{old_name}",
                                            "+++ b/prod/ConfigMap/fks-trading/prometheus-config-abcdefgh12"]
    assert "+  # more" in change.diff.replace("    # more", "  # more")  # a literal block: one line per line
