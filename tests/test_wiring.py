"""The wiring check (checks/wiring.py, dashboards.py, routes.py) on copies of the repository:
each family with the repository's own files as the allowed case and one broken on purpose,
written from the Prometheus, Alertmanager and Grafana documentation."""
from __future__ import annotations

import re

import pytest

from conftest import copy_repo
from fks_gitops.validate import validate


@pytest.fixture
def repo(tmp_path):
    return copy_repo(tmp_path / "repo")


def found(repo) -> list[tuple[str, str, str]]:
    report = validate(repo, ["dev"], only=("wiring",))
    return [(p.rule, str(p.location), p.message) for p in report.problems]


def edit(repo, rel: str, old: str, new: str) -> None:
    path = repo / rel
    text = path.read_text()
    assert old in text, f"{old!r} not in {rel}"
    path.write_text(text.replace(old, new, 1))


def test_the_repository_is_wired_as_it_runs(repo):
    assert found(repo) == []


def test_alerts_sent_to_a_port_the_service_does_not_listen_on(repo):
    edit(repo, "base/prometheus/prometheus.yml", '"alertmanager:9093"', '"alertmanager:9094"')
    assert found(repo) == [("wiring.service-port", "base/prometheus/prometheus.yml:17:22",
                            "Prometheus sends alerts to alertmanager:9094, but Service alertmanager listens on 9093; "
                            "use alertmanager:9093")]


def test_a_datasource_naming_no_service_and_one_outside_the_cluster(repo):
    edit(repo, "base/grafana/provisioning/datasources.yaml", "http://prometheus:9090", "http://prometheus-server:9090")
    ((rule, where, message),) = found(repo)
    assert (rule, where) == ("wiring.service-port", "base/grafana/provisioning/datasources.yaml:8:10")
    assert message.startswith("Grafana reads http://prometheus-server:9090, but the environment has no Service "
                              "'prometheus-server' in fks-trading-dev")
    edit(repo, "base/grafana/provisioning/datasources.yaml", "http://prometheus-server:9090", "https://metrics.example.com")
    assert found(repo) == []  # outside the cluster: nothing in the render to compare with


def test_a_panel_query_that_does_not_parse_is_placed_at_its_line(repo):
    path = repo / "base/grafana/dashboards/monitoring.json"
    text = path.read_text()
    assert '"expr": "min(prometheus_config_last_reload_successful)"' in text
    path.write_text(text.replace('"expr": "min(prometheus_config_last_reload_successful)"',
                                 '"expr": "min(prometheus_config_last_reload_successful"'))
    line = next(n for n, ln in enumerate(path.read_text().splitlines(), 1) if "min(prometheus_config_last" in ln)
    ((rule, where, message),) = found(repo)
    assert rule == "wiring.dashboard-query" and where.startswith(f"base/grafana/dashboards/monitoring.json:{line}:")
    assert re.fullmatch(r"panel '.+': the query does not parse: 1:\d+: parse error: unclosed left parenthesis", message)


def test_a_dashboard_that_is_not_json_is_placed_at_its_line(repo):
    path = repo / "base/grafana/dashboards/monitoring.json"
    lines = path.read_text().splitlines(keepends=True)
    lines[2] = lines[2].rstrip().rstrip(",") + "\n"  # a missing comma, as Grafana's loader would meet it
    path.write_text("".join(lines))
    ((rule, where, message),) = found(repo)
    assert (rule, where) == ("wiring.dashboard-json", "base/grafana/dashboards/monitoring.json:4:3")
    assert message == "dashboard monitoring.json is not valid JSON: Expecting ',' delimiter; Grafana would not load it"


def test_grafana_variables_are_filled_before_parsing(repo):
    path = repo / "base/grafana/dashboards/monitoring.json"
    text = path.read_text().replace('"expr": "up"', '"expr": "sum by ($label) (rate(up{job=~\\"${job:regex}\\"}[$window])) / $__range_s"')
    path.write_text(text)
    assert found(repo) == []


def test_a_severity_that_reaches_the_wrong_receiver(repo):
    edit(repo, "base/alertmanager/alertmanager.yml", "matchers: ['severity=\"warning\"']", "matchers: ['severity=\"warn\"']")
    ((rule, where, message),) = found(repo)
    assert (rule, where) == ("wiring.alert-routes", "base/alertmanager/routes_test.yaml:7")
    assert message.startswith("routes case 2 ({alertname=FKSOrderRejectionsHigh, namespace=fks-trading, "
                              "severity=warning}): ") and message.endswith("; expected slack-warning")
    assert "slack-info" in message  # what amtool found instead


