"""envcache: an unchanged environment reuses its render and problems; a change to anything its
render or checks read checks it again, with the problems a run without the cache finds."""
import hashlib
import json
from pathlib import Path

import pytest

from fks_gitops import envcache, render_inputs, runcache
from fks_gitops.validate import validate


@pytest.fixture
def cached(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("FKS_GITOPS_NO_CACHE", "0")
    return monkeypatch


def _edit(repo: Path, rel: str, old: str | None, new: str) -> None:
    """`old` replaced by `new` in the file, once; with `old` None, the file made `new`."""
    path = repo / rel
    if old is None:
        path.write_text(new)
        return
    text = path.read_text()
    assert old in text, f"{rel}: no {old!r}"
    path.write_text(text.replace(old, new, 1))


def test_unchanged_environments_are_reused(repo_copy, cached):
    first = validate(repo_copy)
    again = validate(repo_copy)
    assert first.reused == [] and again.reused == ["dev", "staging", "prod"]
    assert again.problems == first.problems and again.objects == first.objects


CHANGES = {
    "base file": ("base/execution/deployment.yaml", "runAsNonRoot: true", "runAsNonRoot: false", []),
    "overlay patch": ("overlays/dev/execution-replicas.yaml", "maxReplicas: 1", "maxReplicas: 0", ["staging", "prod"]),
    "generator source": ("base/prometheus/rules/orders.yaml", "for: 5m", "for: 7m", []),
    "environments.yaml": ("environments.yaml", "soak: 24h", "soak: 25h", []),
    "policy": ("policy/containers.rego", "package", "# changed\npackage", []),
}


@pytest.mark.parametrize("case", CHANGES, ids=list(CHANGES))
def test_a_change_checks_the_environment_again(repo_copy, cached, case):
    rel, old, new, reused = CHANGES[case]
    validate(repo_copy)
    _edit(repo_copy, rel, old, new)
    after = validate(repo_copy)
    assert after.reused == reused
    _as_with_the_cache_off(cached, repo_copy, after.problems)


def test_off_switch_neither_reads_nor_writes(repo_copy, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("FKS_GITOPS_NO_CACHE", "1")
    assert validate(repo_copy).reused == [] and validate(repo_copy).reused == []
    assert not (tmp_path / "cache").exists()


def test_key_covers_every_file_the_render_reads(repo_copy, cached):
    problems, read = render_inputs.reached(repo_copy, "overlays/dev")
    assert problems == []
    assert {"overlays/dev/kustomization.yaml", "overlays/dev/execution-replicas.yaml",
            "base/execution/kustomization.yaml", "base/prometheus/rules/orders.yaml"} <= read
    before = envcache.key(repo_copy, "overlays/dev", None, "v5")
    assert envcache.key(repo_copy, "overlays/dev", None, "v5.1") != before  # the kustomize version
    _edit(repo_copy, "base/prometheus/prometheus.yml", "\n", "\n# x\n")
    assert envcache.key(repo_copy, "overlays/dev", None, "v5") != before


def test_documents_come_back_as_rendered():
    import datetime as dt

    for docs in ([{"kind": "ConfigMap", "data": {"a": "1"}}], [{"data": {1: "x"}}], [{"at": dt.datetime(2026, 1, 2)}]):
        cached = envcache.load_docs(json.loads(envcache._encode(docs)))
        assert cached == docs


def _as_with_the_cache_off(cached, repo: Path, found: list, **kwargs) -> None:
    """`found` is what a validate run with the cache off finds (the cache stays off after)."""
    cached.setenv("FKS_GITOPS_NO_CACHE", "1")
    assert found == validate(repo, **kwargs).problems


def _spied(monkeypatch, module) -> list:
    """Calls of a check's run from here on: the cache must skip it when nothing changed."""
    calls, real = [], module.run
    monkeypatch.setattr(module, "run", lambda ctx: calls.append(ctx) or real(ctx))
    return calls


def test_whole_repository_checks_are_reused_until_anything_they_read_changes(repo_copy, cached):
    from fks_gitops.checks import plaintext, promotions
    first = validate(repo_copy)
    scans, audits = _spied(cached, plaintext), _spied(cached, promotions)
    assert validate(repo_copy).problems == first.problems and (scans, audits) == ([], [])
    (repo_copy / "deploy.sh").write_text("export PASSWORD=" + "Zq8x" + "pL2mW9vR4tK\n")  # untracked, not ignored
    found = validate(repo_copy).problems
    assert len(scans) == 1 and audits == []  # the audit reads no deploy.sh (registry: reads)
    assert any(p.location and p.location.file == "deploy.sh" for p in found)
    _as_with_the_cache_off(cached, repo_copy, found)


AUDITED = {  # what the promotion audit reads beside git's history, and a file it does not
    "overlay kustomization": ("overlays/prod/kustomization.yaml", "newTag: 1.4.2", "newTag: 1.4.3", 1),
    "environments.yaml": ("environments.yaml", "soak: 24h", "soak: 25h", 1),
    "mailmap": (".mailmap", None, "Someone Else <a@b.c> <ci@example.com>\n", 1),
    "overlay patch": ("overlays/dev/prometheus-retention.yaml", "retention.time=3d", "retention.time=4d", 0),
}


@pytest.mark.parametrize("case", AUDITED, ids=list(AUDITED))
def test_the_audit_runs_again_when_a_file_it_reads_changes(repo_copy, cached, case):
    from fks_gitops.checks import promotions
    rel, old, new, runs = AUDITED[case]
    validate(repo_copy)
    audits = _spied(cached, promotions)
    _edit(repo_copy, rel, old, new)
    found = validate(repo_copy).problems
    assert len(audits) == runs
    _as_with_the_cache_off(cached, repo_copy, found)


def test_a_new_commit_runs_the_audit_again(repo_copy, cached):
    from conftest import git
    from fks_gitops.checks import promotions
    validate(repo_copy)
    audits = _spied(cached, promotions)
    _edit(repo_copy, "overlays/prod/kustomization.yaml", "newTag: 1.4.2", "newTag: 1.4.3")
    git(repo_copy, "commit", "-q", "--no-verify", "-am", "prod by hand")
    found = validate(repo_copy).problems
    assert len(audits) == 1 and any(p.rule.startswith("promotions.") and p.level == "error" for p in found)
    _as_with_the_cache_off(cached, repo_copy, found)


def test_a_clocked_finding_is_never_remembered(cached):
    from fks_gitops.problem import Problem
    kept, clocked = envcache.Whole("a" * 64, None), envcache.Whole("b" * 64, None)
    kept.store([Problem("promotions.hand-edit", "error", "edited by hand")])
    clocked.store([Problem("promotions.future-dated", "error", "dated in the future")])
    assert envcache.load("a" * 64)[1][0].rule == "promotions.hand-edit"  # the store itself works
    assert envcache.load("b" * 64) is None


def test_the_next_day_checks_everything_again(repo_copy, cached):
    """A certificate's expiry and the sync windows' horizon depend on the date, not only on content."""
    from fks_gitops.checks import argocd
    validate(repo_copy)
    apps = _spied(cached, argocd)
    cached.setattr(envcache, "today", lambda: "2999-01-01")
    assert validate(repo_copy).reused == [] and len(apps) == 1


def test_a_file_that_scanned_clean_is_scanned_again_when_its_content_or_name_changes(tmp_path, cached):
    from fks_gitops.seal.plaintext import check_plaintext

    secret = "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData: {password: hunter2-but-longer}\n"
    (tmp_path / "notes.txt").write_text(secret)  # not a manifest's name: clean, and remembered so
    (tmp_path / "db.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: db}\n")
    assert check_plaintext(tmp_path, ["notes.txt", "db.yaml"]) == []
    kept = list((tmp_path / "cache" / "fks-gitops").iterdir())  # one file of passes: a key per file
    assert len(kept) == 1 and len(kept[0].read_text().split()) == 2
    (tmp_path / "db.yaml").write_text(secret)  # the same path, a Secret now
    (tmp_path / "copy.yaml").write_text(secret)  # the content of a remembered file, under a manifest's name
    found = check_plaintext(tmp_path, ["notes.txt", "db.yaml", "copy.yaml"])
    assert sorted({p.location.file for p in found}) == ["copy.yaml", "db.yaml"]
    cached.setenv("FKS_GITOPS_NO_CACHE", "1")
    assert check_plaintext(tmp_path, ["notes.txt", "db.yaml", "copy.yaml"]) == found


@pytest.mark.parametrize("module", ["verify_queries", "kustomize_version"])
def test_checks_of_environments_yaml_alone_run_again_only_when_it_changes(repo_copy, cached, module):
    import importlib
    check = importlib.import_module(f"fks_gitops.checks.{module}")
    validate(repo_copy)
    calls = _spied(cached, check)
    _edit(repo_copy, "overlays/dev/prometheus-retention.yaml", "retention.time=3d}", "retention.time=4d}")
    validate(repo_copy)
    assert calls == []
    _edit(repo_copy, "environments.yaml", "argocd_version: v3.3", "argocd_version: v3.2")
    _edit(repo_copy, "environments.yaml", "expect: empty", "expect: nonempty")
    found = validate(repo_copy).problems
    assert len(calls) == 1
    _as_with_the_cache_off(cached, repo_copy, found)


def test_the_per_file_scans_find_what_a_file_gained_since_it_scanned_clean(repo_copy, cached):
    checks = ("duplicate-keys", "encoding", "plaintext-secrets")
    assert validate(repo_copy, only=checks).problems == []  # every file remembered clean
    _edit(repo_copy, "overlays/dev/kustomization.yaml", "namespace:", "namespace: twice\nnamespace:")
    path = repo_copy / "base" / "execution" / "notes.md"
    path.write_bytes(b"caf\xe9\n")  # Latin-1, untracked
    (repo_copy / "base" / "execution" / ".env").write_text("API_TOKEN=" + "Zq8x" + "pL2mW9vR4tK\n")
    found = validate(repo_copy, only=checks).problems
    assert {p.rule for p in found} >= {"yaml.duplicate-key", "encoding.utf8", "secrets.plaintext"}
    _as_with_the_cache_off(cached, repo_copy, found, only=checks)


def test_a_symlink_remembered_clean_is_scanned_again_once_it_is_a_file_with_that_content(tmp_path, cached):
    """The scans skip symlinks, so a symlink's digest is not its target's: a hit on it cannot
    hide the same bytes written as a file."""
    from fks_gitops.checks import duplicate_keys

    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "dup.yaml").write_text("a: 1\na: 2\n")
    (tmp_path / "link.yaml").symlink_to(tmp_path / "outside" / "dup.yaml")
    assert duplicate_keys.check(tmp_path, ["link.yaml"]) == []
    (tmp_path / "link.yaml").unlink()
    (tmp_path / "link.yaml").write_text("a: 1\na: 2\n")
    found = duplicate_keys.check(tmp_path, ["link.yaml"])
    assert [(p.rule, p.location.file, p.location.line) for p in found] == [("yaml.duplicate-key", "link.yaml", 2)]


def test_contents_reads_a_file_once_a_run(tmp_path, monkeypatch):
    reads = []
    original = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: reads.append(self.name) or original(self))
    (tmp_path / "a.yaml").write_text("a: 1\n")
    contents = envcache.Contents(tmp_path)
    assert contents.data("a.yaml") == b"a: 1\n" and contents("a.yaml") == contents("a.yaml") == hashlib.sha256(b"a: 1\n").hexdigest()
    assert contents.data("a.yaml") == b"a: 1\n" and reads == ["a.yaml"]


