import base64
import importlib.util
import shutil
import sys
from pathlib import Path

import pytest
import yaml

from fks_gitops.cli import exit_code
from fks_gitops.seal import certs
from fks_gitops.problem import Location, ObjectRef, errors
from fks_gitops.seal.codec import SEALED_WITH, seal, to_yaml
from fks_gitops.errors import GitOpsError
from fks_gitops.repo_git import Git
from fks_gitops.seal.plaintext import MAX_SCAN, check_plaintext
from fks_gitops.seal.verify import verify
from conftest import git

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "seal"))
from sealkeys import ENVIRONMENTS, certificate_pem, rsa_key  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
NS, NAME = "team-dev", "app-secrets"
PRIVATE_KEY_MARKER = "-----BEGIN RSA " + "PRIVATE KEY-----"  # split so this file holds no marker itself


@pytest.fixture
def repo(tmp_path):
    root = tmp_path / "repo"
    (root / "certs").mkdir(parents=True)
    (root / "environments.yaml").write_text(ENVIRONMENTS)
    (root / "certs" / "dev.pem").write_bytes(certificate_pem(rsa_key()))
    (root / ".gitignore").write_text("*.env\nlocal/\n")
    shutil.copy(ROOT / ".secrets.baseline", root)  # detect-secrets' plugins and filters
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-qm", "init")
    return root


def cert(repo: Path) -> certs.Certificate:
    return certs.load(repo / "certs" / "dev.pem")


def sealed(c: certs.Certificate, keys=("A",), scope="strict", name=NAME, namespace=NS) -> dict:
    return seal(c, name, namespace, {k: b"x" for k in keys}, scope).document()


def deployment(*keys: str) -> dict:
    env = [{"name": k, "valueFrom": {"secretKeyRef": {"name": NAME, "key": k}}} for k in keys]
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "app", "namespace": NS},
        "spec": {"selector": {"matchLabels": {"app": "a"}}, "template": {
            "metadata": {"labels": {"app": "a"}},
            "spec": {"containers": [{"name": "app", "image": "example.invalid/app:1", "env": env}]},
        }},
    }


def found(problems) -> list[tuple[str, str, str]]:
    return [(p.rule, p.level, p.message) for p in problems]


def test_a_sealed_and_covered_environment_has_no_problems(repo):
    assert verify(repo, rendered={"dev": [deployment("A"), sealed(cert(repo))]}) == []


def test_another_certificate_is_reported(repo):
    other = certs.parse(certificate_pem(rsa_key(2048, 1)), "other.pem")
    [problem] = verify(repo, rendered={"dev": [sealed(other)]})
    # validate (or verify's own render) turns object and pointer into the sealed file's line.
    assert (problem.object, problem.pointer, problem.environments) == (
        ObjectRef("SealedSecret", NAME, NS), "/metadata/annotations/gitops.fks~1sealed-with", ("dev",))
    assert problem.rule == "secrets.certificate" and "not certs/dev.pem" in problem.message


def test_a_seal_without_fingerprint_is_reported(repo):
    doc = sealed(cert(repo))
    del doc["metadata"]["annotations"][SEALED_WITH]
    assert found(verify(repo, rendered={"dev": [doc]})) == [(
        "secrets.certificate", "error",
        f"no {SEALED_WITH} annotation, so its certificate is unknown; re-seal with tools/seal.py --env dev --name {NAME}",
    )]


def test_rsa_blocks_of_another_key_size_are_reported(repo):
    doc = sealed(cert(repo), keys=("A", "B", "C"))
    doc["spec"]["encryptedData"]["B"] = base64.b64encode((384).to_bytes(2, "big") + bytes(384 + 16)).decode()
    doc["spec"]["encryptedData"]["C"] = "not base64!"
    problems = [p for p in verify(repo, rendered={"dev": [doc]}) if p.rule == "secrets.certificate"]  # not the digests
    assert [p.pointer for p in problems] == ["/spec/encryptedData/B", "/spec/encryptedData/C"]
    messages = [p.message for p in problems]
    assert messages == [
        "encryptedData['B'] has a 3072-bit RSA block; certs/dev.pem is 2048-bit; "
        f"re-seal with tools/seal.py --env dev --name {NAME}",
        "encryptedData['C'] is not a sealed value (base64 of length, RSA block, AES-GCM)",
    ]


