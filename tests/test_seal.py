import base64
import importlib.util
import io
import json
import os
import secrets
import sys
import tempfile
import time
import types
from pathlib import Path

import pytest
import yaml
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from fks_gitops.seal import certs, digests
from fks_gitops.errors import GitOpsError
from fks_gitops.seal.codec import SEALED_WITH, add_resource, label, merge, seal, to_yaml
from conftest import git

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "seal"))
from sealkeys import ENVIRONMENTS, certificate_pem, ec_key, rsa_key  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
NS, NAME = "team-dev", "app-secrets"


def unseal(private_key, label: bytes, value: str) -> bytes:
    """The wire format, read independently of the tool: u16 length | RSA-OAEP(session key) | AES-GCM."""
    blob = base64.b64decode(value)
    size = int.from_bytes(blob[:2], "big")
    oaep = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=label)
    session_key = private_key.decrypt(blob[2 : 2 + size], oaep)
    return AESGCM(session_key).decrypt(b"\x00" * 12, blob[2 + size :], None)


def cert_for(key, tmp_path: Path, name: str = "cert.pem") -> certs.Certificate:
    path = tmp_path / name
    path.write_bytes(certificate_pem(key))
    return certs.load(path)


@pytest.mark.parametrize(
    ("scope", "label"),
    [("strict", b"team-dev/app-secrets"), ("namespace-wide", b"team-dev"), ("cluster-wide", b"")],
)
def test_round_trip_for_each_scope(tmp_path, scope, label):
    key = rsa_key()
    sealed = seal(cert_for(key, tmp_path), NAME, NS, {"A": b"alpha", "EMPTY": b""}, scope)
    assert {k: unseal(key, label, v) for k, v in sealed.encrypted.items()} == {"A": b"alpha", "EMPTY": b""}


def test_round_trip_with_a_4096_bit_key(tmp_path):
    key = rsa_key(4096)
    sealed = seal(cert_for(key, tmp_path), NAME, NS, {"K": b"v" * 5000})
    blob = base64.b64decode(sealed.encrypted["K"])
    assert int.from_bytes(blob[:2], "big") == 512
    assert unseal(key, b"team-dev/app-secrets", sealed.encrypted["K"]) == b"v" * 5000


@pytest.mark.parametrize(
    "label", [b"team-dev/other-name", b"other-ns/app-secrets", b"team-dev", b""], ids=["name", "namespace", "ns-wide", "cluster"]
)
def test_a_strict_seal_does_not_open_under_another_label(tmp_path, label):
    key = rsa_key()
    sealed = seal(cert_for(key, tmp_path), NAME, NS, {"A": b"alpha"})
    with pytest.raises(ValueError):
        unseal(key, label, sealed.encrypted["A"])


@pytest.mark.parametrize("offset", [10, -1], ids=["rsa-block", "gcm-tag"])
def test_a_tampered_blob_does_not_open(tmp_path, offset):
    key = rsa_key()
    sealed = seal(cert_for(key, tmp_path), NAME, NS, {"A": b"alpha"})
    blob = bytearray(base64.b64decode(sealed.encrypted["A"]))
    blob[offset] ^= 0x01
    with pytest.raises((ValueError, InvalidTag)):
        unseal(key, b"team-dev/app-secrets", base64.b64encode(bytes(blob)).decode())


def test_every_value_gets_a_fresh_session_key(tmp_path):
    sealed = seal(cert_for(rsa_key(), tmp_path), NAME, NS, {"A": b"same", "B": b"same"})
    assert sealed.encrypted["A"] != sealed.encrypted["B"]


