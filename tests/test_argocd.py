import pytest
import yaml

from fks_gitops import environments, render
from fks_gitops.checks import argocd
from fks_gitops.problem import Location
from fks_gitops.checks.context import RepoContext


def _check(repo, rendered=None):
    return argocd.check(RepoContext(environments.load(repo), rendered or {}))


def _edit(path, change):
    docs = list(yaml.safe_load_all(path.read_text()))
    change(docs)
    path.write_text(yaml.safe_dump_all(docs))


def _at(repo, rel, needle):
    """Where `needle` starts in the file: the location a problem about that field must have."""
    for number, line in enumerate((repo / rel).read_text().splitlines(), 1):
        if needle in line:
            return Location(rel, number, line.index(needle) + 1)
    raise AssertionError(f"{needle!r} not in {rel}")


def test_real_repository_is_consistent(repo, rendered):
    assert _check(repo, rendered) == []


def test_every_application_path_renders(repo):
    apps = [m for m in argocd.load(repo) if m.doc["kind"] == "Application"]
    assert {m.doc["spec"]["source"]["path"] for m in apps} >= {"overlays/dev", "overlays/staging", "overlays/prod", "base/cluster"}
    for app in apps:
        path = app.doc["spec"]["source"]["path"]
        if (repo / path / "kustomization.yaml").exists():
            assert render.render(repo / path, path), path


def _docs(repo, kind):
    return {m.doc["metadata"]["name"]: m.doc for m in argocd.load(repo) if m.doc["kind"] == kind}


