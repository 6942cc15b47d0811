"""How the monitoring parts reach each other in one rendered environment: what the schemas,
promtool and amtool each pass, and yet fails at run time.

    problems = run(ctx)   # EnvContext

- Prometheus sends alerts to each `alerting.alertmanagers` static target, and Grafana reads each
  datasource `url`: every host:port must name a Service of the environment and one of its ports
  (`alertmanager:9094` against a Service on 9093 is an error at prometheus.yml's line).
- Every dashboard panel's PromQL parses: all panels of all dashboards go to one promtool run
  (dashboards.py), Grafana's variables replaced by values of their kind first.
- A NetworkPolicy peer's namespaceSelector on `kubernetes.io/metadata.name` names a namespace that
  exists: an environment's, one the render creates, or one of environments.yaml's
  `platform_namespaces` (`ingress-ngnix` would drop the webhooks' traffic, silently).
- Alertmanager's routes (routes.py): each severity the alert rules use has a case, each case
  reaches its receivers (`amtool config routes test`), and each inhibit rule has a case that holds.

Problems are placed at the source file the ConfigMap key was generated from and the line that
holds the value (monitoring.source_line).
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import yaml

from fks_gitops import selectors, yamldepth
from fks_gitops.checks import dashboards, monitoring, routes
from fks_gitops.checks.context import ENVIRONMENT, EnvContext
from fks_gitops.pointer import join
from fks_gitops.problem import Problem, at

ID, SCOPE = "wiring", ENVIRONMENT
RULE = "wiring.service-port"
NAMESPACE_LABEL = "kubernetes.io/metadata.name"


def run(ctx: EnvContext) -> list[Problem]:
    repo, docs = ctx.config.repo, ctx.docs
    services = {(d["metadata"].get("namespace", ctx.env.namespace), d["metadata"]["name"]): d
                for d in docs if d.get("kind") == "Service" and d.get("metadata", {}).get("name")}
    data = {k: v for d in docs if d.get("kind") == "ConfigMap" for k, v in (d.get("data") or {}).items()}
    problems = []
    for key, text in sorted(data.items()):
        try:
            loaded = yamldepth.shared(text) if key.endswith((".yml", ".yaml")) else None
        except yaml.YAMLError:
            continue  # promtool, amtool or Grafana's own check reports a broken file
        if key == "prometheus.yml" and isinstance(loaded, dict):
            problems += _targets(repo, key, text, _alertmanagers(loaded), services, ctx.env.namespace, "Prometheus sends alerts to")
        elif isinstance(loaded, dict) and isinstance(loaded.get("datasources"), list):
            urls = [d.get("url") for d in loaded["datasources"] if isinstance(d, dict) and isinstance(d.get("url"), str)]
            problems += _targets(repo, key, text, [u for u in urls if u], services, ctx.env.namespace, "Grafana reads")
    problems += _namespaces(ctx)
    boards = {k: v for k, v in data.items() if k.endswith(".json")}
    problems += ctx.session.once(("wiring.dashboards", repo, repr(sorted(boards.items()))),
                                 lambda: dashboards.check(repo, boards))
    if "alertmanager.yml" in data:
        rules = [v for k, v in data.items() if k.endswith((".yml", ".yaml")) and "groups:" in v]
        problems += ctx.session.once(("wiring.routes", repo, data["alertmanager.yml"], tuple(rules)),
                                     lambda: routes.check(repo, data["alertmanager.yml"], rules))
    return problems


def _namespaces(ctx: EnvContext) -> list[Problem]:
    config = ctx.config
    known = {e.namespace for e in config.environments} | set(config.platform_namespaces)
    known |= {d["metadata"]["name"] for d in ctx.docs if d.get("kind") == "Namespace" and d.get("metadata", {}).get("name")}
    return [at(doc, "wiring.namespace", "error",
               f"{doc['kind']}/{doc['metadata'].get('name')}: no namespace {name!r} exists; known: "
               f"{', '.join(sorted(known))} (platform_namespaces in environments.yaml)", pointer=pointer)
            for doc in ctx.docs if doc.get("kind") == "NetworkPolicy"
            for _, peer_at, peer in selectors.peers(doc.get("spec") or {})
            for pointer, name in _named(peer.get("namespaceSelector") or {}, join(peer_at, "namespaceSelector"))
            if name not in known]


def _named(selector: dict, base: str) -> list[tuple[str, str]]:
    """(pointer, namespace) for each name a selector picks by the namespace's name label."""
    found = []
    labels = selector.get("matchLabels") or {}
    if isinstance(labels.get(NAMESPACE_LABEL), str):
        found.append((join(base, "matchLabels", NAMESPACE_LABEL), labels[NAMESPACE_LABEL]))
    for k, expression in enumerate(selector.get("matchExpressions") or []):
        if isinstance(expression, dict) and expression.get("key") == NAMESPACE_LABEL and expression.get("operator") == "In":
            found += [(join(base, "matchExpressions", k, "values", n), v)
                      for n, v in enumerate(expression.get("values") or []) if isinstance(v, str)]
    return found


def _alertmanagers(config: dict) -> list[str]:
    found = []
    for am in (config.get("alerting") or {}).get("alertmanagers") or []:
        for static in (am or {}).get("static_configs") or []:
            found += [t for t in (static or {}).get("targets") or [] if isinstance(t, str)]
    return found


def _targets(repo, key: str, text: str, targets: list[str], services: dict, namespace: str, what: str) -> list[Problem]:
    problems = []
    known = {ns for ns, _ in services}
    for target in targets:
        host, port = _host_port(target)
        ns, name = _service(host, namespace, known)
        if name is None:
            continue  # outside the cluster: nothing here to compare with
        service = services.get((ns, name))
        where = monitoring.source_line(repo, key, text, target)
        if service is None:
            problems.append(Problem(RULE, "error", f"{what} {target}, but the environment has no Service {name!r} in "
                                    f"{ns}; use the Service's name", location=where))
            continue
        ports = [p.get("port") for p in service.get("spec", {}).get("ports") or []]
        if port not in ports:
            shown = ", ".join(str(p) for p in ports) or "none"
            problems.append(Problem(RULE, "error", f"{what} {target}, but Service {name} listens on {shown}; "
                                    f"use {name}:{ports[0] if ports else '<port>'}", location=where))
    return problems


def _service(host: str | None, namespace: str, known: set[str]) -> tuple[str | None, str | None]:
    """(namespace, Service name) for a cluster DNS name: `name`, `name.ns`, `name.ns.svc[...]`."""
    labels = (host or "").split(".")
    if not host or host == "localhost" or re.fullmatch(r"[\d.]+", host):
        return None, None
    if len(labels) == 1:
        return namespace, labels[0]
    if (len(labels) == 2 and labels[1] in known | {namespace}) or (len(labels) > 2 and labels[2] == "svc"):
        return labels[1], labels[0]
    return None, None


def _host_port(target: str) -> tuple[str | None, int | None]:
    """`alertmanager:9093` or `http://prometheus:9090/path` -> (host, port); None without a port
    a Service would state (an http URL without one means 80)."""
    parts = urlsplit(target if "//" in target else f"//{target}")
    try:
        port = parts.port
    except ValueError:
        return None, None
    if port is None:
        port = {"http": 80, "https": 443}.get(parts.scheme)
    host = parts.hostname
    return (host, port) if host and port and re.fullmatch(r"[a-z0-9.-]+", host) else (None, None)
