"""detect-secrets in-process, with the plugins, filters and known findings of `.secrets.baseline`.

    scanner = Scanner.load(repo)                      # GitOpsError when the baseline is missing or broken
    with scanner.active():                            # detect-secrets keeps its settings in one global
        found = scanner.scan("base/x/configmap.yaml", text)   # [Finding], line numbers of `text`
    scanner.known(found[0])                           # in the baseline, so not reported

Each plugin only reports a line its own pattern matches (a regex plugin's patterns, a keyword
of the keyword plugin, a quoted string long enough to pass an entropy limit), so one pass of all
of them over the whole text picks the few lines worth detect-secrets' per-line work, and there
only the plugins whose pattern matched and whose own matching finds something in the line run
(seal/triggers.py): line by line with every plugin, detect-secrets takes seconds over this
repository. In YAML, values are quoted and comment lines left out first, as
detect-secrets' YAML transformer does (so the entropy plugins see values, and results match
`detect-secrets scan`, which writes the baseline). Regenerate the baseline with the tool itself:
`detect-secrets scan --baseline .secrets.baseline` (README: Plaintext secrets).
"""
from __future__ import annotations

import bisect
import contextlib
import hashlib
import json
import os
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from fks_gitops import resultcache
from fks_gitops.errors import GitOpsError
from fks_gitops.seal import needles, triggers

BASELINE = ".secrets.baseline"
_YAML_VALUE = re.compile(r"^(\s*(?:-\s+)?[^\s:#'\"][^:#]*:\s+)([^\s'\"#|>&*!{\[][^#]*?)\s*$")


@dataclass(frozen=True)
class Finding:
    file: str
    line: int
    type: str  # the plugin's secret type, e.g. "AWS Access Key"
    hashed: str  # detect-secrets' SHA-1 of the secret: never the secret itself


class Scanner:
    def __init__(self, baseline: dict, text: str = "") -> None:
        # What a clean result depends on, for resultcache: the baseline and detect-secrets' version.
        # The installed package (its dist-info's version and files), found without importing it:
        # detect_secrets.__version__ loads every plugin, importlib.metadata costs 20 ms a run.
        version = resultcache.package_identity("detect_secrets")
        self.identity = hashlib.sha256(f"{version}\0{text}".encode()).hexdigest()
        self._lock = threading.Lock()  # detect-secrets' settings are one global: one user at a time
        self._settings = {k: baseline[k] for k in ("plugins_used", "filters_used")}
        self._known = {(f, r["hashed_secret"], r["type"]) for f, rs in baseline.get("results", {}).items()
                       for r in rs if r.get("is_secret") is not True}
        self._known_anywhere = {(h, t) for _, h, t in self._known}
        self._triggers: list[tuple[object, re.Pattern, bool]] | None = None  # plugin, its pattern, on folded text
        self._patterns: list[tuple[re.Pattern, bool, tuple | None]] | None = None  # those, maybe remembered, and their needles
        self._stack: contextlib.ExitStack | None = None
        self._can: dict[tuple[int, str, str], bool] = {}  # (plugin, file type, line) -> can_report's answer

    @classmethod
    def load(cls, repo: Path) -> Scanner:
        try:
            text = (repo / BASELINE).read_text()
            return cls(json.loads(text), text)
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise GitOpsError(f"{BASELINE}: cannot read it ({type(exc).__name__}); regenerate it with "
                              f"`detect-secrets scan > {BASELINE}`") from None

    @contextlib.contextmanager
    def active(self) -> Iterator[None]:
        """detect-secrets loads on the first scan inside that a trigger matches: none when every
        file and commit is remembered clean (leaks.py) or holds nothing secret-like."""
        with self._lock, contextlib.ExitStack() as self._stack:
            try:
                yield
            finally:
                self._stack, self._triggers, self._can = None, None, {}

    def _plugins(self) -> list[tuple[object, re.Pattern, bool]]:
        if self._triggers is None:
            from detect_secrets.settings import get_plugins, get_settings, transient_settings  # noqa: PLC0415

            assert self._stack is not None, "scan() outside active()"
            self._stack.enter_context(transient_settings(self._settings))
            # Files are read here, relative to the repository, and a commit's may be gone: the
            # filter that drops a name missing from the current folder must not run.
            get_settings().disable_filters("detect_secrets.filters.common.is_invalid_file")
            self._triggers = [(plugin, *triggers.trigger(plugin)) for plugin in get_plugins()]
        return self._triggers

    def _triggers_only(self) -> list[tuple[re.Pattern, bool, tuple | None]]:
        """Each plugin's trigger (pattern, on folded text, its needles), in the plugins' order,
        remembered by the baseline, detect-secrets' version and seal/triggers.py: a scan none of
        them matches (an edited file with nothing secret-like) loads no detect-secrets, whose
        imports cost more than the scan."""
        if self._patterns is None:
            key = resultcache.digest("detect-secrets triggers", self.identity, triggers.digest())
            try:
                kept = json.loads(resultcache.read(f"triggers-{key}.json") or "null")
                self._patterns = [(_Lazy(p, f), folded, tuple(map(tuple, n)) if n is not None else None)
                                  for p, f, folded, n in kept] if kept else None
            except (ValueError, TypeError):
                self._patterns = None  # a damaged entry is a miss (a pattern that does not compile: scan())
            if self._patterns is None:
                self._patterns = [(t, folded, needles.needles(t.pattern, t.flags, folded)) for _, t, folded in self._plugins()]
                resultcache.write(f"triggers-{key}.json", json.dumps([(t.pattern, t.flags, folded, n)
                                                                      for t, folded, n in self._patterns]))
        return self._patterns

    def _can_report(self, plugin: object, rel: str, line: str) -> bool:
        """triggers.can_report, once a run per plugin, file type (detect-secrets' is the name's
        extension) and line: history adds the lines the tree holds, and overlays repeat lines."""
        key = (id(plugin), os.path.splitext(rel)[1], line)
        if key not in self._can:
            self._can[key] = triggers.can_report(plugin, rel, line)
        return self._can[key]

    def known(self, finding: Finding, anywhere: bool = False) -> bool:
        """Listed in the baseline (audited as not a secret, or simply known) for its file; with
        `anywhere`, for any file (a commit's finding, whose file may be gone)."""
        if anywhere:
            return (finding.hashed, finding.type) in self._known_anywhere
        return (finding.file, finding.hashed, finding.type) in self._known

    def scan(self, rel: str, text: str, numbers: list[int] | None = None) -> list[Finding]:
        """Findings in `text` (inside active()); `numbers`: each line's number in the file, when
        `text` holds only some of its lines (a commit's added lines)."""
        lines = plugin_lines(rel, text)
        if rel.endswith((".yaml", ".yml")):
            text = "\n".join(lines)
        folded = needles.fold(text)  # one character for one: every newline where it was
        texts = {False: _Text(text), True: _Text(folded)}
        patterns = self._triggers_only()
        try:
            picked = _picked(patterns, texts, text, folded)
        except re.error:  # a damaged kept trigger: the plugins' own
            self._patterns = patterns = [(t, f, needles.needles(t.pattern, t.flags, f)) for _, t, f in self._plugins()]
            picked = _picked(patterns, texts, text, folded)
        if not any(picked):
            return []  # no plugin can report here, and detect-secrets' filters only drop findings
        plugins = self._plugins()
        if [(t.pattern, t.flags, f) for _, t, f in plugins] != [(t.pattern, t.flags, f) for t, f, _ in patterns]:
            picked = [texts[on_folded].lines_matching(trigger) for _, trigger, on_folded in plugins]  # not what was kept
        from detect_secrets.core import scan as ds_scan  # noqa: PLC0415 - loaded by _plugins

        if ds_scan._is_filtered_out(required_filter_parameters=["filename"], filename=rel):
            return []
        wanted: dict[int, list] = {}
        for (plugin, _, _), indexes in zip(plugins, picked):
            for index in indexes:
                wanted.setdefault(index, []).append(plugin)
        found = []
        for index, plugins in sorted(wanted.items()):
            number = numbers[index] if numbers else index + 1
            found += [Finding(rel, number, s.type, s.secret_hash) for s in _line(rel, lines, index, plugins, self._can_report)]
        return list(dict.fromkeys(found))


