"""Which PromQL expressions promtool cannot parse: one `promtool check rules` run for all of them,
each expression a recording rule. A pass is remembered (resultcache); a failure is always recomputed.

    failed, other = unparsed(["up", "sum(x"], "panel")   # [(1, "1:7: parse error: ...")], ""
    # other: promtool's last line when it failed without naming an expression, else ""

The dashboards' panels (dashboards.py) and the verify queries of environments.yaml (verify_queries.py).
"""
from __future__ import annotations

import re
import tempfile
from pathlib import Path

import yaml

from fks_gitops import resultcache
from fks_gitops.checks import monitoring
from fks_gitops.proc import require, run as command


def unparsed(exprs: list[str], record: str) -> tuple[list[tuple[int, str]], str]:
    """(index in `exprs`, promtool's reason) per failure; `record` names the rules (`panel:0`, ...)."""
    rules = [{"record": f"{record}:{i}", "expr": expr} for i, expr in enumerate(exprs)]
    promtool = require("promtool", monitoring.HOW_TO_GET)
    key = resultcache.digest(record, resultcache.binary_identity(promtool), repr(rules))
    if resultcache.passed(key):  # keyed by every expression as promtool sees it
        return [], ""
    with tempfile.TemporaryDirectory(prefix=f"fks-{record}-") as tmp:
        path = Path(tmp) / "rules.yaml"
        path.write_text(yaml.safe_dump({"groups": [{"name": record, "rules": rules}]}))
        out = command([promtool, "check", "rules", "--lint=none", str(path)], check=False)
    if not out.returncode:
        resultcache.remember(key)
        return [], ""
    pattern = re.compile(rf'rule (\d+), "{re.escape(record)}:\d+": (?:could not parse expression: )?(.+)$')
    failed = [(int(m[1]) - 1, m[2].strip()) for line in (out.stdout + out.stderr).splitlines()
              if (m := pattern.search(line)) and 0 < int(m[1]) <= len(exprs)]
    said = (out.stderr or out.stdout).strip().splitlines() or [f"exit status {out.returncode}"]
    return failed, "" if failed else said[-1]