@pytest.mark.parametrize(
    ("scope", "name", "namespace", "expected"),
    [
        ("strict", NAME, NS, None),
        ("strict", "p-" + NAME, NS, "strict seal for team-dev/app-secrets renders as team-dev/p-app-secrets"),
        ("strict", NAME, "elsewhere", "strict seal for team-dev/app-secrets renders as elsewhere/app-secrets"),
        ("namespace-wide", "p-" + NAME, NS, None),
        ("namespace-wide", NAME, "elsewhere", "namespace-wide seal for 'team-dev' renders in 'elsewhere'"),
        ("cluster-wide", "p-" + NAME, "elsewhere", None),
    ],
)
def test_scope_must_fit_where_the_seal_renders(repo, scope, name, namespace, expected):
    doc = sealed(cert(repo), scope=scope)
    doc["metadata"].update(name=name, namespace=namespace)  # what a namePrefix or namespace transformer does
    problems = [p for p in verify(repo, rendered={"dev": [doc]}) if p.rule == "secrets.scope"]
    assert [p.message.split(" and will")[0] for p in problems] == ([expected] if expected else [])


def test_a_key_nobody_sealed_is_reported_through_the_reference_check(repo):
    docs = [deployment("A", "B"), sealed(cert(repo), keys=("A",))]
    assert [p.rule for p in verify(repo, rendered={"dev": docs})] == ["references.secret-key"]


def test_an_expired_environment_certificate_is_a_warning(repo):
    key = rsa_key()
    (repo / "certs" / "dev.pem").write_bytes(certificate_pem(key, days=-1, valid_from_days_ago=10))
    doc = seal(certs.load(repo / "certs/dev.pem", check_expiry=False), NAME, NS, {"A": b"x"}).document()
    problems = verify(repo, rendered={"dev": [doc]})
    assert [(p.rule, p.level, p.location) for p in problems] == [("secrets.certificate", "warning", Location("certs/dev.pem"))]
    assert problems[0].message.startswith("expired on ")
    assert errors(problems) == []


def test_a_missing_environment_certificate_is_an_error(repo):
    doc = sealed(cert(repo))
    (repo / "certs" / "dev.pem").unlink()
    assert [(p.location, p.rule) for p in verify(repo, rendered={"dev": [doc]})] == [(Location("certs/dev.pem"), "secrets.certificate")]


def test_plaintext_in_files_git_would_commit(repo):
    files = {
        "manifests/secret.yaml": "kind: ConfigMap\ndata: {a: b}\n---\napiVersion: v1\nkind: Secret\n"
                                 "metadata: {name: leaked}\nstringData:\n  password: value\n",
        "manifests/empty.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: shape}\ndata: {a: ''}\n",
        "manifests/list.json": '{"kind": "List", "items": [{"kind": "Secret", "metadata": {"name": "j"}, "data": {"a": "eA=="}}]}',
        "docs/notes.txt": f"some text\n\n{PRIVATE_KEY_MARKER}\nAAAA\n",
        "app.env": "A=1\nB=\nC=''\n# D=4\n",
        ".env.example": "A=\n",
        "loose.pem": f"{PRIVATE_KEY_MARKER}\n",  # not tracked yet, not ignored: one `git add` away
        "local/real.env": "A=1\n",  # ignored: the right place for local inputs
        "binary.bin": "\0" + PRIVATE_KEY_MARKER,
    }
    for rel, text in files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    git(repo, "add", "-f", "manifests", "docs", "app.env", ".env.example", "binary.bin")
    problems = check_plaintext(repo, Git.open(repo).files())
    assert [(p.location, p.rule) for p in problems] == [
        (Location("app.env", 1), "secrets.plaintext"),
        (Location("docs/notes.txt", 3), "secrets.plaintext"),
        (Location("loose.pem", 1), "secrets.plaintext"),
        (Location("manifests/list.json", 1), "secrets.plaintext"),
        (Location("manifests/secret.yaml", 7), "secrets.plaintext"),  # the stringData line
    ]
    assert problems[-1].message.startswith("Secret 'leaked' holds plaintext stringData")


