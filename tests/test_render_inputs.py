"""render_inputs and render's bounds: kustomize runs only on local, tracked, bounded input."""
import subprocess

import pytest

from fks_gitops import render, render_inputs
from test_aliases import bomb

SERVICE = "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: 80}]}\n"


@pytest.fixture
def tree(tmp_path):
    """A git repository with overlays/x listing base/ (tracked); each test adds one entry."""
    (tmp_path / "base").mkdir()
    (tmp_path / "base/service.yaml").write_text(SERVICE)
    (tmp_path / "base/kustomization.yaml").write_text("resources: [service.yaml]\n")
    (tmp_path / "overlays/x").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    return tmp_path


def listing(tree, *entries: str) -> set[str]:
    (tree / "overlays/x/kustomization.yaml").write_text("resources:\n" + "".join(f"  - {e}\n" for e in entries))
    subprocess.run(["git", "-C", str(tree), "add", "-A"], check=True)
    out = subprocess.run(["git", "-C", str(tree), "ls-files", "-z"], check=True, capture_output=True, text=True)
    return set(filter(None, out.stdout.split("\0")))


def messages(tree, files):
    return [(str(p.location), p.message) for p in render_inputs.refused(tree, "overlays/x", files)]


def test_local_tracked_inputs_are_allowed(tree):
    assert messages(tree, listing(tree, "../../base")) == []


@pytest.mark.parametrize("entry", ["https://example.com/x.yaml", "git::https://example.com/r.git",
                                   "git@github.com:org/repo", "github.com/org/repo?ref=v1"])
def test_a_remote_resource_is_refused(tree, entry):
    [(where, message)] = messages(tree, listing(tree, "../../base", entry))
    assert where == "overlays/x/kustomization.yaml:3:5" and message.startswith(f"remote resource {entry!r} refused")


def test_a_path_out_of_the_repository_is_refused(tree):
    [(where, message)] = messages(tree, listing(tree, "../../../elsewhere"))
    assert where == "overlays/x/kustomization.yaml:2:5" and "leaves the repository" in message


def test_a_symlinked_folder_is_refused(tree, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside")
    (outside / "kustomization.yaml").write_text("resources: []\n")
    (tree / "base/linked").symlink_to(outside)
    [(where, message)] = messages(tree, listing(tree, "../../base/linked"))
    assert where == "overlays/x/kustomization.yaml:2:5" and "base/linked is a symlink" in message


def test_a_file_git_ignores_is_refused(tree):
    (tree / ".gitignore").write_text("local.yaml\n")
    (tree / "overlays/x/local.yaml").write_text(SERVICE)
    [(where, message)] = messages(tree, listing(tree, "local.yaml"))
    assert where == "overlays/x/kustomization.yaml:2:5" and message.startswith("overlays/x/local.yaml is ignored by git")


def test_aliases_that_expand_too_far_are_refused_at_their_line(tree):
    (tree / "base/lol.yaml").write_text(bomb(9))
    (tree / "base/kustomization.yaml").write_text("resources: [service.yaml, lol.yaml]\n")
    [(where, message)] = messages(tree, listing(tree, "../../base"))
    assert where == "base/lol.yaml:9" and "YAML aliases here expand to 5,380,840 nodes" in message


def test_a_refused_input_stops_the_render_before_kustomize(tree, monkeypatch):
    files = listing(tree, "https://example.com/x.yaml")
    monkeypatch.setattr(render, "run", lambda *a, **k: pytest.fail("kustomize ran"))
    with pytest.raises(render.RenderError) as err:
        render.render_mapped(tree / "overlays/x", "overlays/x", files=files)
    assert [p.rule for p in err.value.problems()] == ["render.input"]


def test_kustomize_past_its_memory_limit_is_one_line(tree, monkeypatch):
    (tree / "base/lol.yaml").write_text(bomb(6))  # under the alias limit, over a small memory limit
    (tree / "base/kustomization.yaml").write_text("resources: [lol.yaml]\n")
    monkeypatch.setattr(render, "RENDER_MEMORY", 16 << 20)
    with pytest.raises(render.RenderError) as err:
        render.render_mapped(tree / "overlays/x", "overlays/x", files=listing(tree, "../../base"))
    [problem] = err.value.problems()
    assert problem.rule == "render.limit" and "\n" not in problem.message
    assert "stopped at its memory limit of 16 MiB (RLIMIT_DATA)" in problem.message


def test_an_ordinary_render_stays_within_the_limits(tree):
    docs, _ = render.render_mapped(tree / "overlays/x", "overlays/x", files=listing(tree, "../../base"))
    assert [d["kind"] for d in docs] == ["Service"]


def test_more_objects_than_a_render_may_hold_stop_before_kustomize(tree, monkeypatch):
    monkeypatch.setattr(render_inputs, "MAX_OBJECTS", 3)
    (tree / "base/more.yaml").write_text("---\n".join([SERVICE.replace("name: s", f"name: s{n}") for n in range(3)]))
    (tree / "base/kustomization.yaml").write_text("resources: [service.yaml, more.yaml]\n")
    [problem] = render_inputs.refused(tree, "overlays/x", listing(tree, "../../base"))
    assert (str(problem.location), problem.rule) == ("overlays/x/kustomization.yaml", "render.limit")
    assert problem.message.startswith("4 objects to render, over the 3 one render may hold (base/more.yaml has 3)")


def test_objects_up_to_the_limit_render_and_a_list_counts_its_items(tree, monkeypatch):
    monkeypatch.setattr(render_inputs, "MAX_OBJECTS", 3)
    items = SERVICE.replace("\n", "\n    ").replace("apiVersion", "- apiVersion", 1)
    (tree / "base/list.yaml").write_text(f"apiVersion: v1\nkind: List\nitems:\n  {items}")
    (tree / "base/kustomization.yaml").write_text("resources: [service.yaml, list.yaml]\n")
    assert render_inputs.refused(tree, "overlays/x", listing(tree, "../../base")) == []
    assert render_inputs._count((tree / "base/list.yaml").read_text()) == 1
