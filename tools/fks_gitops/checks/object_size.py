"""Objects the API server would refuse for their size: ConfigMap and Secret data over 1 MiB
(MaxSecretSize, core/validation), any object over etcd's 1.5 MiB request limit.

    problems = run(ctx)   # EnvContext
"""
from __future__ import annotations

import base64
import binascii
import json

from fks_gitops.checks.context import ENVIRONMENT, EnvContext
from fks_gitops.problem import Problem, at

ID, SCOPE = "object-size", ENVIRONMENT
MAX_DATA = 1 << 20  # bytes of values in a ConfigMap's data + binaryData, or a Secret's data + stringData
MAX_OBJECT = 3 << 19  # 1.5 MiB: etcd's --max-request-bytes, which the API server applies to every write


def _mib(size: int) -> str:
    return f"{size / (1 << 20):.2f} MiB"


def _utf8(value: object) -> int:
    return len(str(value).encode())


def _decoded(value: object) -> int:
    try:
        return len(base64.b64decode(str(value), validate=True))
    except (binascii.Error, ValueError):
        return len(str(value))  # the schema check reports what is not base64


def data_size(doc: dict) -> tuple[int, str]:
    """The bytes the API server counts against MAX_DATA (values only, binary ones decoded), and
    the field holding most of them."""
    fields = {"ConfigMap": {"data": _utf8, "binaryData": _decoded}, "Secret": {"stringData": _utf8, "data": _decoded}}
    sizes = {field: sum(count(v) for v in doc[field].values())
             for field, count in fields.get(doc.get("kind"), {}).items() if isinstance(doc.get(field), dict)}
    return sum(sizes.values()), max(sizes, key=sizes.get, default="")


def run(ctx: EnvContext) -> list[Problem]:
    problems = []
    for doc in ctx.docs:
        data, field = data_size(doc)
        if data > MAX_DATA:
            problems.append(at(doc, "api.object-size", "error",
                               f"{doc['kind']} data is {_mib(data)}, over the API server's 1 MiB limit; "
                               "split it, or mount the content another way", f"/{field}"))
        size = len(json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode())
        if size > MAX_OBJECT:
            problems.append(at(doc, "api.object-size", "error",
                               f"object is {_mib(size)} as JSON, over the 1.5 MiB the API server accepts in one request"))
    return problems
