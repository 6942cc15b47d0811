"""Every verify query in environments.yaml parses: a typo there would otherwise surface only when a
promotion asks Prometheus, and refuse it. One promtool run for all of them, without a server.

    problems = run(RepoContext(config, {}))   # [Problem("verify-queries.parse", ...)] at the check's line

Placeholders are filled with values of their kind first (the environment's namespace, a version,
`24h` for {soak}, a Unix time for {since}), as the promotion would fill them.
"""
from __future__ import annotations

import re
import tempfile
from pathlib import Path

import yaml

from fks_gitops import resultcache
from fks_gitops.checks import monitoring
from fks_gitops.checks.context import FILES
from fks_gitops.environments import FILE, Environment
from fks_gitops.environments_verify import Check, fill
from fks_gitops.problem import Problem, in_file
from fks_gitops.proc import require, run as command

ID, SCOPE = "verify-queries", FILES
_FAILED = re.compile(r'rule (\d+), "verify:\d+": (?:could not parse expression: )?(.+)$')  # as dashboards.py reads it


def _values(env: Environment) -> dict[str, str]:
    return {"component": "fks-execution", "version": "1.4.3", "image": "ghcr.io/fks-trading/fks-execution:1.4.3",
            "namespace": env.namespace, "application": env.application, "soak": "24h", "since": "1767225600"}


def run(ctx) -> list[Problem]:
    queries: dict[tuple[str, str], tuple[Check, str]] = {}  # deploy_checks repeat in every environment
    for env in ctx.config.environments:
        for check in (env.verify.checks + env.verify.deploy) if env.verify else ():
            queries.setdefault((check.name, check.query), (check, fill(check.query, _values(env))))
    if not queries:
        return []
    listed = list(queries.values())
    rules = [{"record": f"verify:{i}", "expr": filled} for i, (_, filled) in enumerate(listed)]
    promtool = require("promtool", monitoring.HOW_TO_GET)
    key = resultcache.digest(ID, resultcache.binary_identity(promtool), repr(rules))
    if resultcache.passed(key):  # keyed by every query as promtool sees it; a failure is always recomputed
        return []
    with tempfile.TemporaryDirectory(prefix="fks-verify-") as tmp:
        path = Path(tmp) / "verify.yaml"
        path.write_text(yaml.safe_dump({"groups": [{"name": "verify", "rules": rules}]}))
        out = command([promtool, "check", "rules", "--lint=none", str(path)], check=False)
    if not out.returncode:
        resultcache.remember(key)
        return []
    lines = (ctx.config.repo / FILE).read_text().splitlines()
    problems = []
    for text in (out.stdout + out.stderr).splitlines():
        found = _FAILED.search(text)
        if found and 0 < int(found[1]) <= len(listed):
            check = listed[int(found[1]) - 1][0]
            line = next((n for n, t in enumerate(lines, 1) if t.strip() == f"- name: {check.name}"
                         or t.strip().startswith(f"- name: {check.name} ")), None)
            problems.append(in_file(FILE, f"{ID}.parse", "error", f"verify check {check.name!r}: the query does "
                                    f"not parse: {found[2].strip()}", line, 1))
    return problems or [Problem(f"{ID}.parse", "error", f"promtool could not check the verify queries: "
                                                        f"{(out.stderr or out.stdout).strip().splitlines()[-1]}")]