def test_document_shape_labels_and_annotations(tmp_path):
    cert = cert_for(rsa_key(), tmp_path)
    doc = yaml.safe_load(to_yaml(seal(cert, NAME, NS, {"Z": b"1", "A": b"2"}, "namespace-wide", "kubernetes.io/tls")))
    labels = {
        "app.kubernetes.io/name": NAME, "app.kubernetes.io/component": "secret",
        "app.kubernetes.io/part-of": "fks-trading", "app.kubernetes.io/managed-by": "kustomize",
    }
    assert doc["apiVersion"] == "bitnami.com/v1alpha1" and doc["kind"] == "SealedSecret"
    assert doc["metadata"] == {
        "name": NAME, "namespace": NS, "labels": labels,
        "annotations": {"sealedsecrets.bitnami.com/namespace-wide": "true", SEALED_WITH: cert.fingerprint,
                        digests.ANNOTATION: digests.record(label("namespace-wide", NS, NAME), doc["spec"]["encryptedData"])},
    }
    assert list(doc["spec"]["encryptedData"]) == ["A", "Z"]
    assert doc["spec"]["template"] == {
        "metadata": {"name": NAME, "namespace": NS, "labels": labels,
                     "annotations": {"sealedsecrets.bitnami.com/namespace-wide": "true"}},
        "type": "kubernetes.io/tls",
    }


def test_strict_seal_has_no_scope_annotation(tmp_path):
    cert = cert_for(rsa_key(), tmp_path)
    doc = yaml.safe_load(to_yaml(seal(cert, NAME, NS, {"A": b"1"})))
    assert set(doc["metadata"]["annotations"]) == {SEALED_WITH, digests.ANNOTATION}
    assert "annotations" not in doc["spec"]["template"]["metadata"]


@pytest.mark.parametrize(("name", "namespace"), [("Bad_Name", NS), ("../x", NS), ("x\n", NS), (NAME, "a.b"), (NAME, "UPPER")])
def test_invalid_names_are_refused(tmp_path, name, namespace):
    with pytest.raises(GitOpsError, match="not a valid"):
        seal(cert_for(rsa_key(), tmp_path), name, namespace, {"A": b"1"})


def test_merge_keeps_other_keys_byte_for_byte(tmp_path):
    key = rsa_key()
    cert = cert_for(key, tmp_path)
    original = "# hand-written note\n" + to_yaml(seal(cert, NAME, NS, {"A": b"1", "B": b"2", "D": b"4"}))
    merged = merge(original, seal(cert, NAME, NS, {"B": b"two", "C": b"3"}), "x.yaml")
    digest_line = [line.lstrip().startswith(digests.ANNOTATION) for line in original.splitlines()].index(True)
    before, after = original.splitlines(), merged.splitlines()
    assert json.loads(yaml.safe_load(merged)["metadata"]["annotations"][digests.ANNOTATION]).keys() == {"A", "B", "C", "D"}
    before[digest_line] = after[digest_line]  # the digests of B and C, updated
    b_line = next(i for i, line in enumerate(before) if line.lstrip().startswith("B: "))
    assert after[:b_line] == before[:b_line]  # note, metadata and A untouched
    assert after[b_line + 2 :] == before[b_line + 1 :]  # D and the template untouched
    encrypted = yaml.safe_load(merged)["spec"]["encryptedData"]
    assert list(encrypted) == ["A", "B", "C", "D"]
    assert after[b_line + 1].strip() == f"C: {encrypted['C']}"
    assert {k: unseal(key, b"team-dev/app-secrets", v) for k, v in encrypted.items()} == {
        "A": b"1", "B": b"two", "C": b"3", "D": b"4",
    }