def test_a_file_edited_between_its_digest_and_its_scan_is_not_remembered_clean(tmp_path, cached):
    """The probe's digests come first; a file that reads otherwise by the time it is scanned is
    scanned, and not remembered under the digest it no longer has; a render whose inputs moved
    under kustomize is not kept under its key."""
    from fks_gitops.checks import duplicate_keys

    (tmp_path / "a.yaml").write_text("a: 1\na: 2\n")  # what the probe saw: a duplicate key
    seen = {"a.yaml": runcache.content(str(tmp_path / "a.yaml"))}
    (tmp_path / "a.yaml").write_text("a: 1\n")  # fixed before the scan reads it
    contents = envcache.Contents(tmp_path, seen)
    assert duplicate_keys.check(tmp_path, ["a.yaml"], contents) == []
    assert not contents.unchanged("a.yaml") and not contents.still(["a.yaml"])
    (tmp_path / "a.yaml").write_text("a: 1\na: 2\n")  # back to what that digest names
    assert [p.rule for p in duplicate_keys.check(tmp_path, ["a.yaml"])] == ["yaml.duplicate-key"]


def test_a_file_changed_while_the_checks_ran_keeps_no_result_under_the_key_it_had(repo_copy, cached, tmp_path):
    """A policy edited while the policies ran (a hand edit mid-run): the results are the new
    content's, the key the old one's. Neither the environments' entries nor the run's record
    are kept, so once the file is back the next run checks again instead of reusing them."""
    from fks_gitops import runcache
    from fks_gitops.checks import policies

    rel, repo = "policy/images.rego", repo_copy.resolve()
    original, real = (repo / rel).read_text(), policies.run

    def edits_then_runs(ctx):
        (repo / rel).write_text(original + "\n# edited while validate runs\n")
        return real(ctx)

    cached.setattr(policies, "run", edits_then_runs)
    probe = runcache.Probe.take(repo, None, [])
    report = validate(repo, seen=probe.seen())
    probe.record(report, envcache.CHECK_INPUTS)
    assert not list((tmp_path / "cache" / "fks-gitops").glob("run-*.json")), "the run's record was kept"
    cached.setattr(policies, "run", real)
    (repo / rel).write_text(original)
    again = validate(repo)
    assert again.reused == [], "an environment came back from an entry kept mid-edit"
    _as_with_the_cache_off(cached, repo, again.problems)