class _Lazy:
    """A kept trigger, compiled when a text first holds one of its needles: compiling all of
    them costs about 20 ms a run, and a one-file edit usually needs a few or none."""

    def __init__(self, pattern: str, flags: int) -> None:
        self.pattern, self.flags, self._compiled = pattern, flags, None

    def get(self) -> re.Pattern:
        if self._compiled is None:
            self._compiled = re.compile(self.pattern, self.flags)
        return self._compiled


def _picked(patterns: list, texts: dict, text: str, folded: str) -> list[set[int]]:
    """Per trigger, the lines it matches; none where the text holds none of its needles."""
    return [texts[on_folded].lines_matching(trigger.get() if isinstance(trigger, _Lazy) else trigger)
            if needles.may_match(found, text, folded) else set() for trigger, on_folded, found in patterns]


def plugin_lines(rel: str, text: str) -> list[str]:
    """The lines of `text` as the plugins see them: in YAML, comments blank and values quoted."""
    lines = text.splitlines()
    if rel.endswith((".yaml", ".yml")):
        lines = ["" if ln.lstrip().startswith("#") else _YAML_VALUE.sub(r'\1"\2"', ln) for ln in lines]
    return lines


class _Text:
    def __init__(self, text: str) -> None:
        self.text, self._starts = text, None

    def lines_matching(self, pattern: re.Pattern) -> set[int]:
        """0-based indexes of the lines a match of `pattern` starts or ends on."""
        found: set[int] = set()
        for match in pattern.finditer(self.text):
            if self._starts is None:
                self._starts = [0, *(m.end() for m in re.finditer("\n", self.text))]
            found.update(bisect.bisect_right(self._starts, i) - 1 for i in (match.start(), max(match.start(), match.end() - 1)))
        return found


def _line(rel: str, lines: list[str], index: int, plugins: list, can_report: Callable[[object, str, str], bool]) -> Iterator:
    """detect-secrets' own per-line work (core/scan.py `_process_line_based_plugins`) for one line."""
    from detect_secrets.core import scan as ds_scan  # noqa: PLC0415 - loaded by Scanner._plugins
    from detect_secrets.util.code_snippet import get_code_snippet  # noqa: PLC0415

    if index >= len(lines):
        return
    line = lines[index].rstrip()
    plugins = [p for p in plugins if can_report(p, rel, line)]
    if not plugins:
        return
    context = get_code_snippet(lines=lines, line_number=index + 1)
    if ds_scan._is_filtered_out(required_filter_parameters=["line"], filename=rel, line=line, context=context):
        return
    for plugin in plugins:
        for secret in ds_scan._scan_line(plugin=plugin, filename=rel, line=line, line_number=index + 1, context=context):
            if not ds_scan._is_filtered_out(required_filter_parameters=["context"], filename=rel,
                                            secret=secret.secret_value, plugin=plugin, line=line, context=context):
                yield secret
