"""Prometheus and Alertmanager configs as they will run: taken from the rendered ConfigMaps and
checked with the real promtool and amtool.

    problems = check(EnvContext(config, env, docs))

Problems point at the repository file a ConfigMap key was generated from, with promtool's line
and column, so `base/prometheus/rules/orders.yaml:14:9: ...` opens in an editor. Environments
share their monitoring configs, so each distinct config is checked once per process.
"""
from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import os
import re
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import yaml

from fks_gitops import resultcache, textfile, yamldepth, yamlload
from fks_gitops.problem import Location, Problem
from fks_gitops.proc import require, run as command
from fks_gitops.checks.context import ENVIRONMENT, Session

HOW_TO_GET = "run `make setup` (it unpacks Debian's promtool and amtool into .venv/bin)"
CONFIG_RULE = "monitoring.prometheus-config"
_LOCATED = re.compile(r"^(?P<file>[\w./-]+):\s?(?P<line>\d+):(?P<col>\d+):\s*(?P<msg>.+)$")
# YAML errors: `<file>: yaml: line 9: ...`, or `parsing YAML file <file>: yaml: line 3: ...`, or
# `yaml: unmarshal errors:` followed by one `line 3: ...` per field.
_PARSING = re.compile(r"^parsing YAML file (?P<file>[\w./-]+):\s*")
_YAML_LINE = re.compile(r"^(?:(?P<file>[\w./-]+):\s*)?yaml: line (?P<line>\d+):\s*(?P<msg>.+)$")
_UNMARSHAL = re.compile(r"^(?:(?P<file>[\w./-]+):\s*)?yaml: unmarshal errors:$")
_FIELD_LINE = re.compile(r"^line (?P<line>\d+):\s*(?P<msg>.+)$")
# promtool and amtool frame their findings with these; the finding is what follows.
_FRAME = re.compile(r"^\s*(?:Checking\s+'?[^\s']+'?|Unit Testing:\s+\S+|SUCCESS\b.*|FAILED:|\s)*")
_SUMMARY = re.compile(r"^amtool: error: failed to validate")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@functools.cache
def _source(repo: Path, name: str, digest: str) -> str:
    """The repository file a generated ConfigMap key came from (same name, same bytes)."""
    for path in sorted(p for top in ("base", "components", "overlays") for p in (repo / top).rglob(name)):
        if hashlib.sha256(path.read_bytes()).hexdigest() == digest:
            return str(path.relative_to(repo))
    return name


def _problems(output: str, paths: dict[str, str], rule: str, fallback: str | None) -> list[Problem]:
    """promtool/amtool output -> problems at the repository file (and line) each finding names.
    `fallback` is the file of findings that name none (None: the output does not say which)."""
    problems, loose, current = [], [], fallback
    for raw in output.splitlines():
        line = _FRAME.sub("", raw).strip()
        parsing = _PARSING.match(line)
        if parsing:
            current, line = paths.get(parsing["file"], current), line[parsing.end():]
        found = _LOCATED.match(line) or _YAML_LINE.match(line) or _UNMARSHAL.match(line)
        if found and found["file"]:
            current = paths.get(found["file"], found["file"])
        if found is not None and found.re is _UNMARSHAL:
            continue
        found = found or _FIELD_LINE.match(line)
        if found:
            col = int(found["col"]) if "col" in found.re.groupindex else None
            where = Location(current, int(found["line"]), col) if current else None
            problems.append(Problem(rule, "error", _shown(found["msg"], paths), where))
        elif line and not _SUMMARY.match(line):
            loose.append(_shown(line, paths))
    if loose and not problems:
        problems.append(Problem(rule, "error", " ".join(loose)[:400], Location(current) if current else None))
    return list(dict.fromkeys(problems))  # promtool repeats a rule file's YAML error