def test_a_check_that_names_its_kinds_runs_again_only_when_those_objects_or_its_inputs_change(repo_copy, cached):
    """sealed-secrets reads the SealedSecrets of the render: an edit to a Deployment's patch
    reuses its problems; a SealedSecret, its certificate or the secrets template checks it again."""
    from fks_gitops.seal import verify

    validate(repo_copy)
    calls = []
    real = verify.check_sealed
    cached.setattr(verify, "check_sealed", lambda repo, env, *a: calls.append(env.name) or real(repo, env, *a))
    _edit(repo_copy, "overlays/dev/prometheus-retention.yaml", "retention.time=3d}", "retention.time=4d}")
    assert validate(repo_copy).reused == ["staging", "prod"] and calls == []
    changes = {  # the first: sealed for another certificate, an error at its annotation
        "a SealedSecret": ("overlays/dev/sealed-secrets/grafana-admin.yaml", "sealed-with: sha256:", "sealed-with: sha256:00"),
        "the certificate": ("certs/dev.pem", "-----BEGIN", "\n-----BEGIN"),
        "secrets.template.yaml": ("secrets.template.yaml", "grafana-admin", "grafana-administrator"),
    }
    for what, (rel, old, new) in changes.items():
        calls.clear()
        _edit(repo_copy, rel, old, new)
        found = validate(repo_copy).problems
        assert "dev" in calls, what
        assert any(p.rule.startswith("secrets.") and "dev" in p.environments for p in found)
    _as_with_the_cache_off(cached, repo_copy, found)


