"""The synthetic series the verification tests serve (prometheus_server.py): what kube-state-metrics,
Argo CD, cert-manager, Alertmanager and fks-execution would have exported, under the metric
names the repository's rules, dashboards and environments.yaml's checks use.

    lines = soak("fks-trading-staging", "fks-trading-staging", entered, until)   # a healthy soak
    lines += deployed("fks-trading", start, end, pending="grafana-data")         # one PVC Pending
"""
from __future__ import annotations

import datetime as dt

from prometheus_server import series

EXEC = "ghcr.io/fks-trading/fks-execution"
HOUR = dt.timedelta(hours=1)
MINUTE = dt.timedelta(minutes=1)


def soak(namespace: str, application: str, entered: dt.datetime, end: dt.datetime,
         ready_from: dt.datetime | None = None, version: str = "1.4.3") -> list[str]:
    """Two ready fks-execution pods of `version` from `ready_from` (ten minutes after it entered),
    of 1.4.2 before; Argo CD Synced and Healthy; one failed order in a thousand; a warning alert."""
    start = entered - 2 * HOUR
    ready_from = ready_from or entered + 10 * MINUTE
    lines = []
    for version, since, until in (("1.4.2", start, ready_from), (version, ready_from, end)):
        for pod in (f"fks-execution-{version.replace('.', '')}-{x}" for x in "ab"):
            lines += series(f'kube_pod_container_info{{namespace="{namespace}",pod="{pod}",container="execution",'
                            f'image_spec="{EXEC}:{version}"}}', since, until - MINUTE, 1)
            lines += series(f'kube_pod_status_ready{{namespace="{namespace}",pod="{pod}",condition="true"}}', since,
                            until - MINUTE, 1)
    lines += series(f'argocd_app_info{{name="{application}",sync_status="Synced",health_status="Healthy"}}',
                    start, end, 1)
    minutes = lambda t: (t - start) // MINUTE  # noqa: E731
    lines += series(f'fks_orders_total{{namespace="{namespace}",status="filled",exchange="binance"}}', start, end,
                    lambda t: 10 * minutes(t))
    lines += series(f'fks_orders_total{{namespace="{namespace}",status="failed",exchange="binance"}}', start, end,
                    lambda t: minutes(t) // 100)
    warning = f'ALERTS{{alertname="FKSOrderLatencyHigh",alertstate="firing",severity="warning",namespace="{namespace}"}}'
    return lines + list(series(warning, entered + 3 * HOUR, entered + 4 * HOUR, 1))  # a warning is no reason


def critical_alert(namespace: str, start: dt.datetime, minutes: int) -> list[str]:
    selector = ('ALERTS{alertname="FKSOrderFailureRateHigh",alertstate="firing",severity="critical",'
                f'namespace="{namespace}",exchange="binance"}}')
    return list(series(selector, start, start + (minutes - 1) * MINUTE, 1))


def deployed(namespace: str, start: dt.datetime, end: dt.datetime, pending: str | None = None,
             pending_until: dt.datetime | None = None, hpa_current: int = 2) -> list[str]:
    """A deploy as the checklist sees it: Deployments ready, PVCs Bound (`pending` not, up to
    `pending_until` or the end), targets up, Alertmanager discovered, no Slack failures, the
    certificate ready, the HPA at `hpa_current` of 4."""
    ns = f'namespace="{namespace}"'
    lines = []
    for name, replicas in (("fks-execution", 2), ("prometheus", 1), ("grafana", 1), ("alertmanager", 1)):
        lines += series(f'kube_deployment_spec_replicas{{{ns},deployment="{name}"}}', start, end, replicas)
        lines += series(f'kube_deployment_status_replicas_ready{{{ns},deployment="{name}"}}', start, end, replicas)
    for claim in ("prometheus-data", "grafana-data"):
        bound_from = (pending_until or end + MINUTE) if claim == pending else start
        bound = lambda t, b=bound_from: 1 if t >= b else 0  # noqa: E731
        lines += series(f'kube_persistentvolumeclaim_status_phase{{{ns},persistentvolumeclaim="{claim}",phase="Bound"}}',
                        start, end, bound)
        lines += series(f'kube_persistentvolumeclaim_status_phase{{{ns},persistentvolumeclaim="{claim}",phase="Pending"}}',
                        start, end, lambda t, b=bound: 1 - b(t))
    for pod in ("fks-execution-a", "fks-execution-b", "alertmanager-0", "grafana-0"):
        lines += series(f'up{{{ns},job="kubernetes-pods",pod="{pod}"}}', start, end, 1)
    lines += series("prometheus_notifications_alertmanagers_discovered", start, end, 1)
    lines += series(f'alertmanager_notifications_failed_total{{{ns},integration="slack"}}', start, end, 3)
    lines += series(f'certmanager_certificate_ready_status{{{ns},name="webhooks-tls",condition="True"}}', start, end, 1)
    hpa = f'{ns},horizontalpodautoscaler="fks-execution"'
    lines += series(f"kube_horizontalpodautoscaler_status_current_replicas{{{hpa}}}", start, end, hpa_current)
    return lines + list(series(f"kube_horizontalpodautoscaler_spec_max_replicas{{{hpa}}}", start, end, 4))