def _quoted(problems: list[Problem], text: str) -> list[Problem]:
    """A finding without a line that quotes a value (`"15 seconds"`) gets the one line of the
    config holding it (as a whole word, else anywhere: `pods` in `role: pods`, not in
    `kubernetes-pods`); the config's lines are its source file's (same bytes)."""
    lines = text.splitlines()
    placed = []
    for p in problems:
        if p.location and p.location.line is None:
            for value in re.findall(r'"([^"]+)"', p.message):
                word = re.compile(rf"(?<![\w.-]){re.escape(value)}(?![\w.-])")
                hits = [(n, m.start()) for n, ln in enumerate(lines, 1) if (m := word.search(ln))]
                hits = hits if len(hits) == 1 else [(n, ln.index(value)) for n, ln in enumerate(lines, 1) if value in ln]
                if len(hits) == 1:
                    p = replace(p, location=Location(p.location.file, hits[0][0], hits[0][1] + 1))
                    break
        placed.append(p)
    return placed


def source_file(repo: Path, key: str, text: str) -> str:
    """The repository file a ConfigMap key `key` with content `text` came from."""
    return _source(repo, key, _digest(text))


def source_line(repo: Path, key: str, text: str, needle: str) -> Location:
    """Where `needle` first appears in the repository file a ConfigMap key `key` came from."""
    where = source_file(repo, key, text)
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return Location(where, number, line.index(needle) + 1)
    return Location(where)


def _shown(message: str, paths: dict[str, str]) -> str:
    for tmp, src in sorted(paths.items(), key=lambda kv: -len(kv[0])):
        message = message.replace(tmp, src)
    return message.strip()


