"""Plaintext secret values from dotenv files, literals and files, read into memory only.

    values = collect(repo, env_files=["../prod.env"], literals=["A=b"], files=["tls.crt=../tls.crt"])
    values  # {"A": b"b", ...}

A path of `-` reads standard input (once). Files inside the repository are refused unless git
ignores them and does not track them: plaintext must never be one `git add` away from a commit.
Messages never quote a value, only key names, files and line numbers.
"""
from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from fks_gitops.errors import GitOpsError
from fks_gitops.repo_git import Git

# Kubernetes' IsConfigMapKey, which Secret keys follow too.
_KEY = re.compile(r"[-._a-zA-Z0-9]+")
_EXPORT = re.compile(r"^export\s+")


def check_key(key: str, where: str) -> str:
    if not _KEY.fullmatch(key) or len(key) > 253 or key == "." or key.startswith(".."):
        raise GitOpsError(
            f"{where}: {key!r} is not a valid Secret key; use letters, digits, '-', '_' and '.' (at most 253)"
        )
    return key


def _unquote(value: str) -> str:
    # Like docker compose: one pair of matching outer quotes is dropped; no escapes, no inline comments.
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def parse_dotenv(text: str, where: str) -> list[tuple[str, bytes]]:
    """`KEY=value` lines (optionally `export KEY=value`); blank lines and `#` comments are skipped."""
    pairs = []
    for number, line in enumerate(text.splitlines(), 1):
        stripped = _EXPORT.sub("", line.strip())
        if not stripped or stripped.startswith("#"):
            continue
        key, sep, value = stripped.partition("=")
        if not sep or not key.strip():
            raise GitOpsError(f"{where}:{number}: malformed line; expected KEY=value")
        key = check_key(key.strip(), f"{where}:{number}")
        pairs.append((key, _unquote(value.strip()).encode()))
    return pairs


def parse_literal(spec: str) -> tuple[str, bytes]:
    key, sep, value = spec.partition("=")
    if not sep:
        raise GitOpsError("--from-literal: expected KEY=VALUE, got an argument without '='")
    return check_key(key, "--from-literal"), value.encode()


def guard(path: Path, repo: Path) -> None:
    """Refuse a file inside `repo` that git tracks or does not ignore."""
    real, top = path.resolve(), repo.resolve()
    if not real.is_relative_to(top):
        return
    rel = str(real.relative_to(top))
    try:
        git = Git.open(top)
    except GitOpsError:
        raise GitOpsError(f"{rel}: cannot tell whether git ignores it; move it outside the repository") from None
    if git.ok("ls-files", "--error-unmatch", "--", rel):
        raise GitOpsError(f"{rel}: git tracks this file; keep secret inputs outside the repository")
    ignored = git.run("check-ignore", "-q", "--", rel, check=False)
    if ignored.returncode == 1:
        raise GitOpsError(f"{rel}: inside the repository and not ignored by git; move it outside the repository")
    if ignored.returncode != 0:
        raise GitOpsError(f"{rel}: cannot tell whether git ignores it; move it outside the repository")


class _Reader:
    def __init__(self, repo: Path, stdin: BinaryIO) -> None:
        self.repo, self.stdin, self.used_stdin = repo, stdin, False

    def read(self, name: str, option: str) -> bytes:
        if name == "-":
            if self.used_stdin:
                raise GitOpsError(f"{option}: standard input ('-') can be read only once")
            self.used_stdin = True
            return self.stdin.read()
        path = Path(name).expanduser()
        guard(path, self.repo)
        try:
            return path.read_bytes()
        except OSError as exc:
            raise GitOpsError(f"{option}: cannot read {name}: {exc.strerror}") from None


def _file_pairs(reader: _Reader, env_files: Iterable[str], files: Iterable[str]) -> list[tuple[str, bytes]]:
    pairs = []
    for name in env_files:
        try:
            text = reader.read(name, "--from-env-file").decode()
        except UnicodeDecodeError:
            raise GitOpsError(f"--from-env-file: {name} is not UTF-8 text") from None
        pairs.extend(parse_dotenv(text, name))
    for spec in files:
        key, sep, name = spec.partition("=")
        if not sep:  # like kubectl: the key defaults to the file's name
            key, name = Path(spec).name, spec
        pairs.append((check_key(key, "--from-file"), reader.read(name, "--from-file")))
    return pairs


def collect(
    repo: Path,
    env_files: Iterable[str] = (),
    literals: Iterable[str] = (),
    files: Iterable[str] = (),
    stdin: BinaryIO | None = None,
) -> dict[str, bytes]:
    """All inputs -> {key: value}; refuses duplicates, invalid keys and unsafe files before returning."""
    reader = _Reader(repo, stdin or sys.stdin.buffer)
    pairs = [parse_literal(s) for s in literals] + _file_pairs(reader, env_files, files)
    values: dict[str, bytes] = {}
    for key, value in pairs:
        if key in values:
            raise GitOpsError(f"duplicate key {key!r}; give each key once")
        values[key] = value
    if not values:
        raise GitOpsError("no keys given; use --from-env-file, --from-literal or --from-file")
    return values