def test_every_application_names_its_project_and_syncs_safely(repo, config):
    apps = _docs(repo, "Application")
    assert {name: app["spec"]["project"] for name, app in apps.items()} == {
        "fks-root": "fks-bootstrap", "fks-cluster": "fks-cluster",
        **{env.application: config.project for env in config.environments}}
    for app in apps.values():
        assert app["spec"]["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}
        assert app["spec"]["syncPolicy"]["retry"]["backoff"]["factor"] == 2


def test_projects_grant_only_what_their_applications_need(repo, config):
    projects = _docs(repo, "AppProject")
    bootstrap, trading, cluster = projects["fks-bootstrap"]["spec"], projects["fks-trading"]["spec"], projects["fks-cluster"]["spec"]
    assert [d["namespace"] for d in bootstrap["destinations"]] == ["argocd"]
    assert bootstrap["clusterResourceWhitelist"] == []
    assert {(w["group"], w["kind"]) for w in bootstrap["namespaceResourceWhitelist"]} == {
        ("argoproj.io", "Application"), ("argoproj.io", "AppProject")}
    assert {d["namespace"] for d in trading["destinations"]} == {e.namespace for e in config.environments}
    assert trading["clusterResourceWhitelist"] == [{"group": "", "kind": "Namespace"}]
    assert cluster["clusterResourceWhitelist"] == [{"group": "cert-manager.io", "kind": "ClusterIssuer"}]
    assert cluster["namespaceResourceBlacklist"] == [{"group": "*", "kind": "*"}]


def test_namespace_whitelist_is_exactly_what_the_overlays_render(repo, rendered):
    trading = _docs(repo, "AppProject")["fks-trading"]["spec"]
    listed = {(w["group"], w["kind"]) for w in trading["namespaceResourceWhitelist"]}
    kinds = {(d["apiVersion"].rpartition("/")[0], d["kind"]) for docs in rendered.values() for d in docs}
    assert listed == kinds


def test_a_rendered_kind_missing_from_the_namespace_whitelist_is_an_error(repo_copy):
    _edit(repo_copy / "argocd/projects/fks-trading.yaml", lambda d: d[0]["spec"]["namespaceResourceWhitelist"].remove(
        {"group": "networking.k8s.io", "kind": "Ingress"}))
    problems = [p for p in _check(repo_copy) if p.rule == "argocd.project-namespace-resource"]
    assert {(p.object.kind, p.object.name) for p in problems} == {
        ("Application", "fks-trading-dev"), ("Application", "fks-trading-staging"), ("Application", "fks-trading-prod")}
    # The fix goes in the AppProject: every problem points at its whitelist.
    assert {p.location for p in problems} == {_at(repo_copy, "argocd/projects/fks-trading.yaml", "namespaceResourceWhitelist:")}
    assert problems[0].message == ("AppProject 'fks-trading' does not allow Ingress (group 'networking.k8s.io'); "
                                   "add it to namespaceResourceWhitelist")


def test_the_cluster_project_allows_no_namespaced_kind(repo_copy):
    (repo_copy / "base/cluster/configmap.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    kustomization = repo_copy / "base/cluster/kustomization.yaml"
    kustomization.write_text(kustomization.read_text().replace("resources:\n", "resources:\n  - configmap.yaml\n"))
    problems = [p for p in _check(repo_copy) if p.rule == "argocd.project-namespace-resource"]
    assert [(p.message, p.location) for p in problems] == [
        ("AppProject 'fks-cluster' does not allow ConfigMap (group ''); namespaceResourceBlacklist denies it",
         _at(repo_copy, "argocd/projects/fks-cluster.yaml", "namespaceResourceBlacklist:"))]


def test_the_root_app_must_not_sync_its_own_project(repo_copy):
    _edit(repo_copy / "argocd/root.yaml", lambda d: d[1]["spec"]["source"]["directory"].pop("exclude"))
    [problem] = [p for p in _check(repo_copy) if p.rule == "argocd.project-self-managed"]
    assert (problem.location, problem.object.kind, problem.object.name) == (
        _at(repo_copy, "argocd/root.yaml", "directory:"), "Application", "fks-root")
    assert "syncs its own AppProject 'fks-bootstrap'" in problem.message


def test_created_namespaces_enforce_pod_security_restricted(repo_copy):
    def loosen(docs):
        labels = docs[0]["spec"]["syncPolicy"]["managedNamespaceMetadata"]["labels"]
        labels["pod-security.kubernetes.io/enforce"] = "baseline"
        labels["pod-security.kubernetes.io/enforce-version"] = "v1.29"
    _edit(repo_copy / "argocd/apps/prod.yaml", loosen)
    problems = [p for p in _check(repo_copy) if p.rule == "argocd.pod-security"]
    assert [p.message for p in problems] == [
        "syncPolicy.managedNamespaceMetadata.labels['pod-security.kubernetes.io/enforce'] is 'baseline'; set it to 'restricted'",
        "syncPolicy.managedNamespaceMetadata.labels['pod-security.kubernetes.io/enforce-version'] is 'v1.29'; set it to 'v1.31'"]
    prod = "argocd/apps/prod.yaml"
    assert [p.location for p in problems] == [
        _at(repo_copy, prod, "pod-security.kubernetes.io/enforce:"), _at(repo_copy, prod, "pod-security.kubernetes.io/enforce-version:")]
    assert all(str(p.object) == "Application/fks-trading-prod" for p in problems)


def test_environment_applications_must_create_their_namespace(repo_copy):
    _edit(repo_copy / "argocd/apps/dev.yaml", lambda d: d[0]["spec"]["syncPolicy"].update(syncOptions=[]))
    problems = [p for p in _check(repo_copy) if p.rule == "argocd.sync"]
    assert [(p.message, p.location) for p in problems] == [
        ("syncOptions lacks CreateNamespace=true", _at(repo_copy, "argocd/apps/dev.yaml", "syncOptions:"))]


def test_wrong_destination_namespace(repo_copy):
    _edit(repo_copy / "argocd/apps/prod.yaml", lambda d: d[0]["spec"]["destination"].update(namespace="fks-trading-staging"))
    [problem] = [p for p in _check(repo_copy) if p.rule == "argocd.destination"]
    assert problem.message == "destination namespace 'fks-trading-staging' is not prod's namespace 'fks-trading'"
    assert problem.location == _at(repo_copy, "argocd/apps/prod.yaml", "namespace: fks-trading-staging")


def test_a_wrong_target_revision_points_at_its_line(repo_copy):
    path = repo_copy / "argocd/apps/prod.yaml"
    path.write_text(path.read_text().replace("targetRevision: main", "targetRevision: HEAD"))  # comments kept
    [problem] = [p for p in _check(repo_copy) if p.rule == "argocd.source"]
    assert (problem.level, problem.message) == ("error", "targetRevision 'HEAD' is not 'main'")
    assert problem.location == _at(repo_copy, "argocd/apps/prod.yaml", "targetRevision:")


def test_a_missing_field_is_reported_without_python_reprs(repo_copy):
    path = repo_copy / "argocd/apps/prod.yaml"
    path.write_text(path.read_text().replace("  project: fks-trading\n", ""))
    [problem] = [p for p in _check(repo_copy) if p.rule == "argocd.project"]
    assert problem.message == "project unset is not an AppProject in argocd/; use 'fks-trading'"
    assert problem.location == _at(repo_copy, "argocd/apps/prod.yaml", "spec:")  # the nearest parent there is


def test_project_must_allow_source(repo_copy):
    _edit(repo_copy / "argocd/apps/dev.yaml", lambda d: d[0]["spec"]["source"].update(repoURL="https://example.com/other.git"))
    rules = {p.rule for p in _check(repo_copy)}
    assert {"argocd.project-source", "argocd.source"} <= rules


def test_project_must_allow_destination_and_cluster_kinds(repo_copy):
    def narrow(docs):
        docs[0]["spec"]["destinations"] = [d for d in docs[0]["spec"]["destinations"] if d["namespace"] != "fks-trading"]
    _edit(repo_copy / "argocd/projects/fks-trading.yaml", narrow)
    _edit(repo_copy / "argocd/projects/fks-cluster.yaml", lambda d: d[0]["spec"].update(clusterResourceWhitelist=[]))
    problems = _check(repo_copy)
    [destination] = [p for p in problems if p.rule == "argocd.project-destination"]
    assert (destination.object.name, destination.location) == (
        "fks-trading-prod", _at(repo_copy, "argocd/projects/fks-trading.yaml", "destinations:"))
    assert any(p.rule == "argocd.project-cluster-resource" and "ClusterIssuer" in p.message for p in problems)


def test_each_environment_needs_exactly_one_application(repo_copy):
    (repo_copy / "argocd/apps/staging.yaml").unlink()
    [problem] = [p for p in _check(repo_copy) if p.rule == "argocd.environment"]
    lines = (repo_copy / "environments.yaml").read_text().splitlines()
    line = lines.index("    application: fks-trading-staging") + 1  # the line that asks for it
    assert (problem.location.file, problem.location.line) == ("environments.yaml", line)
    assert problem.message == ("environment 'staging' has 0 Applications with path overlays/staging; "
                               "it needs exactly one: add one under argocd/")


def test_missing_path_and_missing_finalizer(repo_copy):
    def change(docs):
        docs[0]["spec"]["source"]["path"] = "base/nowhere"
        docs[0]["metadata"].pop("finalizers")
    _edit(repo_copy / "argocd/apps/cluster.yaml", change)
    problems = {p.rule: p for p in _check(repo_copy)}
    assert problems["argocd.path"].message == "source path 'base/nowhere' does not exist in the repository"
    assert problems["argocd.path"].location == _at(repo_copy, "argocd/apps/cluster.yaml", "path: base/nowhere")
    assert problems["argocd.finalizer"].location == _at(repo_copy, "argocd/apps/cluster.yaml", "metadata:")


@pytest.mark.parametrize("field", ["prune", "selfHeal"])
def test_automated_sync_needs_prune_and_self_heal(repo_copy, field):
    _edit(repo_copy / "argocd/apps/dev.yaml", lambda d: d[0]["spec"]["syncPolicy"]["automated"].pop(field))
    assert any(p.rule == "argocd.sync" for p in _check(repo_copy))
