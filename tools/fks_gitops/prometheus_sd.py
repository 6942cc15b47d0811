"""Service discovery blocks a promtool build cannot parse, checked here instead.

Debian's promtool is built without Kubernetes discovery: `promtool check config` stops at
`field kubernetes_sd_configs not found in type config.ScrapeConfig`. validate then checks those
blocks against the schema below and lets promtool check everything else, so no part of
prometheus.yml goes unchecked.

    config, errors = substitute(parsed, "kubernetes_sd_configs")  # errors: [(path in config, message)]
"""
from __future__ import annotations

import functools
import re

import jsonschema_rs

UNSUPPORTED = re.compile(r"field (\w+_sd_configs) not found in type config\.ScrapeConfig")

_STRINGS = {"type": "array", "items": {"type": "string"}}
_HTTP_CLIENT = {  # https://prometheus.io/docs/prometheus/latest/configuration/configuration/#kubernetes_sd_config
    "basic_auth": {"type": "object"}, "authorization": {"type": "object"}, "oauth2": {"type": "object"},
    "bearer_token": {"type": "string"}, "bearer_token_file": {"type": "string"},
    "proxy_url": {"type": "string"}, "no_proxy": {"type": "string"}, "proxy_from_environment": {"type": "boolean"},
    "proxy_connect_header": {"type": "object"}, "follow_redirects": {"type": "boolean"},
    "enable_http2": {"type": "boolean"}, "tls_config": {"type": "object"},
}
KUBERNETES_SD = {
    "type": "object",
    "additionalProperties": False,
    "required": ["role"],
    "properties": {
        "api_server": {"type": "string"},
        "role": {"enum": ["node", "service", "pod", "endpoints", "endpointslice", "ingress"]},
        "kubeconfig_file": {"type": "string"},
        "namespaces": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"own_namespace": {"type": "boolean"}, "names": _STRINGS},
        },
        "selectors": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["role"],
                "properties": {"role": {"type": "string"}, "label": {"type": "string"}, "field": {"type": "string"}},
            },
        },
        "attach_metadata": {"type": "object", "additionalProperties": False, "properties": {"node": {"type": "boolean"}}},
        **_HTTP_CLIENT,
    },
}
SCHEMAS = {"kubernetes_sd_configs": KUBERNETES_SD}


@functools.cache
def _validator(field: str) -> jsonschema_rs.Validator:
    return jsonschema_rs.validator_for({"type": "array", "items": SCHEMAS[field]})


def substitute(config: dict, field: str) -> tuple[dict, list[tuple[tuple, str]]] | None:
    """`config` with every `field` block checked here and replaced by an empty static target,
    and each schema error with its path in `config` (keys and list indexes); None when there
    is no schema for `field` (promtool's error then stands)."""
    if field not in SCHEMAS:
        return None
    messages = []
    jobs = []
    for index, job in enumerate(config.get("scrape_configs") or []):
        job = dict(job)
        blocks = job.pop(field, None)
        if blocks is not None:
            for error in _validator(field).iter_errors(blocks):
                inside = tuple(error.instance_path)
                at = ".".join(str(p) for p in inside)
                messages.append((("scrape_configs", index, field, *inside),
                                 f"job {job.get('job_name')!r}: {field}{'.' + at if at else ''}: {error.message}"))
            job.setdefault("static_configs", []).append({"targets": []})
        jobs.append(job)
    return {**config, "scrape_configs": jobs}, messages
