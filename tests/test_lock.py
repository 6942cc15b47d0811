"""requirements.lock: every Python dependency, direct and indirect, pinned with hashes, at the
versions pyproject.toml names (regenerate it with the pip-compile line in the README)."""
from __future__ import annotations

import re
import tomllib

from conftest import REPO

ENTRY = re.compile(r"^([A-Za-z0-9._-]+)==(\S+) \\$((?:\n    --hash=sha256:[0-9a-f]{64}(?: \\)?)+)", re.MULTILINE)


def _name(text: str) -> str:
    return re.sub(r"[-_.]+", "-", text).lower()


def locked() -> dict[str, str]:
    text = (REPO / "requirements.lock").read_text()
    entries = {_name(m[1]): m[2] for m in ENTRY.finditer(text)}
    assert len(entries) == len(re.findall(r"^\S+==", text, re.MULTILINE)), "an entry without hashes"
    return entries


def test_every_direct_dependency_is_locked_at_its_pin():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    direct = project["dependencies"] + project["optional-dependencies"]["test"]
    pins = {_name(d.split("==")[0]): d.split("==")[1].split()[0] for d in direct}
    lock = locked()
    assert {name: lock.get(name) for name in pins} == pins


def test_indirect_dependencies_are_locked_too():
    assert {"rpds-py", "referencing", "cffi", "pluggy"} <= set(locked())
