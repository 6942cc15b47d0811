"""diff/redact.py through compare: secret values never reach a diff, only whether they changed."""
import copy

from conftest import find
from fks_gitops.diff import redact
from fks_gitops.diff.compare import compare


def test_a_changed_sealed_value_shows_as_changed_without_its_ciphertext(rendered):
    prod = rendered["prod"]
    after = copy.deepcopy(prod)
    sealed = find(after, "SealedSecret", "fks-execution-secrets")["spec"]["encryptedData"]
    old_cipher, new_cipher = sealed["WEBHOOK_SECRET"], "AgNEWCIPHERTEXT" + "x" * 40
    sealed["WEBHOOK_SECRET"] = new_cipher
    [change] = compare(prod, after, "prod")
    assert change.fields == ("spec.encryptedData.WEBHOOK_SECRET",) and change.notes == ()
    assert "-    WEBHOOK_SECRET: <redacted>\n+    WEBHOOK_SECRET: <redacted, changed>\n" in change.diff
    assert "    EXCHANGE_API_KEY: <redacted>\n" in change.diff  # an unchanged key: context, its name only
    every_cipher = {*find(prod, "SealedSecret", "fks-execution-secrets")["spec"]["encryptedData"].values(), new_cipher}
    assert old_cipher in every_cipher
    assert not [c for c in every_cipher if c[:12] in change.diff]


def test_an_added_secret_shows_key_names_only():
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
              "data": {"token": "c2VjcmV0"}, "stringData": {"password": "hunter2"}}
    [change] = compare([], [secret], "dev")
    assert "c2VjcmV0" not in change.diff and "hunter2" not in change.diff
    assert "+  token: <redacted, added>\n" in change.diff and "+  password: <redacted, added>\n" in change.diff


def test_a_sealed_secret_template_is_redacted_too():
    def sealed(value):
        return {"kind": "SealedSecret", "metadata": {"name": "s"},
                "spec": {"encryptedData": {"k": "AgAA"}, "template": {"data": {"config": value}}}}

    old, new = redact.redact(sealed("user=a"), sealed("user=b"))
    assert old["spec"]["template"]["data"] == {"config": redact.REDACTED}
    assert new["spec"]["template"]["data"] == {"config": redact.CHANGED}
    assert new["spec"]["encryptedData"] == {"k": redact.REDACTED}


def test_a_removed_key_and_a_malformed_value():
    old, new = redact.redact({"kind": "Secret", "data": {"a": "1", "b": "2"}}, {"kind": "Secret", "data": {"a": "1"}})
    assert (old["data"], new["data"]) == ({"a": redact.REDACTED, "b": redact.REDACTED}, {"a": redact.REDACTED})
    old, new = redact.redact({"kind": "Secret", "data": "x"}, {"kind": "Secret", "data": "y"})
    assert (old["data"], new["data"]) == (redact.REDACTED, redact.CHANGED)


def test_other_kinds_are_left_alone():
    doc = {"kind": "ConfigMap", "data": {"a": "1"}}
    assert redact.redact(doc, doc) == (doc, doc) and not redact.is_secret(doc)