def test_merge_refuses_mixing_certificates_scopes_and_places(tmp_path):
    cert = cert_for(rsa_key(), tmp_path)
    original = to_yaml(seal(cert, NAME, NS, {"A": b"1"}))
    other = cert_for(rsa_key(2048, 1), tmp_path, "other.pem")
    cases = {
        "not this certificate": seal(other, NAME, NS, {"B": b"2"}),
        "namespace is 'team-dev', not 'elsewhere'": seal(cert, NAME, "elsewhere", {"B": b"2"}),
        "scope is 'strict', not 'cluster-wide'": seal(cert, NAME, NS, {"B": b"2"}, "cluster-wide"),
        "name is 'app-secrets', not 'renamed'": seal(cert, "renamed", NS, {"B": b"2"}),
    }
    for fragment, new in cases.items():
        with pytest.raises(GitOpsError, match=fragment):
            merge(original, new, "x.yaml")
    unrecorded = original.replace(SEALED_WITH, "someone/else")
    with pytest.raises(GitOpsError, match="records no gitops.fks/sealed-with"):
        merge(unrecorded, seal(cert, NAME, NS, {"B": b"2"}), "x.yaml")


KUSTOMIZATION = """\
# dev overlay: this comment stays
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: team-dev
resources:
  - ../../base   # the base
images:
  - name: example.invalid/app
    newTag: "1.0"
"""


def test_add_resource_appends_one_line_and_keeps_the_rest():
    text = add_resource(KUSTOMIZATION, "sealed-secrets/app-secrets.yaml")
    lines = KUSTOMIZATION.splitlines()
    assert text.splitlines() == lines[:6] + ["  - sealed-secrets/app-secrets.yaml"] + lines[6:]
    assert add_resource(text, "sealed-secrets/app-secrets.yaml") is None


def test_add_resource_keeps_an_unindented_list_style():
    text = add_resource("resources:\n- a.yaml\n", "b.yaml")
    assert text == "resources:\n- a.yaml\n- b.yaml\n"
    assert add_resource("namespace: x\n", "b.yaml") == "namespace: x\nresources:\n  - b.yaml\n"


# --- the command line, against a real git repository -------------------------------------------

@pytest.fixture(scope="module")
def cli():
    spec = importlib.util.spec_from_file_location("seal_cli", ROOT / "tools" / "seal.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def repo(tmp_path):
    root = tmp_path / "repo"
    (root / "certs").mkdir(parents=True)
    (root / "overlays" / "dev").mkdir(parents=True)
    (root / "environments.yaml").write_text(ENVIRONMENTS)
    (root / "certs" / "dev.pem").write_bytes(certificate_pem(rsa_key()))
    (root / "overlays" / "dev" / "kustomization.yaml").write_text(KUSTOMIZATION)
    (root / ".gitignore").write_text("*.env\nlocal/\n")
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-qm", "init")
    return root


@pytest.fixture
def outside(tmp_path):
    folder = tmp_path / "outside"
    folder.mkdir()
    return folder


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file() and ".git" not in p.parts}


def sealed_doc(repo: Path) -> dict:
    return yaml.safe_load((repo / "overlays/dev/sealed-secrets/app-secrets.yaml").read_text())


def run(cli, repo: Path, *args: str) -> int:
    return cli.main(["--repo", str(repo), *args])


def test_cli_seals_into_the_overlay_and_lists_the_file(cli, repo, outside, capsys):
    env_file = outside / "app.env"
    env_file.write_text("B=bravo\nC=charlie\n")
    assert run(cli, repo, "--env", "dev", "--name", NAME, "--from-literal", "A=alpha", "--from-env-file", str(env_file)) == 0
    encrypted = sealed_doc(repo)["spec"]["encryptedData"]
    assert {k: unseal(rsa_key(), b"team-dev/app-secrets", v) for k, v in encrypted.items()} == {
        "A": b"alpha", "B": b"bravo", "C": b"charlie",
    }
    kustomization = yaml.safe_load((repo / "overlays/dev/kustomization.yaml").read_text())
    assert kustomization["resources"] == ["../../base", "sealed-secrets/app-secrets.yaml"]
    assert "sealed 3 key(s) of team-dev/app-secrets (strict)" in capsys.readouterr().err
    assert not [p for p in (repo / "overlays/dev/sealed-secrets").iterdir() if p.name.startswith(".")]


