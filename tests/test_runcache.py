"""runcache: validate.py prints a remembered report only while nothing any check reads changed,
and starts kustomize early only for an overlay whose kustomizations are as the last clean run
left them. Every case runs the real command line, kustomize and git on a copy of the repository,
against the same command with the cache off."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO, git
from fks_gitops import proc, runcache

VALIDATE = [sys.executable, str(REPO / "tools" / "validate.py")]
PATCH = "overlays/dev/prometheus-retention.yaml"


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(folder))
    monkeypatch.setenv("FKS_GITOPS_NO_CACHE", "0")
    return folder


def _validate(repo: Path, *args: str, cached: bool = True, python: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    env = {**os.environ, "FKS_GITOPS_NO_CACHE": "0" if cached else "1"}
    argv = [sys.executable, *python, str(REPO / "tools" / "validate.py"), "--repo", str(repo), "--format", "json", *args]
    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode in (0, 1), done.stderr
    return done


def _found(done: subprocess.CompletedProcess) -> tuple:
    report = json.loads(done.stdout)
    return report["objects"], report["problems"], report["notes"]


def _records(cache: Path) -> list[Path]:
    return sorted((cache / "fks-gitops").glob("run-*.json"))


def _edit(repo: Path, rel: str, old: str, new: str) -> None:
    path = repo / rel
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new, 1))


def test_an_unchanged_repository_prints_the_remembered_report_without_loading_a_check(repo_copy, cache, monkeypatch):
    first = _validate(repo_copy)  # every entry missed: computed as with the cache off
    [record] = _records(cache)
    data = json.loads(record.read_text())
    assert data["read"] and all(not rel.startswith("/") and ".." not in rel.split("/") for rel in data["read"])
    assert set(data["overlays"]) == {"overlays/dev", "overlays/staging", "overlays/prod"}
    again = _validate(repo_copy, python=("-X", "importtime"))
    assert _found(again) == _found(first) and again.returncode == first.returncode
    for module in ("fks_gitops.validate", "fks_gitops.envcache", "fks_gitops.checks", "opa_bindings", "yaml"):
        assert f" {module}\n" not in again.stderr, f"{module} loaded by a remembered run"
    assert _probe(repo_copy).report() is not None
    index = repo_copy / ".git" / "next-index-123.lock"  # a hook's, named per commit: what it lists is what counts
    index.write_bytes((repo_copy / ".git" / "index").read_bytes())
    monkeypatch.setenv("GIT_INDEX_FILE", str(index))
    assert _probe(repo_copy).report() is not None
    monkeypatch.setattr(runcache, "code", lambda: "another check code")
    assert _probe(repo_copy).report() is None


def _leak(repo: Path) -> None:
    (repo / "base" / "leak.yaml").write_text("apiVersion: v1\nkind: Secret\nmetadata: {name: x}\n"
                                             "stringData: {password: hunter2hunter2}\n")


# Each a change some check reads, made after the last run was remembered: (what, how).
CHANGES = [
    ("a file's content", lambda repo: _edit(repo, PATCH, "retention.time=3d", "retention.time=4d")),
    ("an untracked file", _leak),  # a plaintext Secret nobody has staged
    ("a commit", lambda repo: git(repo, "commit", "-q", "--allow-empty", "-m", "a commit the audit reads")),
    ("a variable a check reads", "GITHUB_BASE_REF"),  # the audit asks what a pull request brings
    ("a file under an ignored check input", lambda repo: (repo / "certs" / "extra.pem").write_text("not a certificate\n")),
    ("a damaged record", None),
    ("an image tag", lambda repo: _edit(repo, "overlays/prod/kustomization.yaml", "newTag: 1.4.2", "newTag: latest")),
]


def test_any_change_a_check_can_read_is_checked_again(repo_copy, cache, monkeypatch):
    """One change after another, each after a remembered run: each is a full run (it writes a
    new record; a remembered one writes none), and the last finds what a cache-off run finds."""
    monkeypatch.delenv("GITHUB_BASE_REF", raising=False)
    (repo_copy / ".gitignore").write_text("certs/extra.pem\n")  # certs/ is read whole, whatever git ignores
    git(repo_copy, "add", ".gitignore")
    _validate(repo_copy)
    [record] = _records(cache)
    for what, change in CHANGES:
        before = record.read_text()
        _validate(repo_copy)
        assert record.read_text() == before, f"before {what}: not remembered"
        if change is None:
            record.write_text("{not json")
        elif isinstance(change, str):
            monkeypatch.setenv(change, "no-such-base")
        else:
            change(repo_copy)
        done = _validate(repo_copy)
        assert record.read_text() not in (before, "{not json"), f"{what}: came back from the record"
    assert done.returncode == 1 and "latest" in done.stdout
    assert _found(done) == _found(_validate(repo_copy, cached=False))


def test_a_report_with_a_clocked_finding_is_not_kept(repo_copy, cache):
    """A promotion dated in the future stops being one as the clock moves on: never remembered."""
    _edit(repo_copy, "overlays/dev/kustomization.yaml", "newTag: 11.2.2", "newTag: 11.2.3")
    later = f"@{int(time.time()) + 30 * 86400} +0000"  # a month from now
    env = {**os.environ, "GIT_COMMITTER_DATE": later, "GIT_AUTHOR_DATE": later}
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-q", "-a",
                    "-m", "promote(dev): grafana 11.2.3"], cwd=repo_copy, check=True, env=env, capture_output=True)
    done = _validate(repo_copy)
    assert "future-dated" in done.stdout
    assert _records(cache) == []


def _probe(repo: Path) -> runcache.Probe:
    probe = runcache.Probe.take(repo.resolve(), None, [])
    assert probe is not None and probe.last is not None
    return probe


def test_a_changed_patch_starts_its_overlay_at_once_and_the_render_uses_it(repo_copy, cache):
    _validate(repo_copy)
    _edit(repo_copy, PATCH, "retention.time=3d", "retention.time=5d")
    probe = _probe(repo_copy)
    assert probe.report() is None
    try:
        assert probe.prestart() == ["overlays/dev"]
        from fks_gitops.validate import validate

        report = validate(repo_copy.resolve())
        assert runcache._started == {}, "the render did not adopt the early kustomize"
    finally:
        runcache.abandon()
    assert "--storage.tsdb.retention.time=5d" in json.dumps(report.rendered["dev"])


def test_a_changed_kustomization_is_never_started_early(repo_copy, cache):
    """Only render_inputs may say what a new kustomization reads (a remote base, a file outside)."""
    _validate(repo_copy)
    _edit(repo_copy, "overlays/dev/kustomization.yaml", "resources:\n", "resources:\n  - https://example.invalid/x\n")
    probe = _probe(repo_copy)
    assert probe.prestart() == []
    [record] = _records(cache)
    before = record.read_text()
    done = _validate(repo_copy)
    assert "remote resource" in done.stdout and done.returncode == 1
    assert record.read_text() == before, "a run whose render was refused is not kept"


def test_an_input_that_became_a_symlink_is_never_started_early(repo_copy, cache, tmp_path):
    """A symlink could lead kustomize anywhere, a kustomization with a remote base among them."""
    _validate(repo_copy)
    outside = tmp_path / "outside.yaml"
    outside.write_text((repo_copy / PATCH).read_text())
    (repo_copy / PATCH).unlink()
    (repo_copy / PATCH).symlink_to(outside)
    assert _probe(repo_copy).prestart() == []
    assert "symlink" in _validate(repo_copy).stdout


def test_an_early_kustomize_nobody_needs_is_stopped(repo_copy, cache):
    from fks_gitops.validate import validate

    first = _validate(repo_copy)  # the record
    validate(repo_copy.resolve())  # the entries, under this process's keys (its binaries, its renderer)
    text = (repo_copy / PATCH).read_text()
    _edit(repo_copy, PATCH, "retention.time=3d", "retention.time=6d")
    probe = _probe(repo_copy)
    assert probe.prestart() == ["overlays/dev"]
    (repo_copy / PATCH).write_text(text)  # back as it was before validate looks: its entry is found
    started = runcache._started[str(repo_copy.resolve() / "overlays" / "dev")]
    try:
        report = validate(repo_copy.resolve())
    finally:
        runcache.abandon()
    assert "dev" in report.reused and runcache._started == {}
    assert started._proc.poll() is not None, "left running"
    assert _found(_validate(repo_copy)) == _found(first)


def test_the_early_probe_serves_only_the_arguments_it_read(repo_copy, cache):
    """validate.py takes its probe and starts kustomize before its other imports, from plain
    options alone; validate's own parsing must ask for exactly those, else it is stopped."""
    repo = repo_copy.resolve()
    _validate(repo_copy, "--env", "dev")  # the record of these arguments
    _edit(repo_copy, PATCH, "retention.time=3d", "retention.time=7d")
    dev = str(repo / "overlays" / "dev")
    try:
        for argv in (["--diff", "HEAD", "--repo", str(repo)], ["--en", "dev", "--repo", str(repo)], ["--help"],
                     ["--repo"], ["--repo", str(repo), "--", "x"], ["--repo", str(repo), "--env"]):
            runcache.early(argv)
            assert runcache._early == [] and runcache._started == {}, argv
        runcache.early(["--format=json", "--repo", str(repo), "--env", "dev"])
        started = runcache._started[dev]
        assert runcache.Probe.early(repo, ["dev", "prod"], []) is None
        assert runcache._started == {} and started._proc.wait(10) is not None, "left running"
        runcache.early(["--repo", str(repo), "--env", "dev"])
        probe = runcache.Probe.early(repo, ["dev"], [])
        assert probe is not None and probe.prestart() == ["overlays/dev"] and list(runcache._started) == [dev]
    finally:
        runcache.abandon()
    done = _validate(repo_copy, "--env", "dev")
    assert "retention.time=7d" not in done.stderr and _found(done) == _found(_validate(repo_copy, "--env", "dev", cached=False))