def test_a_per_object_check_runs_only_on_what_changed_and_finds_what_a_cache_off_run_finds(repo_copy, cached):
    """schemas: each object's problems are its own, so after a patch to one object only that
    object is checked again; an unknown field it gains is found at once."""
    from fks_gitops.checks import schemas

    validate(repo_copy)
    checked = []
    real = schemas.check
    cached.setattr(schemas, "check", lambda docs, *a, **k: checked.extend(d["kind"] for d in docs) or real(docs, *a, **k))
    _edit(repo_copy, "overlays/dev/prometheus-retention.yaml", "retention.time=3d}", "retention.time=4d}")
    assert validate(repo_copy).problems == validate(repo_copy).problems
    assert checked == ["Deployment"]  # the second run found it too
    _edit(repo_copy, "overlays/dev/execution-replicas.yaml", "maxReplicas: 1", "maxReplicas: 1\n  maxReplicaz: 1")
    found = validate(repo_copy).problems
    assert checked[1:] == ["HorizontalPodAutoscaler"]
    assert any(p.rule.startswith("schemas.") and "maxReplicaz" in p.message and "dev" in p.environments for p in found)
    _as_with_the_cache_off(cached, repo_copy, found)


def test_a_per_object_cel_rule_broken_after_a_clean_run_is_found(repo_copy, cached):
    """api-cel, with a schema location whose Pool kind carries a rule (tests/fixtures/cel)."""
    location = [Path(__file__).parent / "fixtures" / "cel"]
    (repo_copy / "overlays" / "dev" / "pool.yaml").write_text(
        "apiVersion: example.com/v1\nkind: Pool\nmetadata: {name: orders}\nspec: {minWorkers: 1, maxWorkers: 2}\n")
    _edit(repo_copy, "overlays/dev/kustomization.yaml", "resources:\n", "resources:\n  - pool.yaml\n")
    assert not [p for p in validate(repo_copy, schema_locations=location).problems if p.rule == "api.cel"]
    _edit(repo_copy, "overlays/dev/pool.yaml", "minWorkers: 1", "minWorkers: 3")
    found = validate(repo_copy, schema_locations=location).problems
    assert [p.message for p in found if p.rule == "api.cel"] == ["minWorkers must not exceed maxWorkers"]
    _as_with_the_cache_off(cached, repo_copy, found, schema_locations=location)


