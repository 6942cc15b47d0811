"""Plaintext secrets: detect-secrets over the files and the history (seal/detect.py, seal/leaks.py),
the repository's own scan (seal/plaintext.py), and literal env values (checks/env_secrets.py).
Every secret here is put together at test time, so this file holds none."""
import base64
import shutil
import subprocess

import pytest
from cryptography.hazmat.primitives import serialization

from conftest import REPO, git
from fks_gitops import environments
from fks_gitops.checks import env_secrets, plaintext
from fks_gitops.checks.context import EnvContext, RepoContext

AWS = "AKIA" + "Q3EGRGXMPL7" + "ABCDE"
GITHUB = "ghp" + "_" + "aB3dE5gH7jK9mN1pQ3sT5vX7zA9cE1gI3kM5"
SLACK = "https://hooks.slack.com/services/" + "T0ABCDE12/B0ABCDE34/" + "aBcDeFgHiJkLmNoPqRsTuVwX"
PASSWORD = "correct-" + "horse-battery"
SECRET = "apiVersion: v1\nkind: {kind}\nmetadata: {{name: leaked}}\ndata:\n  token: " + base64.b64encode(b"x" * 9).decode() + "\n"
CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: settings}}\ndata:\n  {line}\n"


def private_key_pem() -> str:
    from sealkeys import rsa_key
    return rsa_key().private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                   serialization.NoEncryption()).decode()


@pytest.fixture
def make(tmp_path, monkeypatch):
    """A committed repository holding `files` (the real baseline, one environment); its problems."""
    monkeypatch.syspath_prepend(str(REPO / "tests/fixtures/seal"))
    from sealkeys import ENVIRONMENTS

    def problems(files: dict[str, str], then: dict[str, str | None] | None = None) -> list[tuple[str, str, int | None]]:
        root = tmp_path / "repo"
        root.mkdir()
        shutil.copy(REPO / ".secrets.baseline", root)
        git(root, "init", "-q")
        (root / "environments.yaml").write_text(ENVIRONMENTS)
        git(root, "add", ".")
        git(root, "commit", "-qm", "start")
        since = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True).stdout.strip()
        (root / "environments.yaml").write_text(ENVIRONMENTS + f"audit:\n  since: {since}\n")
        for batch in filter(None, (files, then)):
            for rel, text in batch.items():
                path = root / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                path.unlink() if text is None else path.write_text(text)
            git(root, "add", "-A")
            git(root, "commit", "-qm", "change")
        ctx = RepoContext(environments.load(root), {})
        return sorted((p.rule, p.location.file, p.location.line) for p in plaintext.run(ctx))

    return problems


@pytest.mark.parametrize(("rel", "text", "line"), [
    ("base/app/configmap.yaml", CONFIGMAP.format(line=f"password: {PASSWORD}"), 5),
    ("base/app/configmap.yaml", CONFIGMAP.format(line="DB_PASSWORD: " + base64.b64encode(PASSWORD.encode()).decode()), 5),
    ("base/app/configmap.yaml", CONFIGMAP.format(line=f"AWS_ACCESS_KEY_ID: {AWS}"), 5),
    ("base/app/configmap.yaml", CONFIGMAP.format(line=f"GITHUB_TOKEN: {GITHUB}"), 5),
    ("base/alertmanager/alertmanager.yml", f"receivers:\n  - name: critical\n    slack_configs:\n      - api_url: {SLACK}\n", 4),
])
def test_detect_secrets_finds_each_in_a_tracked_file(make, rel, text, line):
    assert ("secrets.detect", rel, line) in make({rel: text})


def test_plain_settings_pass(make):
    files = {"base/app/configmap.yaml": CONFIGMAP.format(line="LOG_LEVEL: info"),
             "base/alertmanager/alertmanager.yml": "receivers:\n  - name: critical\n    slack_configs:\n"
                                                   "      - api_url_file: /etc/alertmanager/secrets/critical-url\n",
             "tools/deploy.sh": '#!/bin/sh\nexport PASSWORD="$PASSWORD_FROM_VAULT"\n'}
    assert make(files) == []


@pytest.mark.parametrize(("rel", "text", "line"), [
    ("tools/deploy.sh", f"#!/bin/sh\nexport PASSWORD={PASSWORD}\n", 2),
    ("docs/notes.md", "Apply this:\n\n```yaml\n" + SECRET.format(kind="Secret") + "```\n", 7),
    ("base/app/secret.yaml.bak", SECRET.format(kind="Secret"), 4),
    ("base/app/secret.yaml", SECRET.format(kind="!!str Secret"), 4),
])
def test_plaintext_secrets_outside_plain_yaml_are_found(make, rel, text, line):
    assert ("secrets.plaintext", rel, line) in make({rel: text})


@pytest.mark.parametrize("text", [
    lambda: CONFIGMAP.format(line="tls.key: " + base64.b64encode(private_key_pem().encode()).decode()),
    lambda: "-----BEGIN PGP " + "PRIVATE KEY BLOCK-----\n\nlQOYBGN\n-----END PGP PRIVATE KEY BLOCK-----\n",
    lambda: "PuTTY-User-Key-File-" + "3: ssh-rsa\nEncryption: none\n",
])
def test_private_keys_in_every_form_are_found(make, text):
    assert ("secrets.plaintext", "base/app/key.yaml", 1 if "PuTTY" in text() or "PGP" in text() else 5) in \
        make({"base/app/key.yaml": text()})


def test_a_key_committed_and_removed_is_found_in_history(make):
    found = make({"base/app/configmap.yaml": CONFIGMAP.format(line=f"AWS_ACCESS_KEY_ID: {AWS}")},
                 then={"base/app/configmap.yaml": CONFIGMAP.format(line="LOG_LEVEL: info")})
    assert found == [("secrets.history", "base/app/configmap.yaml", None)]


def test_history_without_secrets_passes(make):
    assert make({"base/app/configmap.yaml": CONFIGMAP.format(line="LOG_LEVEL: debug")},
                then={"base/app/configmap.yaml": CONFIGMAP.format(line="LOG_LEVEL: info")}) == []


def pod(env: list[dict]) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "app"},
            "spec": {"template": {"spec": {"containers": [{"name": "app", "env": env}]}}}}


def test_a_literal_secret_in_an_env_value_is_an_error(config):
    docs = [pod([{"name": "LOG_LEVEL", "value": "info"}, {"name": "DB_PASSWORD", "value": PASSWORD},
                 {"name": "REDIS_URL", "value": "redis://cache:6379"}])]  # REDIS_URL: a key of secrets.template.yaml
    found = env_secrets.run(EnvContext(config, config.get("dev"), docs))
    assert [(p.rule, p.pointer) for p in found] == [
        ("secrets.env-literal", "/spec/template/spec/containers/0/env/1/value"),
        ("secrets.env-literal", "/spec/template/spec/containers/0/env/2/value")]


def test_an_env_value_from_a_secret_passes(config):
    docs = [pod([{"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}])]
    assert env_secrets.run(EnvContext(config, config.get("dev"), docs)) == []
