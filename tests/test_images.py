from pathlib import Path

import pytest

from fks_gitops.cli import exit_code
from fks_gitops.errors import GitOpsError
from fks_gitops.promote.images import Image, Ref, apply_ref, edit, parse_ref, read, resolve

FIXTURE = Path(__file__).parent / "fixtures" / "promote" / "overlays" / "prod" / "kustomization.yaml"
EXEC = "ghcr.io/fks-trading/fks-execution"
GRAFANA = "docker.io/grafana/grafana"
DIGEST = "sha256:" + "ab" * 32


@pytest.mark.parametrize(
    ("text", "ref"),
    [
        ("fks-execution:1.4.3", Ref(None, "fks-execution", "1.4.3", None)),
        (f"{EXEC}:1.4.3", Ref(None, EXEC, "1.4.3", None)),
        (f"fks-execution={EXEC}:1.4.3", Ref("fks-execution", EXEC, "1.4.3", None)),
        (f"{EXEC}@{DIGEST}", Ref(None, EXEC, None, DIGEST)),
        (f"{EXEC}:1.4.3@{DIGEST}", Ref(None, EXEC, "1.4.3", DIGEST)),
        ("registry.local:5000/team/app:2.0", Ref(None, "registry.local:5000/team/app", "2.0", None)),
        ("grafana", Ref(None, "grafana", None, None)),
    ],
)
def test_parse_ref_reads_kustomize_set_image_syntax(text, ref):
    assert parse_ref(text) == ref


@pytest.mark.parametrize("text", ["", "a=b=c:1", "app:", "app@sha256:short", "a b:1"])
def test_parse_ref_refuses_malformed_refs(text):
    with pytest.raises(GitOpsError, match="NEWNAME"):
        parse_ref(text)


def test_apply_ref_requires_a_pinned_version():
    current = Image(EXEC, tag="1.4.2")
    assert apply_ref(current, parse_ref("fks-execution:1.4.3")) == Image(EXEC, tag="1.4.3")
    assert apply_ref(current, parse_ref(f"fks-execution:latest@{DIGEST}")).pinned
    for unpinned in ("fks-execution", "fks-execution:latest"):
        with pytest.raises(GitOpsError, match="not pinned") as exc:
            apply_ref(current, parse_ref(unpinned))
        assert exit_code(exc.value) == 2


def test_apply_ref_with_a_name_sets_new_name_like_kustomize():
    moved = apply_ref(Image(EXEC, tag="1.4.2"), parse_ref("fks-execution=mirror.example/fks-execution:1.4.3"))
    assert moved == Image(EXEC, "mirror.example/fks-execution", "1.4.3")
    assert moved.ref == "mirror.example/fks-execution:1.4.3"
    back = apply_ref(moved, parse_ref(f"fks-execution={EXEC}:1.4.4"))
    assert back.new_name is None


def test_version_texts():
    image = Image(EXEC, tag="1.4.3", digest=DIGEST)
    assert image.version == f"1.4.3@{DIGEST}"
    assert image.short_version == "1.4.3@sha256:" + "ab" * 6
    assert image.ref == f"{EXEC}:1.4.3@{DIGEST}"
    assert image.component == "fks-execution"


def test_read_keeps_every_scalar_a_string():
    images = read("images:\n  - name: a/b\n    newTag: 1.10\n  - name: c\n    digest: sha256:00\n", "x")
    assert images == {"a/b": Image("a/b", tag="1.10"), "c": Image("c", digest="sha256:00")}


def test_read_refuses_entries_without_names():
    with pytest.raises(GitOpsError, match="x: images must be a list"):
        read("images:\n  - newTag: 1\n", "x")


def test_resolve_accepts_the_full_name_or_the_component():
    images = read(FIXTURE.read_text(), "overlays/prod")
    assert resolve(images, "grafana", "p").name == GRAFANA
    assert resolve(images, GRAFANA, "p").name == GRAFANA
    with pytest.raises(GitOpsError, match="p: unknown image 'loki'; known: fks-execution, grafana"):
        resolve(images, "loki", "p")


def _changed_lines(old: str, new: str) -> list[tuple[str, str]]:
    assert len(old.splitlines()) == len(new.splitlines())
    return [(a, b) for a, b in zip(old.splitlines(), new.splitlines()) if a != b]


def test_edit_changes_one_line_per_image_and_keeps_comments_and_quotes():
    old = FIXTURE.read_text()
    new = edit(old, {EXEC: Image(EXEC, tag="1.4.3"), GRAFANA: Image(GRAFANA, tag="11.2.2")}, "p")
    assert _changed_lines(old, new) == [
        ("    newTag: 1.4.2", "    newTag: 1.4.3"),
        ('    newTag: "11.2.0"   # quoted on purpose: the quotes must survive',
         '    newTag: "11.2.2"   # quoted on purpose: the quotes must survive'),
    ]


def test_edit_quotes_a_tag_that_would_read_as_a_number():
    new = edit("images:\n  - name: a\n    newTag: v1\n", {"a": Image("a", tag="1.10")}, "p")
    assert new == 'images:\n  - name: a\n    newTag: "1.10"\n'
    assert read(new, "p")["a"].tag == "1.10"


def test_edit_adds_and_removes_fields_at_the_entry_indentation():
    old = "images:\n    - name: a   # keep\n      newTag: 1.0.0\n    - name: b\n      newTag: 2.0.0\n"
    with_digest = edit(old, {"a": Image("a", tag="1.1.0", digest=DIGEST)}, "p")
    assert with_digest == f"images:\n    - name: a   # keep\n      newTag: 1.1.0\n      digest: {DIGEST}\n    - name: b\n      newTag: 2.0.0\n"
    digest_only = edit(with_digest, {"a": Image("a", digest=DIGEST)}, "p")
    assert digest_only == f"images:\n    - name: a   # keep\n      digest: {DIGEST}\n    - name: b\n      newTag: 2.0.0\n"


def test_edit_replaces_values_in_flow_entries():
    new = edit("images: [{name: a, newTag: '1.0'}]\n", {"a": Image("a", "b/a", "1.1")}, "p")
    assert new == "images: [{name: a, newTag: '1.1', newName: b/a}]\n"


def test_edit_refuses_unknown_entries():
    with pytest.raises(GitOpsError, match="p: no images entry named 'zzz'"):
        edit(FIXTURE.read_text(), {"zzz": Image("zzz", tag="1")}, "p")


DUPLICATE_TAG = """images:
  - name: ghcr.io/fks-trading/fks-execution
    newTag: 1.4.2
    newTag: 9.9.9
"""


def test_read_and_edit_refuse_a_key_given_twice():
    for attempt in (lambda: read(DUPLICATE_TAG, "overlays/prod/kustomization.yaml"),
                    lambda: edit(DUPLICATE_TAG, {EXEC: Image(EXEC, None, "1.4.3")}, "overlays/prod/kustomization.yaml")):
        with pytest.raises(GitOpsError) as err:
            attempt()
        assert str(err.value) == "overlays/prod/kustomization.yaml:4:5: duplicate key 'newTag' (first at line 3); remove one"


def test_edit_of_unique_keys_still_works():
    text = DUPLICATE_TAG.replace("    newTag: 9.9.9\n", "")
    assert edit(text, {EXEC: Image(EXEC, None, "1.4.3")}, "k") == text.replace("1.4.2", "1.4.3")