def test_kept_sync_windows_are_checked_again_when_environments_yaml_changes(repo_copy, cached):
    import yaml

    from fks_gitops import syncwindows
    project = "argocd/projects/fks-trading.yaml"
    start = yaml.safe_load((repo_copy / project).read_text())["metadata"]["annotations"][syncwindows.FROM]
    assert not [p for p in validate(repo_copy).problems if p.rule == "argocd.sync-windows"]
    _edit(repo_copy, "environments.yaml", "adhoc: []", f"adhoc: [{{from: {start}T00:00, to: {start}T12:00, reason: audit}}]")
    found = validate(repo_copy).problems
    assert [p.location.file for p in found if p.rule == "argocd.sync-windows"] == [project]
    _as_with_the_cache_off(cached, repo_copy, found)


def test_the_policies_on_what_argocd_deploys_run_again_only_when_a_file_they_read_changes(repo_copy, cached):
    from fks_gitops.checks import policies_outside
    validate(repo_copy)
    calls = _spied(cached, policies_outside)
    _edit(repo_copy, "overlays/dev/prometheus-retention.yaml", "retention.time=3d}", "retention.time=4d}")
    validate(repo_copy)
    assert calls == []
    changes = [("base/cluster/kustomization.yaml", "resources:", "# changed\nresources:"),
               ("argocd/root.yaml", "apiVersion:", "# changed\napiVersion:"),
               ("policy/images.rego", "package", "# changed\npackage"),
               ("requirements-opa.lock", None, "opa-golib-python-bindings==0.4.4\n")]  # another OPA
    for rel, old, new in changes:
        calls.clear()
        _edit(repo_copy, rel, old, new)
        found = validate(repo_copy).problems
        assert len(calls) == 1, rel
    _as_with_the_cache_off(cached, repo_copy, found)
