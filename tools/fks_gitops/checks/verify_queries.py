"""Every verify query in environments.yaml parses: a typo there would otherwise surface only when a
promotion asks Prometheus, and refuse it. One promtool run for all of them, without a server.

    problems = run(RepoContext(config, {}))   # [Problem("verify-queries.parse", ...)] at the check's line

Placeholders are filled with values of their kind first (the environment's namespace, a version,
`24h` for {soak}, a Unix time for {since}), as the promotion would fill them.
"""
from __future__ import annotations

from fks_gitops.checks import promql
from fks_gitops.checks.context import FILES
from fks_gitops.environments import FILE, Environment
from fks_gitops.environments_verify import Check, fill
from fks_gitops.problem import Problem, in_file

ID, SCOPE = "verify-queries", FILES


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
    failed, other = promql.unparsed([filled for _, filled in listed], "verify")
    lines = (ctx.config.repo / FILE).read_text().splitlines() if failed else []
    problems = []
    for index, reason in failed:
        check = listed[index][0]
        line = next((n for n, t in enumerate(lines, 1) if t.strip() == f"- name: {check.name}"
                     or t.strip().startswith(f"- name: {check.name} ")), None)
        problems.append(in_file(FILE, f"{ID}.parse", "error", f"verify check {check.name!r}: the query does "
                                f"not parse: {reason}", line, 1))
    if other:
        problems.append(Problem(f"{ID}.parse", "error", f"promtool could not check the verify queries: {other}"))
    return problems