def _write(path: Path, text: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return str(path)


def _config_problems(promtool: str, root: Path, config: str, source: str) -> list[Problem]:
    # Written as it is, so promtool's line numbers are the source file's (--syntax-only reads
    # no rule_files; the rules are checked on their own below).
    path = _write(root / "prometheus.yml", config)
    out = command([promtool, "check", "config", "--syntax-only", path], check=False)
    if not out.returncode:
        return []
    return _quoted(_problems(out.stdout + out.stderr, {path: source}, CONFIG_RULE, source), config)


def _check_prometheus(
    repo: Path, config: str, rules: tuple[tuple[str, str], ...], tests: tuple[str, ...]
) -> tuple[Problem, ...]:
    promtool = require("promtool", HOW_TO_GET)
    test_texts = [(t, (repo / t).read_text()) for t in tests]
    key = resultcache.digest("promtool", resultcache.binary_identity(promtool), config, repr(rules), repr(test_texts))
    if resultcache.passed(key):
        return ()
    with tempfile.TemporaryDirectory(prefix="fks-promtool-") as tmp:
        root = Path(tmp)
        rule_files = {_write(root / "rules" / name, text): _source(repo, name, _digest(text)) for name, text in rules}
        copies = {_write(root / "tests" / Path(t).name, text): t for t, text in test_texts}
        paths = {**rule_files, **copies}
        texts = dict(test_texts)
        source = _source(repo, "prometheus.yml", _digest(config))

        def rules_check() -> list[Problem]:
            out = command([promtool, "check", "rules", *rule_files], check=False) if rules else None
            only = next(iter(rule_files.values())) if len(rule_files) == 1 else None
            if out and out.returncode:
                return _problems(out.stdout + out.stderr, paths, "monitoring.rules", only)
            return _duplicates(out.stderr, rule_files) if out else []

        def unit_tests(batch: list[str]) -> list[Problem]:
            out = command([promtool, "test", "rules", *batch], check=False, cwd=str(root / "tests"))
            if out.returncode and len(batch) > 1:
                # promtool writes file headers to stdout and failures to stderr: run each file
                # again on its own to know whose failures they are (only when something failed).
                return [p for copy in batch for p in unit_tests([copy])]
            test = copies[batch[0]]
            return _test_failures(out.stdout + out.stderr, paths, test, texts[test]) if out.returncode else []

        jobs = [lambda: _config_problems(promtool, root, config, source), rules_check]
        jobs += [functools.partial(unit_tests, batch) for batch in _batches(list(copies))]
        with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
            problems = [p for found in pool.map(lambda job: job(), jobs) for p in found]
    if any(p.rule == "monitoring.rules" for p in problems):  # unit tests only repeat a parse error
        problems = [p for p in problems if p.rule != "monitoring.rule-tests"]
    if not problems:
        resultcache.remember(key)
    return tuple(problems)


def _duplicates(output: str, rule_files: dict[str, str]) -> list[Problem]:
    """promtool's duplicate-rules lint (reported, exit 0): each recording rule defined twice with
    the same labels, at its second definition."""
    if "duplicate rule(s) found" not in output:
        return []
    problems = []
    for name in re.findall(r"^Metric: (\S+)", output, re.MULTILINE):
        record = re.compile(rf"^\s*-?\s*record:\s*['\"]?{re.escape(name)}['\"]?\s*$")
        hits = [(source, n) for tmp, source in rule_files.items()
                for n, line in enumerate(Path(tmp).read_text().splitlines(), 1) if record.match(line)]
        source, line = hits[1] if len(hits) > 1 else (hits or [(None, None)])[0]
        problems.append(Problem("monitoring.duplicate-rule", "error",
                                f"recording rule {name} is defined twice with the same labels, so the two "
                                "overwrite each other's series; remove or rename one",
                                location=Location(source, line) if source else None))
    return problems


def _batches(files: list[str]) -> list[list[str]]:
    """One promtool per core, biggest test files spread first: each promtool start costs about
    as much CPU as a small test file, and kustomize wants the same cores."""
    count = max(1, min(len(files), os.cpu_count() or 1))
    batches: list[list[str]] = [[] for _ in range(count)]
    sizes = [0] * count
    for path in sorted(files, key=lambda f: -os.path.getsize(f)):
        i = sizes.index(min(sizes))
        batches[i].append(path)
        sizes[i] += os.path.getsize(path)
    return [b for b in batches if b]


def _test_failures(output: str, paths: dict[str, str], test: str, text: str) -> list[Problem]:
    """One problem per failed expectation, at its alertname in the test file; promtool's full
    exp/got listing stays in promtool."""
    failed = re.findall(r"^\s*alertname: (\S+), time: (\S+?),", output, re.MULTILINE)
    if not failed:
        return _problems(output, paths, "monitoring.rule-tests", test)
    how = f"run `promtool test rules {test}` for the expected and fired alerts"
    return [Problem("monitoring.rule-tests", "error",
                    f"alertname: {name}, time: {time}: the alerts that fired differ from exp_alerts; {how}",
                    Location(test, _expectation_line(text, name, time)))
            for name, time in failed]


def _expectation_line(text: str, alertname: str, time: str) -> int | None:
    """The line of `alertname: <name>` in the alert_rule_test entry with `eval_time: <time>`."""
    at = None
    for number, line in enumerate(text.splitlines(), 1):
        key, _, value = line.strip().lstrip("- ").partition(":")
        if key == "eval_time":
            at = value.strip().strip("'\"")
        elif key == "alertname" and value.strip().strip("'\"") == alertname and at == time:
            return number
    return None


def _check_alertmanager(repo: Path, config: str) -> tuple[Problem, ...]:
    amtool = require("amtool", HOW_TO_GET)
    key = resultcache.digest("amtool", resultcache.binary_identity(amtool), config)  # a pass, as promtool's
    if resultcache.passed(key):
        return ()
    with tempfile.TemporaryDirectory(prefix="fks-amtool-") as tmp:
        path = _write(Path(tmp) / "alertmanager.yml", config)
        source = _source(repo, "alertmanager.yml", _digest(config))
        out = command([amtool, "check-config", path], check=False)
        if out.returncode == 0:
            resultcache.remember(key)
            return ()
        return tuple(_quoted(_problems(out.stdout + out.stderr, {path: source}, "monitoring.alertmanager-config", source), config))


def _rule_tests(repo: Path) -> tuple[str, ...]:
    """promtool unit tests kept beside the rules they test (base/<component>/tests/*.yaml)."""
    tests = sorted((repo / "base").glob("*/tests/*.y*ml"))
    return tuple(str(p.relative_to(repo)) for p in tests if "rule_files" in p.read_text())


def _is_rules(text: str) -> bool:
    try:
        loaded = yamldepth.shared(text)
    except yamldepth.TooDeep:
        return False  # the encoding check names the file and line
    except yaml.YAMLError:
        return True  # broken YAML under a rules key: let promtool say what is wrong
    return isinstance(loaded, dict) and "groups" in loaded


def check_docs(repo: Path, docs: list[dict], session: Session) -> list[Problem]:
    """Each distinct config checked once a run: the environments usually carry the same configs
    and check them at the same time, so a second caller waits for the first one's result."""
    maps = [d.get("data") or {} for d in docs if d.get("kind") == "ConfigMap"]
    rules = tuple(sorted((k, v) for m in maps for k, v in m.items() if k.endswith((".yaml", ".yml")) and _is_rules(v)))
    tests = session.once(("monitoring.tests", repo), lambda: _rule_tests(repo))
    problems = _binary_configs(repo, docs)
    for data in maps:
        if "prometheus.yml" in data:
            args = (repo, data["prometheus.yml"], rules, tests)
            problems += session.once(("monitoring.prometheus", *args), lambda: _check_prometheus(*args))
        if "alertmanager.yml" in data:
            args2 = (repo, data["alertmanager.yml"])
            problems += session.once(("monitoring.alertmanager", *args2), lambda: _check_alertmanager(*args2))
    return problems


def _binary_configs(repo: Path, docs: list[dict]) -> list[Problem]:
    """A config kustomize put in binaryData (its file is not UTF-8) is one promtool and amtool
    would never see: an error at its source file's first bad byte (the same problem as the
    encoding check's, so the report shows it once), not a silent pass."""
    problems = []
    for doc in docs:
        for key, value in ((doc.get("binaryData") or {}) if doc.get("kind") == "ConfigMap" else {}).items():
            if not str(key).endswith((".yml", ".yaml")):
                continue
            try:
                raw = base64.b64decode(str(value))
            except (binascii.Error, ValueError):
                continue  # the schema check reports binaryData that is not base64
            found = textfile.first_invalid(raw)
            source = _source(repo, str(key), hashlib.sha256(raw).hexdigest())
            if found:
                problems.append(Problem(textfile.RULE, "error", textfile.message(found), Location(source, *found[:2])))
    return problems


def check(ctx) -> list[Problem]:
    return check_docs(ctx.config.repo, ctx.docs, ctx.session)


def source_configmaps(repo: Path) -> list[dict]:
    """The ConfigMaps the bases' configMapGenerators will produce, read straight from their files.
    validate checks these while kustomize renders; each environment's own check then finds the
    result ready when its rendered configs carry the same bytes (results are keyed by content,
    so a config an overlay changed is checked on its own)."""
    docs = []
    for kustomization in sorted((repo / "base").glob("*/kustomization.yaml")):
        raw = yaml.load(kustomization.read_text(), Loader=yamldepth.CSafeLoader) or {}
        for generator in raw.get("configMapGenerator") or []:
            data = {}
            for entry in generator.get("files") or []:
                key, _, rel = str(entry).rpartition("=")
                path = kustomization.parent / rel
                if path.is_file():
                    data[key or path.name] = path.read_text()
            docs.append({"kind": "ConfigMap", "data": data})
    return docs


ID, SCOPE = "monitoring", ENVIRONMENT
run = check
