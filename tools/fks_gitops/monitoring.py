"""Prometheus and Alertmanager configs as they will run: taken from the rendered ConfigMaps and
checked with the real promtool and amtool.

    problems = check(EnvContext(config, env, docs))

Problems point at the repository file the ConfigMap was generated from, with promtool's line
and column, so `base/prometheus/rules/orders.yaml:14:9: ...` opens in an editor.
"""
from __future__ import annotations

import functools
import hashlib
import re
import tempfile
from pathlib import Path

import yaml

from .problem import Problem
from .proc import require, run

HOW_TO_GET = "run `make setup` (Debian packages prometheus and prometheus-alertmanager)"


def _configmaps(docs: list[dict]) -> list[dict]:
    return [d.get("data") or {} for d in docs if d.get("kind") == "ConfigMap"]


def _is_rules(text: str) -> bool:
    try:
        return isinstance(loaded := yaml.load(text, Loader=yaml.CSafeLoader), dict) and "groups" in loaded
    except yaml.YAMLError:
        return True  # broken YAML in a rules-looking key: let promtool say what is wrong


@functools.cache
def _source(repo: Path, name: str, digest: str) -> str:
    """The repository file a generated ConfigMap key came from (same name, same bytes)."""
    for path in sorted((repo / "base").rglob(name)):
        if hashlib.sha256(path.read_bytes()).hexdigest() == digest:
            return str(path.relative_to(repo))
    return name


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _problems(output: str, paths: dict[str, str], rule: str, fallback: str) -> list[Problem]:
    """promtool/amtool output -> problems, with temporary paths replaced by repository paths."""
    for tmp, src in sorted(paths.items(), key=lambda kv: -len(kv[0])):
        output = output.replace(tmp, src)
    problems, loose = [], []
    for line in output.splitlines():
        located = re.match(r"^\s*(?P<file>[\w./-]+):\s?(?P<line>\d+):(?P<col>\d+):\s*(?P<msg>.+)$", line)
        if located:
            where = f"{located['file']}:{located['line']}:{located['col']}"
            problems.append(Problem(where, rule, "error", located["msg"].strip()))
        elif line.strip() and not re.match(r"^\s*(Checking|SUCCESS|FAILED:|Unit Testing:)", line):
            loose.append(line.strip())
    if loose and not problems:
        problems.append(Problem(fallback, rule, "error", " ".join(loose)[:400]))
    return problems


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@functools.cache
def _check_prometheus(repo: Path, config: str, rules: tuple[tuple[str, str], ...], tests: tuple[str, ...]) -> tuple[Problem, ...]:
    promtool = require("promtool", HOW_TO_GET)
    with tempfile.TemporaryDirectory(prefix="fks-promtool-") as tmp:
        root = Path(tmp)
        paths: dict[str, str] = {}
        rule_paths = []
        for name, text in rules:
            rule_paths.append(str(_write(root, f"rules/{name}", text)))
            paths[rule_paths[-1]] = _source(repo, name, _digest(text))
        parsed = yaml.load(config, Loader=yaml.CSafeLoader) or {}
        parsed["rule_files"] = [f"{root}/rules/*.yaml"]
        conf = _write(root, "prometheus.yml", yaml.safe_dump(parsed))
        conf_src = _source(repo, "prometheus.yml", _digest(config))
        paths[str(conf)] = conf_src
        problems = []
        out = run([promtool, "check", "config", "--syntax-only", str(conf)], check=False)
        if out.returncode:
            problems += _problems(out.stdout + out.stderr, paths, "monitoring.prometheus-config", conf_src)
        if rule_paths:
            out = run([promtool, "check", "rules", *rule_paths], check=False)
            if out.returncode:
                problems += _problems(out.stdout + out.stderr, paths, "monitoring.rules", "rules")
        test_paths = []
        for test in tests:
            copy = _write(root, f"tests/{Path(test).name}", (repo / test).read_text())
            paths[str(copy)] = test
            test_paths.append(str(copy))
        if test_paths:
            out = run([promtool, "test", "rules", *test_paths], check=False, cwd=str(root / "tests"))
            if out.returncode:
                problems += _problems(out.stdout + out.stderr, paths, "monitoring.rule-tests", " ".join(tests))
        return tuple(problems)


@functools.cache
def _check_alertmanager(repo: Path, config: str) -> tuple[Problem, ...]:
    amtool = require("amtool", HOW_TO_GET)
    with tempfile.TemporaryDirectory(prefix="fks-amtool-") as tmp:
        path = _write(Path(tmp), "alertmanager.yml", config)
        src = _source(repo, "alertmanager.yml", _digest(config))
        out = run([amtool, "check-config", str(path)], check=False)
        if out.returncode == 0:
            return ()
        return tuple(_problems(out.stdout + out.stderr, {str(path): src}, "monitoring.alertmanager-config", src))


def _rule_tests(repo: Path) -> tuple[str, ...]:
    """promtool unit tests kept beside the rules they test (base/<component>/tests/*.yaml)."""
    found = []
    for path in sorted((repo / "base").glob("*/tests/*.y*ml")):
        if "rule_files" in path.read_text():
            found.append(str(path.relative_to(repo)))
    return tuple(found)


def check(ctx) -> list[Problem]:
    repo = ctx.config.repo
    problems: list[Problem] = []
    maps = _configmaps(ctx.docs)
    rules = tuple(sorted((k, v) for m in maps for k, v in m.items() if k.endswith((".yaml", ".yml")) and _is_rules(v)))
    for data in maps:
        if "prometheus.yml" in data:
            problems += _check_prometheus(repo, data["prometheus.yml"], rules, _rule_tests(repo))
        if "alertmanager.yml" in data:
            problems += _check_alertmanager(repo, data["alertmanager.yml"])
    return problems
