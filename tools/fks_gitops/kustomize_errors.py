"""kustomize's failure message as a person reads it, and the file and line it names.

    message = clean(proc.stderr, repo)              # no Go log framing, no machine paths
    location = where(message, repo, "overlays/prod")  # Location("base/x/deployment.yaml", 12), say
"""
from __future__ import annotations

import re
from pathlib import Path

from fks_gitops.problem import Location

_GO_LOG = re.compile(r'^[EWI]\d{4} [\d:.]+\s+\d+ \S+\] "command failed" err=(?:<|"(?P<inline>.*)")$')


def clean(stderr: str, root: Path) -> str:
    """kustomize's whole message, without kubectl's Go log framing and without this machine's paths."""
    lines = []
    for line in stderr.strip().splitlines():
        framed = _GO_LOG.match(line.strip())
        if framed:
            if framed["inline"]:
                lines.append(framed["inline"].replace('\\"', '"'))
            continue
        if line.strip() == ">":
            continue
        lines.append(line[1:] if line.startswith("\t") else line)
    text = "\n".join(ln.rstrip() for ln in lines if ln.strip())
    text = re.sub(r"^Error: ", "", text)
    for prefix in (f"{root.resolve()}/", f"{root.absolute()}/", f"{root}/"):
        text = text.replace(prefix, "")
    return text


_LINE = re.compile(r"\bline (\d+)")


def where(message: str, root: Path, label: str) -> Location:
    """The file (and line) a kustomize message names, else the overlay's kustomization.yaml at
    the line of the first name the message quotes from it (a patch path with a typo, say)."""
    for token in re.findall(r"[\w./-]+\.ya?ml", message):
        if (root / token).is_file() and not token.endswith(f"{label}/kustomization.yaml"):
            line = _LINE.search(message[message.find(token):])
            return Location(token, int(line[1]) if line else None)
    kustomization = f"{label}/kustomization.yaml"
    try:
        lines = (root / kustomization).read_text().splitlines()
    except OSError:
        return Location(kustomization)
    names = [t for t in re.findall(r"[\w.-]+\.ya?ml", message) if t != "kustomization.yaml"]
    for token in names:
        for number, text in enumerate(lines, 1):
            if token in text and not text.lstrip().startswith("#"):
                return Location(kustomization, number, text.index(token) + 1)
    return Location(kustomization)
