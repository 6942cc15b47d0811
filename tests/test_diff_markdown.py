"""diff/markdown.py and diff/text.py: the comment body, whatever the size of the change."""
import copy

from conftest import find
from fks_gitops.diff import markdown, text
from fks_gitops.diff.compare import compare
from fks_gitops.diff.tree import Diff, EnvDiff

SHA = "0123456789abcdef0123456789abcdef01234567"


def _diff(rendered, edit):
    envs = []
    for name, docs in rendered.items():
        after = copy.deepcopy(docs)
        edit(after)
        envs.append(EnvDiff(name, compare(docs, after, name)))
    return Diff("origin/main", SHA, tuple(envs))


def _trading_mode(docs):
    data = find(docs, "ConfigMap", "fks-execution-config")["data"]
    data["TRADING_MODE"] = "paper" if data["TRADING_MODE"] == "live" else "live"


def _large(docs):
    """Every line of every dashboard and prometheus.yml changed: over a megabyte of diff."""
    _trading_mode(docs)
    for doc in docs:
        if doc["kind"] == "ConfigMap":
            doc["data"] = {k: "\n".join(f"{line} # edited" for line in v.splitlines()) + "\n" * 400
                           for k, v in (doc.get("data") or {}).items()}
        doc.setdefault("metadata", {}).setdefault("labels", {})["bulk"] = "x" * 3000


def test_a_small_change_is_whole(rendered):
    body = markdown.markdown(_diff(rendered, _trading_mode), "3 environments, 0 errors")
    assert body.splitlines()[0] == markdown.MARKER
    assert "| prod | 0 added, 0 removed, 1 changed | **TRADING_MODE** |" in body
    assert body.count("<details><summary>") == 3 and body.count("</details>") == 3
    assert "`TRADING_MODE live -> paper`" in body and "+  TRADING_MODE: paper" in body
    assert "comment limit" not in body and "**validate:** 3 environments, 0 errors" in body


def test_the_markdown_stays_under_the_size_limit_on_a_large_change(rendered):
    diff = _diff(rendered, _large)
    assert sum(len(c.diff) for e in diff.envs for c in e.changes) > 4 * markdown.LIMIT
    body = markdown.markdown(diff)
    assert markdown.size(body) <= markdown.LIMIT
    assert markdown.size(body) > markdown.LIMIT - 2000  # it uses the room it has
    assert "The longest diffs are cut to fit GitHub's 65,536-character comment limit" in body
    assert "more lines of this object's diff cut (comment limit)" in body
    assert body.count("<details>") == 3 and body.count("</details>") == 3  # every environment, each closed
    for env in diff.envs:  # every object still has its line
        assert all(f"`~ {c.ref}`" in body for c in env.changes)
    assert "| prod | 0 added, 0 removed, 38 changed | **TRADING_MODE**, " in body
    assert '`TRADING_MODE live -> "paper # edited' in body  # a value with new lines, quoted on one line


def test_too_many_objects_for_their_lines_are_counted(rendered):
    body = markdown.markdown(_diff(rendered, _large), limit=6000)
    assert markdown.size(body) <= 6000
    assert "more objects (not shown: the comment limit)" in body and "_Diff not shown" in body


def test_backticks_in_a_diff_get_a_longer_fence(rendered):
    def edit(docs):
        find(docs, "ConfigMap", "fks-execution-config")["data"]["LOG_FORMAT"] = "```json```"
    body = markdown.markdown(_diff(rendered, edit))
    assert "````diff" in body


def test_text_has_a_heading_a_line_per_object_and_the_diff(rendered):
    out = text.text(_diff(rendered, _trading_mode), ["summary line"]).splitlines()
    assert out[0] == "== dev: 1 object differs from origin/main (0123456): 0 added, 0 removed, 1 changed =="
    assert out[1] == ("~ ConfigMap/fks-trading-dev/fks-execution-config: changed data.TRADING_MODE [trading-mode] "
                      "TRADING_MODE paper -> live")
    assert out[3:5] == ["--- a/dev/ConfigMap/fks-trading-dev/fks-execution-config",
                        "+++ b/dev/ConfigMap/fks-trading-dev/fks-execution-config"]
    assert out[-1] == "summary line"


def test_an_environment_without_changes_says_so():
    diff = Diff("main", SHA, (EnvDiff("dev", ()), EnvDiff("qa", (), "new environment: overlays/qa is not in main")))
    assert text.text(diff).splitlines()[:2] == ["== dev: no change against main (0123456) ==", ""]
    assert "| qa | new environment: overlays/qa is not in main | – |" in markdown.markdown(diff)