def test_started_reads_a_large_output_while_it_runs_and_keeps_its_time_limit():
    big = proc.Started([sys.executable, "-c", "import sys; sys.stdout.write('x' * (1 << 20))"])
    assert len(big.wait(30).stdout) == 1 << 20
    slow = proc.Started([sys.executable, "-c", "import time; time.sleep(30)"])
    began = time.monotonic()
    with pytest.raises(proc.LimitExceeded, match="time limit of 0.5 s"):
        slow.wait(0.5)
    assert time.monotonic() - began < 5 and slow._proc.poll() is not None


def test_bytecode_goes_to_the_cache_folder_never_into_the_work_tree(tmp_path):
    tools = tmp_path / "tools"
    tools.mkdir()
    (tools / "mod.py").write_text("X = 1\n")
    code = ("import sys; sys.path[:0] = [{tools!r}, {lib!r}]; from fks_gitops import venv; venv.keep_bytecode(); "
            "import mod").format(tools=str(tools), lib=str(REPO / "tools"))
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "XDG_CACHE_HOME": str(tmp_path / "cache")}
    env.pop("PYTHONPYCACHEPREFIX", None)
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
    assert not (tools / "__pycache__").exists()
    assert list((tmp_path / "cache" / "fks-gitops" / "bytecode").rglob("mod.*.pyc"))


def test_a_folder_swapped_for_a_symlink_to_the_same_files_is_checked_again(repo_copy, cache, tmp_path):
    """Every file reads as before through the link, and git lists the same paths; render_inputs
    still refuses the symlink on the way, so the record must not answer."""
    _validate(repo_copy)
    folder = repo_copy / "base" / "prometheus"
    moved = tmp_path / "elsewhere" / "prometheus"
    moved.parent.mkdir()
    folder.rename(moved)
    folder.symlink_to(moved)
    done = _validate(repo_copy)
    assert "base/prometheus is a symlink" in done.stdout and done.returncode == 1
    assert _found(done) == _found(_validate(repo_copy, cached=False))