def test_large_files_are_still_searched_for_private_keys_but_not_parsed(repo):
    filler = "x" * 99 + "\n"
    big = filler * ((MAX_SCAN // len(filler)) + 1)
    (repo / "dump.txt").write_text(big + PRIVATE_KEY_MARKER + "\n")
    (repo / "big.yaml").write_text(big.replace("x", "#") + "apiVersion: v1\nkind: Secret\n"
                                   "metadata: {name: leaked}\nstringData: {password: value}\n")
    (repo / "big.env").write_text(big.replace("x", "#") + "A=1\n")
    git(repo, "add", "-f", "dump.txt", "big.yaml", "big.env")
    assert all((repo / f).stat().st_size > MAX_SCAN for f in ("dump.txt", "big.yaml", "big.env"))
    line = big.count("\n") + 1
    assert [(p.location, p.message) for p in check_plaintext(repo, Git.open(repo).files())] == [
        (Location("dump.txt", line), "private key in a tracked file; remove it and rotate the key"),
    ]


def test_a_folder_that_is_not_a_git_checkout_is_a_one_line_input_error(tmp_path, monkeypatch, cli, capsys):
    export = tmp_path / "export"  # what `git archive` unpacks: the files, no .git
    export.mkdir()
    (export / "environments.yaml").write_text(ENVIRONMENTS)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))  # never find a repository above it
    with pytest.raises(GitOpsError, match="is not the top of a git repository") as caught:
        Git.open(export)
    assert exit_code(caught.value) == 2
    assert cli.main(["--repo", str(export), "--verify"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "is not the top of a git repository" in err, err


# --- end to end, with the real kustomize and the command line -----------------------------------

@pytest.fixture
def cli():
    spec = importlib.util.spec_from_file_location("seal_cli", ROOT / "tools" / "seal.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_verify_renders_and_the_cli_exits_by_result(repo, cli, capsys):
    overlay = repo / "overlays" / "dev"
    (overlay / "sealed-secrets").mkdir(parents=True)
    (overlay / "deployment.yaml").write_text(yaml.safe_dump(deployment("A")))
    (overlay / "sealed-secrets" / f"{NAME}.yaml").write_text(to_yaml(seal(cert(repo), NAME, NS, {"A": b"x"})))
    kustomization = f"namespace: {NS}\nresources:\n  - deployment.yaml\n  - sealed-secrets/{NAME}.yaml\n"
    (overlay / "kustomization.yaml").write_text(kustomization)
    assert verify(repo) == []
    assert cli.main(["--repo", str(repo), "--verify"]) == 0
    (overlay / "kustomization.yaml").write_text("namePrefix: p-\n" + kustomization)
    capsys.readouterr()
    assert cli.main(["--repo", str(repo), "--verify", "--env", "dev"]) == 1
    out = capsys.readouterr().out
    assert (f"overlays/dev/sealed-secrets/{NAME}.yaml:" in out.split(": [error]")[0]
            and "[error] SealedSecret/p-app-secrets: strict seal for team-dev/app-secrets" in out), out
    assert cli.main(["--repo", str(repo), "--verify", "--name", "x"]) == 2
    assert cli.main(["--repo", str(repo), "--verify", "--env", "qa"]) == 2


# --- the repository itself ------------------------------------------------------------------------

def test_the_repository_seals_every_templated_secret_in_every_environment():
    template = yaml.safe_load((ROOT / "secrets.template.yaml").read_text())["secrets"]
    config_envs = [e["name"] for e in yaml.safe_load((ROOT / "environments.yaml").read_text())["environments"]]
    for env in config_envs:
        for secret in template:
            doc = yaml.safe_load((ROOT / "overlays" / env / "sealed-secrets" / f"{secret['name']}.yaml").read_text())
            assert sorted(doc["spec"]["encryptedData"]) == sorted(secret["keys"]), (env, secret["name"])


def test_the_repository_verifies_clean():
    problems = verify(ROOT)
    assert errors(problems) == [], "\n".join(map(str, problems))
