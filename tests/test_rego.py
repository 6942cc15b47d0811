"""fks_gitops/rego.py: OPA itself, embedded (opa-golib-python-bindings, installed on Python 3.11
with --ignore-requires-python): it loads, names its version right, and runs one query an input."""
from __future__ import annotations

import re
from pathlib import Path

import opa_bindings

from fks_gitops import rego

POLICY = Path(__file__).resolve().parents[1] / "policy"


def test_the_bindings_load_and_evaluate():
    engine = rego.engine_for({"t.rego": "package t\n\nallow if input.user == \"alice\"\n"})
    assert engine.eval_query("x := data.t.allow", {"user": "alice"}) == [{"x": True}]


def test_the_engine_named_is_the_one_embedded():
    library = (Path(opa_bindings.__file__).parent / "libopabridge.so").read_bytes()
    embedded = re.search(rb"\tgithub\.com/open-policy-agent/opa\t(v[\d.]+)\t", library)[1].decode()
    assert rego.ENGINE == f"OPA {embedded}" == "OPA v1.20.2"


def test_every_package_is_evaluated_in_one_query(monkeypatch):
    bundle = rego.load(POLICY)
    queries = []
    evaluate = bundle.engine.eval_query
    monkeypatch.setattr(bundle.engine, "eval_query", lambda q, i=None, **kw: queries.append(q) or evaluate(q, i, **kw))
    doc = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "ns"}}
    rego.evaluate(bundle, [{"path": "ConfigMap/ns/c", "contents": doc}], {"fks": {"environment": {"name": "dev", "namespace": "ns"}}})
    assert len(queries) == 1
    assert all(f"data.{package}." in queries[0] for package, rules in bundle.rules.items() if rules)


def test_a_policy_error_names_its_file_and_line():
    try:
        rego.engine_for({"p/x.rego": "package x\n\ndeny contains msg if {\n"})
    except rego.PolicyError as error:
        assert (error.location.file, error.location.line) == ("p/x.rego", 4)  # where the file ends unclosed
    else:
        raise AssertionError("no PolicyError")
