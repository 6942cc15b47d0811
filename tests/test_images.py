import sys
from pathlib import Path

import pytest

import promote as cli
from fks_gitops.cli import exit_code
from fks_gitops.errors import GitOpsError
from fks_gitops.promote.images import Image, Ref, apply_ref, edit, parse_ref, read, resolve

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "promote_lib"))
from promote_repo import make  # noqa: E402

FIXTURE = Path(__file__).parent / "fixtures" / "promote" / "overlays" / "prod" / "kustomization.yaml"
EXEC = "ghcr.io/fks-trading/fks-execution"
GRAFANA = "docker.io/grafana/grafana"
DIGEST = "sha256:" + "ab" * 32
ALLOWED = {"fks-execution": (EXEC, "mirror.example/fks-execution"), "grafana": (GRAFANA,)}


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


@pytest.mark.parametrize("text", ["", "a=b=c:1", "a b:1"])
def test_parse_ref_refuses_malformed_refs(text):
    with pytest.raises(GitOpsError, match="NEWNAME"):
        parse_ref(text)


LONG = "1" * 4301


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("app:", "image 'app:': tag '' is not an OCI tag: 1 to 128 of A-Za-z0-9_.- not starting with . or -"),
        ("app:.1", "tag '.1' is not an OCI tag"),
        ("app:-1", "tag '-1' is not an OCI tag"),
        ("app:" + "a" * 129, "is not an OCI tag"),
        (f"app:{LONG}", f"image 'app:{LONG[:36]}'... (4305 characters): tag '{LONG[:40]}'... (4301 characters) is not an OCI tag"),
        ("app@sha256:short", "digest 'sha256:short' is not sha256: and 64 lowercase hex digits"),
        ("app@sha256:" + "a" * 63, "is not sha256: and 64 lowercase hex digits"),
        ("app@sha256:" + "a" * 65, "is not sha256: and 64 lowercase hex digits"),
        ("app@sha256:" + "A" * 64, "is not sha256: and 64 lowercase hex digits"),
        ("app@SHA256:" + "a" * 64, "is not sha256: and 64 lowercase hex digits"),
        ("app@md5:" + "a" * 32, "digest 'md5:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' is not sha256"),
        ("fks-execution=../../../etc/passwd:1.0", "image name '../../../etc/passwd' is not a repository name like ghcr.io/org/app"),
        ("ghcr.io/../etc/passwd:1.0", "image name 'ghcr.io/../etc/passwd' is not a repository name"),
        ("ghcr.io//app:1.0", "is not a repository name"),
        ("/etc/passwd:1.0", "is not a repository name"),
        ("ghcr.io/Org/app:1.0", "is not a repository name"),
    ],
)
def test_parse_ref_refuses_what_the_oci_grammar_refuses_in_one_line(text, message):
    with pytest.raises(GitOpsError) as err:
        parse_ref(text)
    assert message in str(err.value) and "\n" not in str(err.value)
    assert exit_code(err.value) == 2


@pytest.mark.parametrize("tag", ["_x", "1.4.3", "v1.4.3-rc.1_2", "A" * 128])
def test_parse_ref_accepts_oci_tags(tag):
    assert parse_ref(f"{EXEC}:{tag}").tag == tag


@pytest.mark.parametrize("text", ["fks-execution:LATEST", "fks-execution:Latest", f"fks-execution:latest@{DIGEST}"])
def test_apply_ref_refuses_latest_in_any_case_even_with_a_digest(text):
    with pytest.raises(GitOpsError, match="latest|moves under the same name") as err:
        apply_ref(Image(EXEC, tag="1.4.2"), parse_ref(text), ALLOWED)
    assert exit_code(err.value) == 2


def test_apply_ref_refuses_a_repository_not_listed_for_the_component():
    with pytest.raises(GitOpsError) as err:
        apply_ref(Image(EXEC, tag="1.4.2"), parse_ref("fks-execution=evil.example.com/cryptominer:1.0"), ALLOWED)
    assert str(err.value) == (
        "image 'evil.example.com/cryptominer:1.0': repository 'evil.example.com/cryptominer' is not allowed "
        f"for fks-execution; allowed: {EXEC}, mirror.example/fks-execution"
    )
    with pytest.raises(GitOpsError, match=f"repository '{GRAFANA}' is not allowed for fks-execution"):
        apply_ref(Image(EXEC, tag="1.4.2"), parse_ref(f"fks-execution={GRAFANA}:1.0"), ALLOWED)


def test_apply_ref_refuses_a_component_environments_yaml_does_not_list():
    with pytest.raises(GitOpsError) as err:
        apply_ref(Image("quay.io/prometheus/loki", tag="1"), parse_ref("loki:2"), ALLOWED)
    assert str(err.value).endswith("component 'loki' is not in environments.yaml images:; allowed: fks-execution, grafana")


@pytest.mark.parametrize(
    "ref",
    [
        "fks-execution=evil.example.com/cryptominer:1.0",
        "fks-execution=../../../etc/passwd:1.0",
        "fks-execution:LATEST",
        "fks-execution:1.4.3@sha256:" + "a" * 63,
        f"fks-execution:{LONG}",
    ],
)
def test_promote_refuses_bad_references_with_exit_2_before_writing(tmp_path, capsys, ref):
    work = make(tmp_path)
    state = work.state()
    code = cli.main(["--repo", str(work.path), "--to", "dev", "--image", ref])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert work.state() == state


def test_promote_takes_a_listed_repository_and_a_digest(tmp_path, capsys, monkeypatch):
    from fks_gitops.promote import promotion
    monkeypatch.setattr(promotion, "validate_target", lambda repo, env, docs: [])
    work = make(tmp_path)
    code = cli.main(["--repo", str(work.path), "--to", "dev", "--image", f"fks-execution={EXEC}:1.4.3@{DIGEST}"])
    assert code == 0, capsys.readouterr()
    assert f"digest: {DIGEST}" in work.kustomization("dev").read_text()


def test_apply_ref_requires_a_pinned_version():
    current = Image(EXEC, tag="1.4.2")
    assert apply_ref(current, parse_ref("fks-execution:1.4.3"), ALLOWED) == Image(EXEC, tag="1.4.3")
    assert apply_ref(current, parse_ref(f"fks-execution@{DIGEST}"), ALLOWED).pinned
    for unpinned in ("fks-execution", "fks-execution:latest"):
        with pytest.raises(GitOpsError, match="not pinned") as exc:
            apply_ref(current, parse_ref(unpinned), ALLOWED)
        assert exit_code(exc.value) == 2


def test_apply_ref_with_a_name_sets_new_name_like_kustomize():
    moved = apply_ref(Image(EXEC, tag="1.4.2"), parse_ref("fks-execution=mirror.example/fks-execution:1.4.3"), ALLOWED)
    assert moved == Image(EXEC, "mirror.example/fks-execution", "1.4.3")
    assert moved.ref == "mirror.example/fks-execution:1.4.3"
    back = apply_ref(moved, parse_ref(f"fks-execution={EXEC}:1.4.4"), ALLOWED)
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
