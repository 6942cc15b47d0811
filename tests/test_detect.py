"""seal/detect.py's scan finds what detect-secrets' own line-by-line scan finds (every plugin on
every line), though it runs the plugins only on the lines seal/triggers.py lets through. Every
secret here is put together at test time, so this file holds none."""
import base64
import hashlib
import json
import math
import os
import subprocess
import sys

import pytest

from conftest import REPO
from test_leaks import AWS, GITHUB, PASSWORD, SLACK
from fks_gitops.seal import detect

HEX = hashlib.sha256(b"not a secret").hexdigest()
B64 = base64.b64encode(bytes(range(40, 80))).decode()
LINES = [
    f"password: {PASSWORD}", f"password: '{PASSWORD}'", f'db_pass = "{PASSWORD}"', f'  "apiKey": "{PASSWORD}",',
    f"export PASSWORD={PASSWORD}", f'if (secret === "{PASSWORD}")', f'"{PASSWORD}" == api_key', f'secret.assign("{PASSWORD}")',
    f'private_key := "{PASSWORD}"', f'SECRET_TOKEN="{PASSWORD}";', f"contraseña: {PASSWORD}", f"Password: {PASSWORD}",
    f"AWS_ACCESS_KEY_ID: {AWS}", f"GITHUB_TOKEN: {GITHUB}", f"api_url: {SLACK}", f'digest: "{HEX}"', f"value: '{B64}'",
    f"token: {B64}", f"url: https://admin:{PASSWORD}@db.example.com", "secretName: fks-execution-secrets",
    "kind: SealedSecret", "password: ${DB_PASSWORD}", 'password: ""', "password: changeme  # pragma: allowlist secret",
]


def _reference(rel: str, text: str) -> set[detect.Finding]:
    """detect-secrets' per-line work on every line with every plugin (what `detect-secrets scan` does)."""
    from detect_secrets.core import scan as ds_scan

    if ds_scan._is_filtered_out(required_filter_parameters=["filename"], filename=rel):
        return set()
    lines = detect.plugin_lines(rel, text)
    return {detect.Finding(rel, s.line_number, s.type, s.secret_hash)
            for s in ds_scan._process_line_based_plugins(list(enumerate(lines, 1)), rel)}


@pytest.fixture(scope="module")
def scanner():
    scanner = detect.Scanner.load(REPO)
    with scanner.active():
        yield scanner


@pytest.mark.parametrize("rel", ["base/app/configmap.yaml", "tools/deploy.sh", "src/app.py", "main.go", "docs/notes.md"])
def test_scan_finds_what_every_plugin_on_every_line_finds(scanner, rel):
    text = "\n".join(LINES) + "\n"
    found = scanner.scan(rel, text)
    assert found and set(found) == _reference(rel, text)


def test_scan_of_the_repository_matches_the_plugins_line_by_line(scanner):
    files = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    checked = 0
    for rel in filter(None, files.split("\0")):
        path = REPO / rel
        if rel == detect.BASELINE or path.is_symlink() or not path.is_file():
            continue
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        assert set(scanner.scan(rel, text)) == _reference(rel, text), rel
        checked += 1
    assert checked > 100


def test_a_scan_no_trigger_matches_loads_no_detect_secrets_once_the_triggers_are_kept(tmp_path):
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "FKS_GITOPS_NO_CACHE": "0"}
    code = ("import json, sys; from pathlib import Path; from fks_gitops.seal import detect; "
            f"s = detect.Scanner.load(Path({str(REPO)!r})); text = sys.argv[1]\n"
            "with s.active(): found = s.scan('base/app/configmap.yaml', text)\n"
            "print(json.dumps([len(found), 'detect_secrets' in sys.modules]))")
    run = lambda text: json.loads(subprocess.run([sys.executable, "-c", code, text], cwd=REPO / "tools", env=env,  # noqa: E731
                                                 capture_output=True, text=True, check=True).stdout)
    plain = "kind: ConfigMap\ndata:\n  LOG_LEVEL: info\n"
    assert run(plain) == [0, True]  # the first run keeps the triggers
    assert run(plain) == [0, False]
    assert run(plain + f"  password: {PASSWORD}\n") == [1, True]


def test_kept_triggers_follow_the_baseline(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("FKS_GITOPS_NO_CACHE", "0")
    baseline = json.loads((REPO / detect.BASELINE).read_text())
    for limit in (4.5, 3.5, 3.5):  # the last: read back from the cache
        for plugin in baseline["plugins_used"]:
            if plugin["name"] == "Base64HighEntropyString":
                plugin["limit"] = limit
        scanner = detect.Scanner(baseline, json.dumps(baseline))
        with scanner.active():
            kept = [(t.pattern, folded) for t, folded, _ in scanner._triggers_only()]
            assert kept == [(t.pattern, folded) for _, t, folded in scanner._plugins()]
            assert any(f"{{{math.ceil(2 ** limit)},}}" in pattern for pattern, _ in kept)


def test_a_kept_trigger_that_does_not_compile_falls_back_to_the_plugins(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("FKS_GITOPS_NO_CACHE", "0")
    text = f"kind: ConfigMap\ndata:\n  password: {PASSWORD}\n"
    scanner = detect.Scanner.load(REPO)
    with scanner.active():
        found = scanner.scan("base/app/configmap.yaml", text)
    assert found
    [kept] = (tmp_path / "cache" / "fks-gitops").glob("triggers-*.json")
    kept.write_text(json.dumps([["(unclosed", flags, folded, None] for _, flags, folded, _ in json.loads(kept.read_text())]))
    scanner = detect.Scanner.load(REPO)
    with scanner.active():
        assert scanner.scan("base/app/configmap.yaml", text) == found
