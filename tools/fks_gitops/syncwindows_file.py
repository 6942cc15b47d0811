"""The committed syncWindows of the environments' AppProject: written by tools/sync_windows.py,
compared by validate.

    path = write(config, dt.date(2026, 12, 1))      # argocd/projects/fks-trading.yaml, comments kept
    problems = check(project, config, today)        # project: an argocd.Manifest

The start date is recorded on the AppProject, so validate regenerates exactly what was
committed and a later run of the command differs only where environments.yaml or the calendar does.
"""
from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from fks_gitops import atomic, yamlload
from fks_gitops.environments import Config
from fks_gitops.errors import GitOpsError
from fks_gitops.problem import Problem
from fks_gitops.syncwindows import COMMAND, FROM, UNTIL, generate, horizon

FOLDER = "argocd"
WARN_DAYS = 90  # regenerate a quarter ahead: the windows of a year stop at the horizon


def _yaml() -> YAML:
    yaml = YAML()  # round trip: the file's comments and quoting stay
    yaml.width = 4096
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _project_file(config: Config) -> tuple[Path, list]:
    """The file under argocd/ defining the AppProject config.project, and its documents."""
    for path in sorted((config.repo / FOLDER).rglob("*.y*ml")):
        text = path.read_text()
        where = str(path.relative_to(config.repo))
        yamlload.refuse_duplicates(text, where)
        docs = list(_yaml().load_all(text))
        if any(_is_project(d, config.project) for d in docs):
            return path, docs
    raise GitOpsError(f"{FOLDER}/: no AppProject named {config.project!r} (argocd_project in environments.yaml)")


def _one_line(window: dict) -> CommentedMap:
    """A window as one flow mapping: a year of holidays reads as a list, one line each."""
    line = CommentedMap(window, schedule=DoubleQuotedScalarString(window["schedule"]))  # cron reads better quoted
    line.fa.set_flow_style()
    return line


def _is_project(doc: object, name: str) -> bool:
    return isinstance(doc, dict) and doc.get("kind") == "AppProject" and (doc.get("metadata") or {}).get("name") == name


def write(config: Config, start: dt.date) -> Path:
    """Set the project's syncWindows and their start and end annotations; return the file."""
    path, docs = _project_file(config)
    project = next(d for d in docs if _is_project(d, config.project))
    annotations = project["metadata"].setdefault("annotations", {})
    annotations[FROM], annotations[UNTIL] = start.isoformat(), horizon(start).isoformat()
    project.setdefault("spec", {})["syncWindows"] = [_one_line(w) for w in generate(config, start)]
    out = io.StringIO()
    _yaml().dump_all(docs, out)
    atomic.write(path, out.getvalue())
    return path


def _start(annotations: dict, project) -> tuple[dt.date | None, list[Problem]]:
    try:
        return dt.date.fromisoformat(str(annotations[FROM])), []
    except (KeyError, ValueError):
        message = f"annotation {FROM} is missing or not YYYY-MM-DD; run {COMMAND} to write the sync windows"
        return None, [project.problem("argocd.sync-windows", message, "metadata", "annotations", FROM)]


def check(project, config: Config, today: dt.date) -> list[Problem]:
    """Problems when the committed windows are not what COMMAND writes, or end within WARN_DAYS;
    `project` is an argocd.Manifest, so each problem has the line of its field."""
    annotations = (project.doc.get("metadata") or {}).get("annotations") or {}
    start, problems = _start(annotations, project)
    if start is None:
        return problems
    want, have = generate(config, start), (project.doc.get("spec") or {}).get("syncWindows") or []
    until = horizon(start)
    if have != want or str(annotations.get(UNTIL)) != until.isoformat():
        missing = [w["description"] for w in want if w not in have]
        extra = [w.get("description", w.get("schedule")) for w in have if w not in want]
        detail = f"{len(missing)} missing, {len(extra)} not from environments.yaml"
        first = (missing or extra or [f"{UNTIL} is not {until}"])[0]
        problems.append(project.problem("argocd.sync-windows",
                                        f"syncWindows differ from environments.yaml from {start} ({detail}; first: {first!r}); "
                                        f"run {COMMAND} --from {start}", "spec", "syncWindows"))
    if until - today <= dt.timedelta(days=WARN_DAYS):
        problems.append(project.problem("argocd.sync-windows-horizon",
                                        f"sync windows end {until}, within {WARN_DAYS} days; "
                                        f"run {COMMAND} to extend them a year from today", "metadata", "annotations", UNTIL))
    return problems
