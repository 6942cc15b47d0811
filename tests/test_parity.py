import copy

from conftest import find

from fks_gitops.checks import parity
from fks_gitops.environments import ParityRule
from fks_gitops.problem import ObjectRef
from fks_gitops.checks.context import RepoContext


def _compare(config, a, b):
    dev, prod = config.get("dev"), config.get("prod")
    return parity.compare("dev", a, dev.namespace, "prod", b, prod.namespace, config.parity)


def test_real_environments_differ_only_where_allowed(config, rendered):
    assert parity.check(RepoContext(config, rendered)) == []


def test_drift_names_object_path_and_fix(config, rendered):
    prod = copy.deepcopy(rendered["prod"])
    find(prod, "Deployment", "fks-execution")["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] = 5
    [problem] = _compare(config, rendered["dev"], prod)
    assert (problem.rule, problem.level) == ("parity.drift", "error")
    assert problem.object == ObjectRef("Deployment", "fks-execution", "fks-trading")
    assert problem.pointer == "/spec/template/spec/terminationGracePeriodSeconds"
    assert problem.environments == ("prod",)  # the differing one: validate maps the pointer in its render
    assert problem.message == (
        "spec.template.spec.terminationGracePeriodSeconds is 5 here but 60 in dev; "
        "make the overlays agree, or allow the path under parity in environments.yaml")


def test_a_missing_field_is_absent_and_values_are_json():
    a = [{"kind": "X", "metadata": {"name": "x"}, "spec": {"image": "a:1", "list": [{"k": "v"}], "null": None}}]
    b = [{"kind": "X", "metadata": {"name": "x"}, "spec": {"list": [{"k": "w"}], "null": None, "extra": True}}]
    found = [(p.pointer, p.message.split(";")[0]) for p in parity.compare("dev", a, "a", "prod", b, "b", ())]
    assert found == [
        ("/spec/extra", "spec.extra is true here but absent in dev"),
        ("/spec/image", 'spec.image is absent here but "a:1" in dev'),
        ("/spec/list/0/k", 'spec.list[0].k is "w" here but "v" in dev'),
    ]


def test_allowed_path_is_not_reported(config, rendered):
    prod = copy.deepcopy(rendered["prod"])
    find(prod, "HorizontalPodAutoscaler", "fks-execution")["spec"]["maxReplicas"] = 99
    assert _compare(config, rendered["dev"], prod) == []


def test_object_in_one_environment_only(config, rendered):
    prod = copy.deepcopy(rendered["prod"])
    extra = copy.deepcopy(find(prod, "Service", "grafana"))
    extra["metadata"]["name"] = "grafana-extra"
    prod.append(extra)
    [problem] = _compare(config, rendered["dev"], prod)
    assert (problem.rule, problem.object, problem.pointer, problem.environments) == (
        "parity.object", ObjectRef("Service", "grafana-extra", "fks-trading"), None, ("prod",))
    assert problem.message == (
        "renders in prod but not in dev; add it to both overlays or allow it under parity in environments.yaml")


def test_object_only_in_the_reference_names_the_reference():
    a = [{"kind": "X", "metadata": {"name": "x", "namespace": "a"}}]
    [problem] = parity.compare("dev", a, "a", "prod", [], "b", ())
    assert (problem.object, problem.environments) == (ObjectRef("X", "x", "a"), ("dev",))
    assert problem.message.startswith("renders in dev but not in prod;")


def test_generated_name_hashes_and_namespaces_are_normalised():
    a = [{"kind": "ConfigMap", "metadata": {"name": "cfg-5h7bk2mm9t", "namespace": "a"}},
         {"kind": "Pod", "metadata": {"name": "p", "namespace": "a"}, "spec": {"cm": "cfg-5h7bk2mm9t", "namespace": "a"}}]
    b = [{"kind": "ConfigMap", "metadata": {"name": "cfg-9c6ft4b2dk", "namespace": "b"}},
         {"kind": "Pod", "metadata": {"name": "p", "namespace": "b"}, "spec": {"cm": "cfg-9c6ft4b2dk", "namespace": "b"}}]
    assert parity.compare("a", a, "a", "b", b, "b", ()) == []


def test_a_label_equal_to_the_namespace_is_not_a_namespace():
    # prod's namespace is "fks-trading", which is also every object's part-of label.
    a = [{"kind": "X", "metadata": {"name": "x", "namespace": "fks-trading-dev", "labels": {"part-of": "fks-trading"}}}]
    b = [{"kind": "X", "metadata": {"name": "x", "namespace": "fks-trading", "labels": {"part-of": "fks-trading"}}}]
    assert parity.compare("dev", a, "fks-trading-dev", "prod", b, "fks-trading", ()) == []


def test_path_patterns():
    assert parity.split_path(r"metadata.annotations.cert-manager\.io/cluster-issuer") == [
        "metadata", "annotations", "cert-manager.io/cluster-issuer"]
    rules = [("Ingress", "*", parity.split_path("spec.tls[*].hosts"))]
    assert parity._allowed(rules, "Ingress", "g", ["spec", "tls", "[0]", "hosts", "[0]"])
    assert not parity._allowed(rules, "Ingress", "g", ["spec", "tls", "[0]", "secretName"])
    assert not parity._allowed(rules, "Service", "g", ["spec", "tls", "[0]", "hosts"])


def test_wildcard_rule_covers_a_whole_object():
    a = [{"kind": "X", "metadata": {"name": "only-here"}}]
    allow = (ParityRule("X", "only-here", ""),)
    assert parity.compare("a", a, "a", "b", [], "b", allow) == []
