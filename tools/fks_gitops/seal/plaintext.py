"""No tracked file holds a plaintext Secret, a private key, or a secret set in a dotenv or a shell
script (seal.py --verify check 4; detect-secrets runs beside it, seal/leaks.py).

    problems = check_plaintext(repo, files)   # RepoContext.files: tracked, or one `git add` away

A Secret counts wherever a person may have pasted one: a YAML or JSON file (also a backup such as
`x.yaml.bak`), a fenced block of a Markdown file, `kind: !!str Secret`. A private key counts as
PEM, PGP or PuTTY, and as the base64 of a PEM block (a key inside a ConfigMap value).
"""
from __future__ import annotations

import base64
import binascii
import re
from pathlib import Path

import yaml

from fks_gitops import yamldepth, yamlload
from fks_gitops.problem import Problem, in_file

# Larger files are data, not something a person typed a Secret or dotenv into: only the cheap
# private-key search runs on them (a key pasted into a big dump is still a leak).
MAX_SCAN = 1 << 20
_PRIVATE_KEY = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|^PuTTY-User-Key-File-\d+:", re.MULTILINE)
_PEM_BASE64 = re.compile(r"LS0tLS1CRUdJT[A-Za-z0-9+/]{20,}")  # base64 of "-----BEGIN", from its first byte
# Parse only files that may hold a Secret; SealedSecrets and everything else are skipped fast.
_SECRET_KIND = re.compile(r"""["']?kind["']?\s*:\s*(?:!!str\s+|!<tag:yaml\.org,2002:str>\s*)?["']?Secret["']?\s*(?:$|[,}#])""",
                          re.MULTILINE)
_MANIFEST_NAME = re.compile(r"\.(?:ya?ml|json)(?:\.[^/]*)?$")  # x.yaml, and its backups: x.yaml.bak, x.yml~
_FENCE = re.compile(r"^(\s*)(```|~~~)[^\n]*\n(.*?)^\1\2", re.MULTILINE | re.DOTALL)
_DOTENV_NAME = re.compile(r"(^|/)(\.env[^/]*|[^/]+\.env|[^/]*\.envrc)$")
_DOTENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*?)\s*$")
_SHELL_NAME = re.compile(r"\.(?:sh|bash|zsh|ksh)$")
# A name that says it holds a secret (env vars, shell variables, ConfigMap keys).
SECRET_NAME = re.compile(r"(?i)pass(?:word|wd)?(?:$|_)|pwd|secret|token|api_?key|private_?key|credential|access_?key")

def check_plaintext(repo: Path, files: list[str], contents=None) -> list[Problem]:
    """Check 4 over `files`: what git tracks, plus untracked files it does not ignore (RepoContext.files).
    A file that scanned clean is remembered by its path and content and the check code (envcache.FileScan)."""
    from fks_gitops import envcache  # noqa: PLC0415 - envcache imports the render machinery

    contents, problems = contents or envcache.Contents(repo), []  # `contents`: the run's envcache.Contents
    with envcache.FileScan("plaintext", contents) as scanned:
        for rel in files:
            problems += scanned(rel, lambda data: _file(rel, data))
    return problems


def _file(rel: str, data: bytes | None) -> list[Problem]:
    text = _decoded(data)
    return [] if text is None else _scan(rel, text, parse=len(data) <= MAX_SCAN)


def _decoded(data: bytes | None) -> str | None:
    if data is None or b"\0" in data[:8192]:
        return None
    try:
        return data.decode()
    except UnicodeDecodeError:
        return None


def _scan(rel: str, text: str, parse: bool = True) -> list[Problem]:
    found = [m.start() for m in _PRIVATE_KEY.finditer(text)]
    found += [m.start() for m in _PEM_BASE64.finditer(text) if _private_key_pem(m.group())]
    problems = [
        in_file(rel, "secrets.plaintext", "error", "private key in a tracked file; remove it and rotate the key",
                text.count("\n", 0, at) + 1)
        for at in sorted(found)
    ]
    if not parse:
        return problems
    if _MANIFEST_NAME.search(rel) and _SECRET_KIND.search(text):
        problems += _plaintext_secrets(rel, text)
    if rel.endswith(".md") and _SECRET_KIND.search(text):
        for block in _FENCE.finditer(text):
            offset = text.count("\n", 0, block.start(3))
            problems += [in_file(rel, p.rule, p.level, p.message, (p.location.line or 1) + offset)
                         for p in _plaintext_secrets(rel, block.group(3))]
    if _DOTENV_NAME.search(rel):
        problems += _dotenv_values(rel, text)
    elif _SHELL_NAME.search(rel) or text.startswith("#!/"):
        problems += _shell_secrets(rel, text)
    return problems


def _plaintext_secrets(rel: str, text: str) -> list[Problem]:
    found = []
    try:
        loader = yamldepth.CSafeLoader(text)
        while loader.check_node():
            node = loader.get_node()
            found += [(yamlload.position(node, at)[0], s) for at, s in _secrets_in(loader.construct_document(node))]
    except yaml.YAMLError:
        pass  # unparsable YAML is the schema check's to report; the documents before it were scanned
    return [
        in_file(rel, "secrets.plaintext", "error",
                f"Secret {name!r} holds plaintext {field}; seal it with tools/seal.py and remove this one", line)
        for line, (name, field) in found
    ]


def _secrets_in(doc: object) -> list[tuple[tuple, tuple[str, str]]]:
    """(path of the field in the document, (Secret name, field)) for each field with values."""
    if not isinstance(doc, dict):
        return []
    if str(doc.get("kind", "")).endswith("List"):
        return [(("items", i, *at), s) for i, item in enumerate(doc.get("items") or []) for at, s in _secrets_in(item)]
    if doc.get("kind") != "Secret":
        return []
    name = str((doc.get("metadata") or {}).get("name", "?"))
    return [
        ((field,), (name, field)) for field in ("data", "stringData")
        if isinstance(doc.get(field), dict) and any(v not in (None, "") for v in doc[field].values())
    ]


def _dotenv_values(rel: str, text: str) -> list[Problem]:
    problems = []
    for number, line in enumerate(text.splitlines(), 1):
        match = _DOTENV_LINE.match(line)
        if match and match.group(2).strip("\"'"):
            problems.append(in_file(rel, "secrets.plaintext", "error",
                                    f"{match.group(1)} has a value in a tracked dotenv file; "
                                    "keep the file outside the repository or leave values empty", number))
    return problems


def _private_key_pem(encoded: str) -> bool:
    """Whether base64 `encoded` starts a PEM private key block."""
    head = encoded[: len(encoded) // 4 * 4][:96]
    try:
        decoded = base64.b64decode(head)
    except (binascii.Error, ValueError):
        return False
    return bool(_PRIVATE_KEY.match(decoded.decode(errors="replace")))


def _shell_secrets(rel: str, text: str) -> list[Problem]:
    """`export PASSWORD=literal` in a script: a value that is not a reference ($VAR, $(cmd))."""
    problems = []
    for number, line in enumerate(text.splitlines(), 1):
        match = _DOTENV_LINE.match(line)
        value = match.group(2).strip("\"'") if match else ""
        if match and SECRET_NAME.search(match.group(1)) and value and not value.startswith("$"):
            problems.append(in_file(rel, "secrets.plaintext", "error",
                                    f"{match.group(1)} is set to a literal in a script; read it from the environment "
                                    "or a file outside the repository", number))
    return problems