def test_every_severity_the_rules_use_needs_a_case(repo):
    edit(repo, "base/alertmanager/routes_test.yaml",
         "  - labels: {alertname: FKSRateLimitHits, severity: info, namespace: fks-trading}\n    receivers: [slack-info]\n", "")
    assert found(repo) == [("wiring.alert-routes", "base/alertmanager/routes_test.yaml",
                            "alert rules use severity 'info', and no routes case has it: add one naming the receivers "
                            "it must reach")]


def test_an_inhibition_wider_than_its_case(repo):
    edit(repo, "base/alertmanager/alertmanager.yml", "equal: [alertname, namespace]", "equal: [alertname]")
    assert found(repo) == [("wiring.alert-routes", "base/alertmanager/routes_test.yaml:19",
                            "inhibitions case 2: {alertname=FKSOrderFailureRateHigh, namespace=fks-trading-staging, "
                            "severity=critical} inhibits {alertname=FKSOrderFailureRateHigh, namespace=fks-trading, "
                            "severity=warning}, the case expects the opposite")]


def test_an_inhibit_rule_without_a_case_and_a_missing_cases_file(repo):
    edit(repo, "base/alertmanager/alertmanager.yml", "inhibit_rules:\n",
         "inhibit_rules:\n  - source_matchers: ['alertname=\"FKSExecutionDown\"']\n"
         "    target_matchers: ['severity=\"info\"']\n")
    ((rule, where, message),) = found(repo)
    assert (rule, message) == ("wiring.alert-routes", "inhibit rule 1 has no inhibitions case in "
                                                      "base/alertmanager/routes_test.yaml; add one")
    assert where.startswith("base/alertmanager/alertmanager.yml:")
    (repo / "base/alertmanager/routes_test.yaml").unlink()
    ((rule, where, message),) = found(repo)
    assert message.startswith("no base/alertmanager/routes_test.yaml beside alertmanager.yml")


def test_a_recording_rule_defined_twice_is_promtools_duplicate_lint(repo):
    from fks_gitops.checks import monitoring  # its own check: promtool check rules

    rules = sorted((repo / "base/prometheus/rules").glob("*.yaml"))[0]
    text = rules.read_text()
    twice = "      - record: fks:test_duplicate:sum\n        expr: sum(up)\n" * 2
    rules.write_text(text.replace("    rules:\n", "    rules:\n" + twice, 1))
    report = validate(repo, ["dev"], only=(monitoring.ID,))
    assert [(p.rule, str(p.location)) for p in report.problems] == [
        ("monitoring.duplicate-rule", f"base/prometheus/rules/{rules.name}:{text.splitlines().index('    rules:') + 4}")]
    assert "recording rule fks:test_duplicate:sum is defined twice" in report.problems[0].message
    apart = twice + "        labels: {copy: b}\n"
    rules.write_text(text.replace("    rules:\n", "    rules:\n" + apart, 1))
    assert validate(repo, ["dev"], only=(monitoring.ID,)).problems == []  # other labels: two series


def test_a_network_policy_naming_a_namespace_that_does_not_exist(repo):
    edit(repo, "base/execution/networkpolicy.yaml", "kubernetes.io/metadata.name: ingress-nginx",
         "kubernetes.io/metadata.name: ingress-ngnix")
    ((rule, where, message),) = found(repo)
    assert (rule, where) == ("wiring.namespace", "base/execution/networkpolicy.yaml:14:15")
    assert message.startswith("NetworkPolicy/fks-execution: no namespace 'ingress-ngnix' exists; known: argocd, "
                              "cert-manager, fks-trading, fks-trading-dev, fks-trading-staging, ingress-nginx")


def test_a_namespace_the_environments_file_declares_is_known(repo):
    edit(repo, "base/execution/networkpolicy.yaml", "kubernetes.io/metadata.name: ingress-nginx",
         "kubernetes.io/metadata.name: traefik")
    assert [p[0] for p in found(repo)] == ["wiring.namespace"]
    edit(repo, "environments.yaml", "platform_namespaces: [ingress-nginx,", "platform_namespaces: [traefik, ingress-nginx,")
    assert found(repo) == []


def test_a_remembered_pass_never_hides_a_changed_route_or_query(repo, tmp_path, monkeypatch):
    monkeypatch.setenv("FKS_GITOPS_NO_CACHE", "0")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert found(repo) == []  # remembered now
    edit(repo, "base/alertmanager/alertmanager.yml", "matchers: ['severity=\"warning\"']", "matchers: ['severity=\"warn\"']")
    edit(repo, "base/grafana/dashboards/monitoring.json", '"expr": "up"', '"expr": "up{"')
    assert sorted(p[0] for p in found(repo)) == ["wiring.alert-routes", "wiring.dashboard-query"]
