"""object_size: what the API server refuses for its size, from the rendered objects."""
import base64

from fks_gitops import validate
from fks_gitops.checks import object_size
from fks_gitops.checks.context import EnvContext

MIB = 1 << 20


def configmap(size: int, binary: bool = False) -> dict:
    field, value = ("binaryData", base64.b64encode(b"x" * size).decode()) if binary else ("data", "x" * size)
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "big"}, field: {"k": value}}


def found(config, docs):
    return [(p.rule, p.object.kind, p.pointer, p.message) for p in object_size.run(EnvContext(config, config.get("dev"), docs))]


def test_configmap_data_over_1_mib_is_an_error(config):
    [(rule, kind, pointer, message)] = found(config, [configmap(MIB + 1, binary=True)])
    assert (rule, kind, pointer) == ("api.object-size", "ConfigMap", "/binaryData")
    assert message.startswith("ConfigMap data is 1.00 MiB, over the API server's 1 MiB limit")


def test_configmap_data_up_to_1_mib_is_allowed(config):
    assert found(config, [configmap(MIB)]) == []


def test_secret_data_counts_decoded_bytes(config):
    secret = {"kind": "Secret", "metadata": {"name": "s"}, "data": {"k": base64.b64encode(b"x" * (MIB - 10)).decode()}}
    assert found(config, [secret]) == []  # its base64 is 1.33 MiB, the API server counts the bytes
    secret["stringData"] = {"more": "y" * 20}
    assert [m[2] for m in found(config, [secret])] == ["/data"]


def test_any_object_over_1_5_mib_is_an_error(config):
    doc = {"apiVersion": "example.com/v1", "kind": "Dashboard", "metadata": {"name": "d"}, "spec": {"json": "x" * (3 * MIB // 2)}}
    [(_, kind, pointer, message)] = found(config, [doc])
    assert kind == "Dashboard" and pointer is None and "over the 1.5 MiB the API server accepts" in message
    doc["spec"]["json"] = "x" * MIB
    assert found(config, [doc]) == []


def test_the_problem_is_at_the_base_file(repo_copy):
    (repo_copy / "base/execution/big.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n  k: " + "x" * (MIB + 1) + "\n")
    kustomization = repo_copy / "base/execution/kustomization.yaml"
    kustomization.write_text(kustomization.read_text().replace("resources:\n", "resources:\n  - big.yaml\n", 1))
    problems = validate.validate(repo_copy, ["dev"], only=("object-size",)).problems
    assert [(str(p.location), p.rule) for p in problems] == [("base/execution/big.yaml:5:1", "api.object-size")]
