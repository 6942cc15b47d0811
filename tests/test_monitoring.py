import copy

import pytest

from fks_gitops.checks import monitoring
from fks_gitops.problem import Location
from fks_gitops.checks.context import EnvContext

# A config edited here matches no repository file, so it is reported under its key's name.
PROMETHEUS = "prometheus.yml"


def _configmap(docs, key):
    return next(d for d in docs if d["kind"] == "ConfigMap" and key in (d.get("data") or {}))


def _check(config, docs, env="prod"):
    return monitoring.check(EnvContext(config, config.get(env), docs))


def test_rendered_monitoring_configs_pass(config, rendered):
    for env in ("dev", "staging", "prod"):
        assert _check(config, rendered[env], env) == []


def test_broken_promql_points_at_source_file_and_line(config, rendered):
    docs = copy.deepcopy(rendered["prod"])
    rules = _configmap(docs, "orders.yaml")
    lines = rules["data"]["orders.yaml"].splitlines()
    row = next(i for i, line in enumerate(lines) if "expr:" in line)
    lines[row] = lines[row].split("expr:")[0] + "expr: sum(rate(fks_orders_total[5m]) > 1)) "
    rules["data"]["orders.yaml"] = "\n".join(lines) + "\n"
    problems = _check(config, docs)
    broken = [p for p in problems if p.rule == "monitoring.rules"]
    assert broken, problems
    # The edited text exists nowhere in the repository: it is reported under its key's name.
    assert broken[0].location == Location("orders.yaml", row + 1, broken[0].location.col)
    assert broken[0].location.col is not None
    assert "parse error" in broken[0].message


def test_rule_problem_maps_to_the_repository_file(config, rendered, tmp_path):
    # Unchanged content maps back to base/prometheus/rules/<key>.
    rules = _configmap(rendered["prod"], "orders.yaml")
    assert monitoring._source(config.repo, "orders.yaml", monitoring._digest(rules["data"]["orders.yaml"])) == \
        "base/prometheus/rules/orders.yaml"


def test_broken_prometheus_config(config, rendered):
    docs = copy.deepcopy(rendered["prod"])
    cm = _configmap(docs, "prometheus.yml")
    cm["data"]["prometheus.yml"] = cm["data"]["prometheus.yml"].replace("scrape_interval: 15s", "scrape_interval: soon")
    problems = _check(config, docs)
    text = cm["data"]["prometheus.yml"]  # promtool names no line: the one line quoting the value
    line = next(n for n, ln in enumerate(text.splitlines(), 1) if "scrape_interval: soon" in ln)
    col = text.splitlines()[line - 1].index("soon") + 1
    assert [(p.rule, p.location) for p in problems] == [("monitoring.prometheus-config", Location(PROMETHEUS, line, col))]
    assert problems[0].message == 'not a valid duration string: "soon"'


def test_an_unknown_prometheus_field_is_at_its_own_line(config, rendered):
    docs = copy.deepcopy(rendered["prod"])
    cm = _configmap(docs, "prometheus.yml")
    cm["data"]["prometheus.yml"] = cm["data"]["prometheus.yml"].replace("  scrape_interval: 15s", "  scrape_intervl: 15s")
    line = cm["data"]["prometheus.yml"].splitlines().index("  scrape_intervl: 15s") + 1
    problems = _check(config, docs)
    assert [(p.rule, p.location, p.message) for p in problems] == [
        ("monitoring.prometheus-config", Location(PROMETHEUS, line), "field scrape_intervl not found in type config.plain")]


@pytest.mark.parametrize("broken, message", [
    ("- role: pods", 'unknown Kubernetes SD role "pods"'),
    ("own_namespace: yes please", "cannot unmarshal !!str `yes please` into bool"),
])
def test_a_bad_kubernetes_sd_block_is_rejected_by_promtool_itself(config, rendered, broken, message):
    good = {"- role: pods": "- role: pod", "own_namespace: yes please": "own_namespace: true"}[broken]
    docs = copy.deepcopy(rendered["prod"])
    cm = _configmap(docs, "prometheus.yml")
    cm["data"]["prometheus.yml"] = cm["data"]["prometheus.yml"].replace(good, broken, 1)
    line = next(i for i, t in enumerate(cm["data"]["prometheus.yml"].splitlines(), 1) if broken in t)
    [problem] = _check(config, docs)
    assert (problem.rule, problem.location.file, problem.location.line) == ("monitoring.prometheus-config", PROMETHEUS, line)
    assert message in problem.message


def test_broken_alertmanager_config(config, rendered):
    docs = copy.deepcopy(rendered["prod"])
    cm = _configmap(docs, "alertmanager.yml")
    cm["data"]["alertmanager.yml"] = cm["data"]["alertmanager.yml"].replace("receiver: slack-critical", "receiver: nobody", 1)
    problems = _check(config, docs)
    text = cm["data"]["alertmanager.yml"]
    line = next(n for n, ln in enumerate(text.splitlines(), 1) if "receiver: nobody" in ln)
    col = text.splitlines()[line - 1].index("nobody") + 1
    assert [(p.rule, p.location) for p in problems] == [
        ("monitoring.alertmanager-config", Location("alertmanager.yml", line, col))]
    assert problems[0].message == 'undefined receiver "nobody" used in route'


def test_rule_unit_tests_run_against_rendered_rules(config, rendered):
    docs = copy.deepcopy(rendered["prod"])
    rules = _configmap(docs, "orders.yaml")
    # Raise every threshold out of reach: the unit tests that expect alerts must now fail.
    rules["data"]["orders.yaml"] = rules["data"]["orders.yaml"].replace("for: ", "for: 9")
    problems = _check(config, docs)
    assert any(p.rule == "monitoring.rule-tests" for p in problems), problems


def test_source_configmaps_match_the_rendered_ones(repo, rendered):
    # validate checks the bases' files while kustomize runs; that head start only pays off
    # when the rendered ConfigMaps carry the same bytes.
    def monitoring_data(docs):
        keys = ("prometheus.yml", "alertmanager.yml", "orders.yaml")
        return sorted(sorted(d["data"].items()) for d in docs if d["kind"] == "ConfigMap" and any(k in d["data"] for k in keys))

    assert monitoring_data(monitoring.source_configmaps(repo)) == monitoring_data(rendered["prod"])


def test_unit_test_failures_name_their_own_test_file(config, rendered):
    # Test files run in batches, one promtool per core; a failure still names its file.
    docs = copy.deepcopy(rendered["prod"])
    rules = _configmap(docs, "orders.yaml")
    for key in ("orders.yaml", "exchange.yaml"):
        rules["data"][key] = rules["data"][key].replace("for: ", "for: 9", 1)
    failing = [p.location for p in _check(config, docs) if p.rule == "monitoring.rule-tests"]
    assert {f.file for f in failing} == {"base/prometheus/tests/orders_test.yaml", "base/prometheus/tests/exchange_test.yaml"}
    for where in failing:  # each at the alertname line of the expectation that failed
        assert (config.repo / where.file).read_text().splitlines()[where.line - 1].strip().startswith("alertname:")
