import pytest
import yaml

from fks_gitops import argocd, environments, render
from fks_gitops.validate import RepoContext


def _check(repo, rendered=None):
    return argocd.check(RepoContext(environments.load(repo), rendered or {}))


def _edit(path, change):
    docs = list(yaml.safe_load_all(path.read_text()))
    change(docs)
    path.write_text(yaml.safe_dump_all(docs))


def test_real_repository_is_consistent(repo, rendered):
    assert _check(repo, rendered) == []


def test_every_application_path_renders(repo):
    apps = [m for m in argocd.load(repo) if m.doc["kind"] == "Application"]
    assert {m.doc["spec"]["source"]["path"] for m in apps} >= {"overlays/dev", "overlays/staging", "overlays/prod", "base/cluster"}
    for app in apps:
        path = app.doc["spec"]["source"]["path"]
        if (repo / path / "kustomization.yaml").exists():
            assert render.render(repo / path, path), path


def test_every_application_names_the_project_and_syncs_safely(repo):
    for m in argocd.load(repo):
        if m.doc["kind"] != "Application":
            continue
        spec = m.doc["spec"]
        assert spec["project"] == "fks-trading"
        assert spec["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}
        assert spec["syncPolicy"]["retry"]["backoff"]["factor"] == 2


def test_wrong_destination_namespace(repo_copy):
    _edit(repo_copy / "argocd/apps/prod.yaml", lambda d: d[0]["spec"]["destination"].update(namespace="fks-trading-staging"))
    problems = _check(repo_copy)
    assert any(p.rule == "argocd.destination" and "'fks-trading-staging' is not prod's namespace 'fks-trading'" in p.message for p in problems)


def test_project_must_allow_source(repo_copy):
    _edit(repo_copy / "argocd/apps/dev.yaml", lambda d: d[0]["spec"]["source"].update(repoURL="https://example.com/other.git"))
    rules = {p.rule for p in _check(repo_copy)}
    assert {"argocd.project-source", "argocd.source"} <= rules


def test_project_must_allow_destination_and_cluster_kinds(repo_copy):
    def narrow(docs):
        docs[0]["spec"]["destinations"] = [d for d in docs[0]["spec"]["destinations"] if d["namespace"] != "fks-trading"]
        docs[0]["spec"]["clusterResourceWhitelist"] = [{"group": "", "kind": "Namespace"}]
    _edit(repo_copy / "argocd/root.yaml", narrow)
    problems = _check(repo_copy)
    assert any(p.rule == "argocd.project-destination" and "fks-trading-prod" in p.where for p in problems)
    assert any(p.rule == "argocd.project-cluster-resource" and "ClusterIssuer" in p.message for p in problems)


def test_each_environment_needs_exactly_one_application(repo_copy):
    (repo_copy / "argocd/apps/staging.yaml").unlink()
    [problem] = [p for p in _check(repo_copy) if p.rule == "argocd.environment"]
    assert "'staging' has 0 Applications" in problem.message


def test_missing_path_and_missing_finalizer(repo_copy):
    def change(docs):
        docs[0]["spec"]["source"]["path"] = "base/nowhere"
        docs[0]["metadata"].pop("finalizers")
    _edit(repo_copy / "argocd/apps/cluster.yaml", change)
    problems = _check(repo_copy)
    assert any(p.rule == "argocd.path" and "'base/nowhere' does not exist" in p.message for p in problems)
    assert any(p.rule == "argocd.finalizer" for p in problems)


@pytest.mark.parametrize("field", ["prune", "selfHeal"])
def test_automated_sync_needs_prune_and_self_heal(repo_copy, field):
    _edit(repo_copy / "argocd/apps/dev.yaml", lambda d: d[0]["spec"]["syncPolicy"]["automated"].pop(field))
    assert any(p.rule == "argocd.sync" for p in _check(repo_copy))
