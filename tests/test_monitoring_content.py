"""The monitoring bases' content, checked with the real promtool, amtool and kustomize.

    .venv/bin/python -m pytest tests/test_monitoring_content.py
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from fks_gitops.errors import GitOpsError
from fks_gitops.proc import require, run
from fks_gitops.render import render

REPO = Path(__file__).resolve().parents[1]
PROMETHEUS = REPO / "base/prometheus"
RULE_FILES = sorted((PROMETHEUS / "rules").glob("*.yaml"))
UNIT_TESTS = sorted((PROMETHEUS / "tests").glob("*.yaml"))
ALERTMANAGER_YML = REPO / "base/alertmanager/alertmanager.yml"
DASHBOARDS = sorted((REPO / "base/grafana/dashboards").glob("*.json"))
BASES = ("prometheus", "grafana", "alertmanager")
CONCERNS = {"webhooks", "orders", "security", "exchange", "monitoring"}
SEVERITIES = {"critical", "warning", "info"}
RUNBOOK = "https://runbooks.fks-trading.example.com/alerts/{}"
HOW_TO_GET = "run `make setup`"


def tool(name: str) -> str:
    # A missing checker must fail the suite, never skip it: nothing would be checked.
    try:
        return require(name, HOW_TO_GET)
    except GitOpsError as exc:
        missing = str(exc)
    pytest.fail(missing, pytrace=False)


def checked(argv: list[str]) -> str:
    proc = run(argv, check=False)
    assert proc.returncode == 0, f"{' '.join(argv)} exited {proc.returncode}:\n{proc.stdout}{proc.stderr}"
    return proc.stdout


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def alerts() -> list[tuple[Path, dict]]:
    return [
        (path, rule)
        for path in RULE_FILES
        for group in load(path)["groups"]
        for rule in group["rules"]
        if "alert" in rule
    ]


def fired_in_unit_tests() -> set[tuple[str, str]]:
    """(alertname, severity) of every alert some unit test expects to fire."""
    return {
        (case["alertname"], alert["exp_labels"].get("severity", ""))
        for path in UNIT_TESTS
        for test in load(path)["tests"]
        for case in test.get("alert_rule_test", ())
        for alert in case.get("exp_alerts") or ()
    }


@pytest.fixture(scope="module")
def rendered() -> dict[str, list[dict]]:
    return {base: render(REPO / "base" / base) for base in BASES}


def find(docs: list[dict], kind: str, name_prefix: str) -> dict:
    return next(d for d in docs if d["kind"] == kind and d["metadata"]["name"].startswith(name_prefix))


# --- Prometheus rules ---------------------------------------------------------------------


def test_promtool_check_rules_passes() -> None:
    out = checked([tool("promtool"), "check", "rules", *map(str, RULE_FILES)])
    assert out.count("SUCCESS") == len(RULE_FILES)


def test_promtool_unit_tests_pass() -> None:
    assert UNIT_TESTS, "no unit tests in base/prometheus/tests"
    out = checked([tool("promtool"), "test", "rules", *map(str, UNIT_TESTS)])
    assert out.count("SUCCESS") == len(UNIT_TESTS)


def test_every_alert_and_severity_has_a_firing_unit_test() -> None:
    defined = {(rule["alert"], rule["labels"]["severity"]) for _, rule in alerts()}
    assert defined - fired_in_unit_tests() == set()


def test_alerts_cover_every_concern_and_severity() -> None:
    found = alerts()
    assert len(found) >= 12
    assert {path.stem for path, _ in found} == CONCERNS
    assert {rule["labels"]["severity"] for _, rule in found} == SEVERITIES


def test_every_alert_has_severity_summary_description_and_runbook() -> None:
    problems = []
    for path, rule in alerts():
        name, labels, notes = rule["alert"], rule.get("labels", {}), rule.get("annotations", {})
        if labels.get("severity") not in SEVERITIES:
            problems.append(f"{path.name}: {name}: severity {labels.get('severity')!r}")
        problems += [f"{path.name}: {name}: no {key}" for key in ("summary", "description") if not notes.get(key)]
        if notes.get("runbook_url") != RUNBOOK.format(name):
            problems.append(f"{path.name}: {name}: runbook_url {notes.get('runbook_url')!r}")
    assert problems == []


def test_rules_configmap_holds_the_rule_files_and_not_the_tests(rendered) -> None:
    rules = find(rendered["prometheus"], "ConfigMap", "prometheus-rules-")
    assert set(rules["data"]) == {path.name for path in RULE_FILES}


def test_prometheus_config_discovers_annotated_pods_of_its_own_namespace() -> None:
    config = load(PROMETHEUS / "prometheus.yml")
    assert config["global"] == config["global"] | {"scrape_interval": "15s", "evaluation_interval": "30s"}
    assert config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] == ["alertmanager:9093"]
    pods = next(job for job in config["scrape_configs"] if "kubernetes_sd_configs" in job)
    assert pods["kubernetes_sd_configs"] == [{"role": "pod", "namespaces": {"own_namespace": True}}]
    keep = pods["relabel_configs"][0]
    assert keep["source_labels"] == ["__meta_kubernetes_pod_annotation_prometheus_io_scrape"]
    assert (keep["action"], keep["regex"]) == ("keep", "true")
    targets = {rule.get("target_label") for rule in pods["relabel_configs"]}
    assert {"__metrics_path__", "__address__", "namespace", "pod", "app"} <= targets
    checked([tool("promtool"), "check", "config", str(PROMETHEUS / "prometheus.yml")])


# --- Alertmanager ---------------------------------------------------------------------------


def test_amtool_check_config_passes() -> None:
    checked([tool("amtool"), "check-config", str(ALERTMANAGER_YML)])


@pytest.mark.parametrize("severity", sorted(SEVERITIES))
def test_alerts_are_routed_to_slack_by_severity(severity: str) -> None:
    argv = [tool("amtool"), "config", "routes", "test", f"--config.file={ALERTMANAGER_YML}"]
    out = checked([*argv, f"severity={severity}", "alertname=FKSCircuitBreakerOpen", "namespace=fks-trading"])
    assert out.strip() == f"slack-{severity}"


def test_slack_urls_are_read_from_the_secret_files_only() -> None:
    text, config = ALERTMANAGER_YML.read_text(), load(ALERTMANAGER_YML)
    assert not re.search(r"\bapi_url:|slack_api_url:|hooks\.slack\.com", text)
    channels = {}
    for receiver in config["receivers"]:
        for slack in receiver["slack_configs"]:
            level = receiver["name"].removeprefix("slack-")
            assert slack["api_url_file"] == f"/etc/alertmanager/secrets/{level}-url"
            channels[receiver["name"]] = slack["channel"]
    assert channels == {"slack-critical": "#fks-critical", "slack-warning": "#fks-warnings", "slack-info": "#fks-info"}


def test_critical_route_repeats_hourly_and_sends_resolved() -> None:
    config = load(ALERTMANAGER_YML)
    route = config["route"]
    assert (route["receiver"], route["group_by"]) == ("slack-info", ["alertname", "namespace"])
    critical = next(r for r in route["routes"] if r["receiver"] == "slack-critical")
    assert critical["repeat_interval"] == "1h"
    receiver = next(r for r in config["receivers"] if r["name"] == "slack-critical")
    assert receiver["slack_configs"][0]["send_resolved"] is True


def test_critical_inhibits_warning_of_the_same_alert_and_namespace() -> None:
    assert load(ALERTMANAGER_YML)["inhibit_rules"] == [
        {
            "source_matchers": ['severity="critical"'],
            "target_matchers": ['severity="warning"'],
            "equal": ["alertname", "namespace"],
        }
    ]


# --- Grafana --------------------------------------------------------------------------------


def datasource_uids(dashboard: dict) -> set[str]:
    panels = dashboard["panels"]
    sources = [p.get("datasource") for p in panels] + [t.get("datasource") for p in panels for t in p["targets"]]
    sources += [v["datasource"] for v in dashboard["templating"]["list"] if "datasource" in v]
    return {(s or {}).get("uid") for s in sources}


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_dashboard_is_valid_and_uses_the_provisioned_datasource(path: Path) -> None:
    dashboard = json.loads(path.read_text())
    assert dashboard["uid"] and dashboard["title"] and dashboard["schemaVersion"] >= 36
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    assert all({"h", "w", "x", "y"} <= p["gridPos"].keys() and p["targets"] for p in dashboard["panels"])
    assert datasource_uids(dashboard) == {"prometheus"}


def test_execution_dashboard_has_16_panels_over_fks_metrics() -> None:
    panels = json.loads((REPO / "base/grafana/dashboards/execution.json").read_text())["panels"]
    assert len(panels) >= 16
    assert {p["type"] for p in panels} <= {"stat", "timeseries", "gauge", "table"}
    exprs = " ".join(t["expr"] for p in panels for t in p["targets"])
    metrics = {"fks_webhooks_received_total", "fks_webhook_duration_seconds_bucket", "fks_orders_total",
               "fks_order_latency_seconds_bucket", "fks_exchange_api_errors_total", "fks_circuit_breaker_open",
               "fks_signature_failures_total", "fks_rate_limited_total"}
    assert {m for m in metrics if m not in exprs} == set()


# --- Rendered bases -------------------------------------------------------------------------


def test_each_base_renders_its_objects(rendered) -> None:
    kinds = {base: {(d["kind"], d["metadata"]["name"].rsplit("-", 1)[0] if d["kind"] == "ConfigMap" else
                     d["metadata"]["name"]) for d in docs} for base, docs in rendered.items()}
    assert {("Deployment", "prometheus"), ("PersistentVolumeClaim", "prometheus-data"), ("Role", "prometheus"),
            ("RoleBinding", "prometheus"), ("ConfigMap", "prometheus-config"), ("ConfigMap", "prometheus-rules"),
            ("NetworkPolicy", "prometheus")} <= kinds["prometheus"]
    assert {("Deployment", "grafana"), ("PersistentVolumeClaim", "grafana-data"), ("ConfigMap", "grafana-datasources"),
            ("ConfigMap", "grafana-dashboard-provider"), ("ConfigMap", "grafana-dashboards")} <= kinds["grafana"]
    assert {("Deployment", "alertmanager"), ("Service", "alertmanager"), ("ConfigMap", "alertmanager-config")} <= kinds["alertmanager"]
    assert all(d["metadata"]["labels"]["app.kubernetes.io/part-of"] == "fks-trading" for docs in rendered.values() for d in docs)


@pytest.mark.parametrize("base", BASES)
def test_pods_run_restricted_with_resources_and_probes(rendered, base: str) -> None:
    pod = find(rendered[base], "Deployment", base)["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] > 0
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["automountServiceAccountToken"] is (base == "prometheus")
    for container in pod["containers"]:
        assert container["securityContext"] == {
            "allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]}}
        assert {"requests", "limits"} <= container["resources"].keys()
        assert container["livenessProbe"]["httpGet"] and container["readinessProbe"]["httpGet"]


def test_overlay_namespace_reaches_rolebinding_subject_and_peers_stay_distinct() -> None:
    docs = render(REPO / "tests/fixtures/monitoring-overlay")
    binding = find(docs, "RoleBinding", "prometheus")
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "prometheus", "namespace": "fks-trading-test"}]
    policy = find(docs, "NetworkPolicy", "prometheus")["spec"]
    peers = [peer.get("podSelector") for rule in policy["ingress"] for peer in rule["from"]]
    assert {"matchExpressions": [{"key": "app.kubernetes.io/name", "operator": "In", "values": ["grafana"]}]} in peers