def test_cli_merge_keeps_keys_and_scope(cli, repo):
    assert run(cli, repo, "--env", "dev", "--name", NAME, "--scope", "namespace-wide", "--from-literal", "A=1") == 0
    first = sealed_doc(repo)["spec"]["encryptedData"]["A"]
    assert run(cli, repo, "--env", "dev", "--name", NAME, "--merge", "--from-literal", "B=2") == 0
    doc = sealed_doc(repo)
    assert doc["spec"]["encryptedData"]["A"] == first
    assert unseal(rsa_key(), b"team-dev", doc["spec"]["encryptedData"]["B"]) == b"2"
    assert doc["metadata"]["annotations"]["sealedsecrets.bitnami.com/namespace-wide"] == "true"


def test_cli_output_to_stdout_writes_nothing(cli, repo, capsys):
    before = snapshot(repo)
    assert run(cli, repo, "--env", "dev", "--name", NAME, "--type", "kubernetes.io/tls",
               "--from-literal", "tls.crt=x", "--output", "-") == 0
    doc = yaml.safe_load(capsys.readouterr().out)
    assert doc["spec"]["template"]["type"] == "kubernetes.io/tls"
    assert snapshot(repo) == before


def test_cli_accepts_an_ignored_file_inside_the_repo(cli, repo):
    (repo / "local").mkdir()
    (repo / "local" / "token").write_bytes(b"tok")
    assert run(cli, repo, "--env", "dev", "--name", NAME, "--from-file", f"token={repo / 'local' / 'token'}") == 0
    assert unseal(rsa_key(), b"team-dev/app-secrets", sealed_doc(repo)["spec"]["encryptedData"]["token"]) == b"tok"


def _refusal_cases(repo: Path, outside: Path) -> dict[str, tuple[list[str], str]]:
    (repo / "tracked.env").write_text("A=1\n")
    git(repo, "add", "-f", "tracked.env")
    (repo / "notes.txt").write_text("A=1\n")
    (outside / "broken.env").write_text("A=1\nBROKEN\n")
    pems = {
        "garbage.pem": b"-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n",
        "expired.pem": certificate_pem(rsa_key(), days=-1, valid_from_days_ago=10),
        "ec.pem": certificate_pem(ec_key()),
        "small.pem": certificate_pem(rsa_key(1024)),
    }
    for name, data in pems.items():
        (outside / name).write_bytes(data)
    literal = ["--from-literal", "A=1"]
    return {
        "tracked": (["--from-env-file", str(repo / "tracked.env")], "git tracks this file"),
        "not-ignored": (["--from-file", f"K={repo / 'notes.txt'}"], "not ignored by git"),
        "malformed": (["--from-env-file", str(outside / "broken.env")], "broken.env:2: malformed line"),
        "bad-key": (["--from-literal", "bad key=1"], "'bad key' is not a valid Secret key"),
        "duplicate": (["--from-literal", "A=1", "--from-literal", "A=2"], "duplicate key 'A'"),
        "garbage-cert": ([*literal, "--cert", str(outside / "garbage.pem")], "not a PEM certificate"),
        "expired-cert": ([*literal, "--cert", str(outside / "expired.pem")], "certificate expired on"),
        "ec-cert": ([*literal, "--cert", str(outside / "ec.pem")], "not RSA"),
        "small-cert": ([*literal, "--cert", str(outside / "small.pem")], "1024 bits; use at least 2048"),
        "unknown-env": ([*literal, "--env", "qa"], "unknown environment 'qa'"),
        "merge-nothing": ([*literal, "--merge"], "does not exist; drop --merge"),
        "no-env": ([*literal, "--env", "dev", "--env", "dev"], "exactly one --env"),
    }


CASES = ["tracked", "not-ignored", "malformed", "bad-key", "duplicate", "garbage-cert", "expired-cert",
         "ec-cert", "small-cert", "unknown-env", "merge-nothing", "no-env"]


