"""Prometheus's HTTP API, instant queries only, over the standard library's urllib. Every query
names its evaluation time and is bounded by a timeout, on the socket and on the server.

    client = Client("http://127.0.0.1:9090", timeout=10)
    client.query('up{namespace="fks-trading-staging"}', at=now)   # [Sample(labels, 1.0), ...]

Raises Unreachable (refused: nothing answered in time, or not as Prometheus would) and
QueryFailed (Prometheus answered with an error for this query, e.g. a parse error).
https://prometheus.io/docs/prometheus/latest/querying/api/#instant-queries
"""
from __future__ import annotations

import base64
import datetime as dt
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from fks_gitops.errors import GitOpsError, Refused


class Unreachable(Refused):
    pass


class QueryFailed(GitOpsError):
    pass


@dataclass(frozen=True)
class Sample:
    labels: tuple[tuple[str, str], ...]
    value: float

    def __str__(self) -> str:
        """`ALERTS{alertname="X",severity="critical"} 1`, or the bare value of a scalar."""
        labels = dict(self.labels)
        name = labels.pop("__name__", "")
        inner = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
        series = name + (f"{{{inner}}}" if inner else "")
        return f"{series} {self.value:g}" if series else f"{self.value:g}"


@dataclass(frozen=True)
class Client:
    url: str
    timeout: float = 10.0  # seconds
    auth: str | None = None  # "user:password" for basic auth (an Ingress in front of Prometheus)

    def query(self, promql: str, at: dt.datetime) -> list[Sample]:
        form = {"query": promql, "time": f"{at.timestamp():.3f}", "timeout": f"{self.timeout:g}s"}
        request = urllib.request.Request(f"{self.url}/api/v1/query", data=urllib.parse.urlencode(form).encode(),
                                         headers={"Accept": "application/json"})
        if self.auth:
            request.add_header("Authorization", "Basic " + base64.b64encode(self.auth.encode()).decode())
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return _samples(json.loads(response.read()))
        except urllib.error.HTTPError as exc:
            body = _json(exc.read())
            if exc.code in (400, 422) and body.get("status") == "error":  # the query's fault, not the server's
                raise QueryFailed(f"{body.get('errorType')}: {body.get('error')}") from None
            raise self.unreachable(f"HTTP {exc.code} {exc.reason}") from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise self.unreachable(str(reason) or type(exc).__name__) from None

    def unreachable(self, reason: str) -> Unreachable:
        return Unreachable(f"Prometheus {self.url} is unreachable or too slow: {reason} (timeout {self.timeout:g} s)")


def _json(data: bytes) -> dict:
    try:
        loaded = json.loads(data)
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _samples(body: dict) -> list[Sample]:
    data = body.get("data") or {}
    kind, result = data.get("resultType"), data.get("result")
    if kind == "scalar":
        return [Sample((), float(result[1]))]
    if kind == "vector":
        return [Sample(tuple(sorted(s["metric"].items())), float(s["value"][1])) for s in result]
    raise QueryFailed(f"the query returns a {kind or 'malformed result'}; give an instant vector or a scalar "
                      f"(a range selector goes inside a function like max_over_time)")
