"""Alertmanager's routes and inhibitions against the cases kept beside alertmanager.yml
(`routes_test.yaml`): each severity the alert rules use reaches its receivers, and each inhibit
rule silences what it should and nothing else.

    problems = check(repo, alertmanager_yml, [rules_yaml, ...])

    # routes_test.yaml
    routes:
      - labels: {alertname: FKSExecutionDown, severity: critical, namespace: fks-trading}
        receivers: [slack-critical]
    inhibitions:
      - source: {alertname: FKSOrderErrors, severity: critical, namespace: fks-trading}
        target: {alertname: FKSOrderErrors, severity: warning, namespace: fks-trading}
        inhibited: true

Routes are tested by `amtool config routes test --verify.receivers` (one run per case, all at
once); amtool has no test for inhibitions, so their cases are evaluated here, as Alertmanager
does: a target is inhibited when a source alert matches the rule's source matchers, the target
its target matchers, and the two agree on every `equal` label.
"""
from __future__ import annotations

import re
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

from fks_gitops import resultcache, yamldepth, yamlload
from fks_gitops.checks import monitoring
from fks_gitops.problem import Location, Problem
from fks_gitops.proc import require, run as command

RULE = "wiring.alert-routes"
CASES = "routes_test.yaml"
_MATCHER = re.compile(r'^\s*([A-Za-z_]\w*)\s*(=~|!~|!=|=)\s*"?(.*?)"?\s*$')


def check(repo: Path, config: str, rules: list[str]) -> list[Problem]:
    source = monitoring.source_line(repo, "alertmanager.yml", config, "route:")
    cases_file = str(Path(source.file).parent / CASES)
    if not (repo / cases_file).is_file():
        return [Problem(RULE, "error", f"no {cases_file} beside alertmanager.yml: add a routes case per severity "
                                       "and an inhibitions case per inhibit rule", location=source)]
    text = (repo / cases_file).read_text()
    cases = (yamlload.load_all(text, cases_file) or [{}])[0]
    amtool = require("amtool", monitoring.HOW_TO_GET)
    key = resultcache.digest("routes", resultcache.binary_identity(amtool), config, text, *rules)
    if resultcache.passed(key):  # keyed by the config, the cases and the rules; a failure is always recomputed
        return []
    try:
        loaded = [yaml.load(t, Loader=yamldepth.CSafeLoader) or {} for t in (config, *rules)]
    except yaml.YAMLError:  # amtool's and promtool's checks report a broken file, the encoding check a deep one
        return []
    lines = _lines(text)
    problems = _uncovered(cases, loaded[1:], Location(cases_file))
    problems += _routed(amtool, config, cases.get("routes") or [], cases_file, lines)
    problems += _inhibitions(loaded[0], cases.get("inhibitions") or [], cases_file, lines, source)
    if not problems:
        resultcache.remember(key)
    return problems


def _uncovered(cases: dict, rules: list[dict], where: Location) -> list[Problem]:
    used = set()
    for loaded in rules:
        for group in loaded.get("groups") or []:
            used |= {str(r["labels"]["severity"]) for r in group.get("rules") or []
                     if "alert" in r and isinstance(r.get("labels"), dict) and "severity" in r["labels"]}
    covered = {str((c.get("labels") or {}).get("severity")) for c in cases.get("routes") or []}
    return [Problem(RULE, "error", f"alert rules use severity {s!r}, and no routes case has it: add one naming the "
                                   "receivers it must reach", location=where) for s in sorted(used - covered)]


def _routed(amtool: str, config: str, routes: list[dict], cases_file: str, lines: list[tuple[str, int]]) -> list[Problem]:
    with tempfile.TemporaryDirectory(prefix="fks-routes-") as tmp:
        path = Path(tmp) / "alertmanager.yml"
        path.write_text(config)

        def one(case: dict) -> str | None:
            labels = [f"{k}={v}" for k, v in sorted((case.get("labels") or {}).items())]
            expected = ",".join(case.get("receivers") or [])
            out = command([amtool, "config", "routes", "test", f"--config.file={path}",
                           f"--verify.receivers={expected}", *labels], check=False)
            return None if out.returncode == 0 else (out.stdout + out.stderr).strip().splitlines()[0]

        with ThreadPoolExecutor(max_workers=2) as pool:
            verdicts = list(pool.map(one, routes))
    return [Problem(RULE, "error", f"routes case {i + 1} ({_shown(case.get('labels'))}): {verdict}; expected "
                                   f"{', '.join(case.get('receivers') or [])}", location=_at(cases_file, lines, "routes", i))
            for i, (case, verdict) in enumerate(zip(routes, verdicts)) if verdict]


def _inhibitions(config: dict, cases: list[dict], cases_file: str, lines: list[tuple[str, int]], source: Location) -> list[Problem]:
    rules = config.get("inhibit_rules") or []
    problems = []
    for i, case in enumerate(cases):
        src, tgt = case.get("source") or {}, case.get("target") or {}
        got = any(_applies(rule, src, tgt) for rule in rules)
        if got != bool(case.get("inhibited")):
            says = "inhibits" if got else "does not inhibit"
            problems.append(Problem(RULE, "error", f"inhibitions case {i + 1}: {_shown(src)} {says} {_shown(tgt)}, "
                                    f"the case expects the opposite", location=_at(cases_file, lines, "inhibitions", i)))
    for n, rule in enumerate(rules, 1):
        if not any(_matches(rule, "source", c.get("source") or {}) and _matches(rule, "target", c.get("target") or {})
                   for c in cases):
            problems.append(Problem(RULE, "error", f"inhibit rule {n} has no inhibitions case in {cases_file}; add one",
                                    location=source))
    return problems


def _applies(rule: dict, source: dict, target: dict) -> bool:
    equal = rule.get("equal") or []
    return (_matches(rule, "source", source) and _matches(rule, "target", target)
            and all(source.get(k, "") == target.get(k, "") for k in equal))


def _matches(rule: dict, side: str, labels: dict) -> bool:
    """`<side>_matchers` (strings), `<side>_match` and `<side>_match_re` (maps), all of them."""
    matchers = [_MATCHER.match(m) for m in rule.get(f"{side}_matchers") or []]
    pairs = [(m[1], m[2], m[3]) for m in matchers if m]
    pairs += [(k, "=", str(v)) for k, v in (rule.get(f"{side}_match") or {}).items()]
    pairs += [(k, "=~", str(v)) for k, v in (rule.get(f"{side}_match_re") or {}).items()]
    for name, op, value in pairs:
        have = str(labels.get(name, ""))
        hit = re.fullmatch(value, have) is not None if op in ("=~", "!~") else have == value
        if hit != (op in ("=", "=~")):
            return False
    return True


def _shown(labels: dict | None) -> str:
    return "{" + ", ".join(f"{k}={v}" for k, v in sorted((labels or {}).items())) + "}"


def _lines(text: str) -> list[tuple[str, int]]:
    """(section, line) of each list entry under `routes:` and `inhibitions:`, in order."""
    found, section = [], None
    for number, line in enumerate(text.splitlines(), 1):
        if re.match(r"^(routes|inhibitions):", line):
            section = line.split(":")[0]
        elif section and re.match(r"^\s*- ", line) and len(line) - len(line.lstrip()) <= 2:
            found.append((section, number))
    return found


def _at(cases_file: str, lines: list[tuple[str, int]], section: str, index: int) -> Location:
    entries = [n for s, n in lines if s == section]
    return Location(cases_file, entries[index] if index < len(entries) else None)