@pytest.mark.parametrize("case", CASES)
def test_cli_refusals_exit_2_with_one_line_and_write_nothing(cli, repo, outside, capsys, case):
    args, fragment = _refusal_cases(repo, outside)[case]
    env = [] if "--env" in args else ["--env", "dev"]
    before = snapshot(repo)
    assert run(cli, repo, *env, "--name", NAME, *args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and fragment in err, err
    assert snapshot(repo) == before


def test_cli_usage_error_and_bug_exit_codes(cli, repo, capsys, monkeypatch):
    assert cli.main(["--repo", str(repo), "--no-such-option"]) == 2

    def boom(*args, **kwargs):
        raise RuntimeError("unexpected")

    monkeypatch.setattr(cli, "seal", boom)
    assert run(cli, repo, "--env", "dev", "--name", NAME, "--from-literal", "A=1") == 3
    err = capsys.readouterr().err
    assert "Traceback" in err and "a bug" in err


def test_no_plaintext_on_disk_after_a_run(cli, repo, outside, monkeypatch):
    started = time.time() - 1
    tokens = [f"PLAINTEXT-{secrets.token_hex(12)}".encode() for _ in range(3)]
    env_file = outside / "in.env"
    env_file.write_bytes(b"B=" + tokens[1] + b"\n")
    monkeypatch.setattr(sys, "stdin", types.SimpleNamespace(buffer=io.BytesIO(tokens[2])))
    assert run(cli, repo, "--env", "dev", "--name", NAME, "--from-literal", f"A={tokens[0].decode()}",
               "--from-env-file", str(env_file)) == 0
    assert run(cli, repo, "--env", "dev", "--name", NAME, "--merge", "--from-file", "C=-") == 0
    needles = tokens + [base64.b64encode(t) for t in tokens]
    holding = [p for p in _files(repo, 0) + _files(Path(tempfile.gettempdir()), started)
               if any(n in _read(p) for n in needles)]
    assert holding == [env_file]  # the input itself, which the search must find: it does look there
    assert len(sealed_doc(repo)["spec"]["encryptedData"]) == 3


def _files(root: Path, since: float) -> list[Path]:
    found = []
    for folder, _, names in os.walk(root, onerror=lambda e: None):
        for name in names:
            path = Path(folder, name)
            try:
                if path.is_file() and not path.is_symlink() and path.stat().st_mtime >= since:
                    found.append(path)
            except OSError:
                continue
    return found


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def _failing_second_write(cli, monkeypatch) -> list[Path]:
    """atomic.write as seal.py sees it, refusing its second call (the kustomization) as a full disk would."""
    real, calls = cli.atomic.write, []

    def write(path, data):
        calls.append(Path(path))
        if len(calls) == 2:
            raise GitOpsError(f"{path}: cannot write: No space left on device")
        real(path, data)

    monkeypatch.setattr(cli, "atomic", types.SimpleNamespace(write=write))
    return calls


def test_a_failed_kustomization_write_removes_the_new_sealed_file(cli, repo, monkeypatch, capsys):
    before = snapshot(repo)
    calls = _failing_second_write(cli, monkeypatch)
    assert run(cli, repo, "--env", "dev", "--name", NAME, "--from-literal", "A=1") == 2
    assert calls == [repo / "overlays/dev/sealed-secrets/app-secrets.yaml", repo / "overlays/dev/kustomization.yaml"]
    assert "kustomization.yaml: cannot write: No space left on device" in capsys.readouterr().err
    assert snapshot(repo) == before
    assert not (repo / "overlays/dev/sealed-secrets").exists()


def test_a_failed_kustomization_write_restores_the_previous_sealed_file(cli, repo, monkeypatch):
    assert run(cli, repo, "--env", "dev", "--name", NAME, "--from-literal", "A=1") == 0
    (repo / "overlays/dev/kustomization.yaml").write_text(KUSTOMIZATION)  # sealed, but no longer listed
    before = snapshot(repo)
    calls = _failing_second_write(cli, monkeypatch)
    assert run(cli, repo, "--env", "dev", "--name", NAME, "--merge", "--from-literal", "B=2") == 2
    assert len(calls) == 3  # sealed file, kustomization (fails), sealed file put back
    assert snapshot(repo) == before


def test_merge_and_add_resource_refuse_a_key_given_twice(tmp_path):
    cert = cert_for(rsa_key(), tmp_path)
    sealed = seal(cert, NAME, NS, {"A": b"1"})
    original = to_yaml(sealed)
    doubled = original.replace("kind: SealedSecret\n", "kind: SealedSecret\nkind: SealedSecret\n", 1)
    line = doubled.splitlines().index("kind: SealedSecret") + 2
    with pytest.raises(GitOpsError) as err:
        merge(doubled, sealed, "overlays/dev/sealed-secrets/app.yaml")
    assert str(err.value) == f"overlays/dev/sealed-secrets/app.yaml:{line}:1: duplicate key 'kind' (first at line {line - 1}); remove one"
    with pytest.raises(GitOpsError) as err:
        add_resource("resources:\n  - a.yaml\nresources:\n  - b.yaml\n", "c.yaml", "overlays/dev/kustomization.yaml")
    assert str(err.value) == "overlays/dev/kustomization.yaml:3:1: duplicate key 'resources' (first at line 1); remove one"
    assert "C: " not in merge(original, seal(cert, NAME, NS, {"B": b"2"}), "x.yaml")  # unique keys merge as before
    assert add_resource("resources:\n  - a.yaml\n", "c.yaml") == "resources:\n  - a.yaml\n  - c.yaml\n"


# --- refusals: dropping keys, scopes, the template --------------------------------------------------

def test_cli_refuses_to_drop_other_keys_without_merge_or_replace(cli, repo, capsys):
    assert run(cli, repo, "--env", "dev", "--name", NAME, "--from-literal", "A=1", "--from-literal", "B=2") == 0
    before = snapshot(repo)
    assert run(cli, repo, "--env", "dev", "--name", NAME, "--from-literal", "A=3") == 2
    err = capsys.readouterr().err
    assert "overlays/dev/sealed-secrets/app-secrets.yaml holds B, which this seal would drop; add --merge" in err
    assert snapshot(repo) == before
    assert run(cli, repo, "--env", "dev", "--name", NAME, "--from-literal", "A=3", "--replace") == 0
    assert list(sealed_doc(repo)["spec"]["encryptedData"]) == ["A"]
    assert run(cli, repo, "--env", "dev", "--name", NAME, "--from-literal", "A=4", "--merge", "--replace") == 2


def test_cli_refuses_a_scope_environments_yaml_does_not_allow(cli, repo, capsys):
    (repo / "environments.yaml").write_text(ENVIRONMENTS + "    scopes: [strict]\n")
    assert run(cli, repo, "--env", "dev", "--name", NAME, "--from-literal", "A=1", "--scope", "cluster-wide") == 2
    assert "--scope cluster-wide: environments.yaml allows only strict in dev" in capsys.readouterr().err
    assert run(cli, repo, "--env", "dev", "--name", NAME, "--from-literal", "A=1", "--scope", "strict") == 0


def test_cli_refuses_a_secret_or_key_the_template_does_not_declare(cli, repo, capsys):
    (repo / "secrets.template.yaml").write_text(f"secrets:\n  - name: {NAME}\n    keys: {{A: the first}}\n")
    assert run(cli, repo, "--env", "dev", "--name", "other", "--from-literal", "A=1") == 2
    assert "--name 'other' is not in secrets.template.yaml" in capsys.readouterr().err
    assert run(cli, repo, "--env", "dev", "--name", NAME, "--from-literal", "A=1", "--from-literal", "Z=2") == 2
    assert "key(s) Z of 'app-secrets' are not in secrets.template.yaml" in capsys.readouterr().err
    assert run(cli, repo, "--env", "dev", "--name", NAME, "--from-literal", "A=1") == 0
