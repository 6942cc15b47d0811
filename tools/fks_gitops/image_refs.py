"""Whether an image reference may run: the one judgement promote (before it writes) and
validate (the image-references check) share.

    split("ghcr.io/fks-trading/fks-execution:1.4.3")  # ("ghcr.io/fks-trading/fks-execution", "1.4.3", None)
    findings("fks-execution", "evil.example.com/cryptominer", "1.0", None, config.images)
    # [("repository", "repository 'evil.example.com/cryptominer' is not allowed for fks-execution; ...")]

Tags and digests follow the OCI distribution spec
(https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pulling-manifests);
names follow distribution/reference's grammar, which has no room for `..` or empty segments.
"""
from __future__ import annotations

import re
from collections.abc import Mapping

TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")  # the one algorithm registries agree on, lowercase as they write it
_PART = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
NAME = re.compile(rf"(?:{_LABEL}(?:\.{_LABEL})*(?::[0-9]+)?/)?{_PART}(?:/{_PART})*")
MAX_NAME = 255  # the longest name registries take; checked before any pattern runs
_SHOWN = 40

Finding = tuple[str, str]  # (rule without its check's prefix, message)


def split(image: str) -> tuple[str, str | None, str | None]:
    """`repo[:tag][@digest]` -> (repo, tag, digest); a registry's port is no tag."""
    rest, at, digest = image.partition("@")
    colon = rest.rfind(":")
    if colon > rest.rfind("/"):
        return rest[:colon], rest[colon + 1:], digest if at else None
    return rest, None, digest if at else None


def quote(value: str) -> str:
    """`value` quoted, cut short when long: a message stays one readable line."""
    if len(value) <= _SHOWN:
        return repr(value)
    return f"{value[:_SHOWN]!r}... ({len(value)} characters)"


def is_latest(tag: str | None) -> bool:
    return tag is not None and tag.lower() == "latest"


def findings(component: str | None, repository: str, tag: str | None, digest: str | None,
             allowed: Mapping[str, tuple[str, ...]] | None) -> list[Finding]:
    """What is wrong with `repository[:tag][@digest]` for `component` (None: for any component);
    `allowed` None judges the grammar alone."""
    found = []
    if len(repository) > MAX_NAME or not NAME.fullmatch(repository):
        found.append(("name", f"image name {quote(repository)} is not a repository name like ghcr.io/org/app"))
    elif allowed is not None and repository not in (allowed.get(component, ()) if component else _every(allowed)):
        found.append(("repository", _not_allowed(component, repository, allowed)))
    if tag is not None and not TAG.fullmatch(tag):
        found.append(("tag", f"tag {quote(tag)} is not an OCI tag: 1 to 128 of A-Za-z0-9_.- not starting with . or -"))
    elif is_latest(tag):
        found.append(("latest", f"tag {quote(tag)} moves under the same name; pin a version"))
    if digest is not None and not DIGEST.fullmatch(digest):
        found.append(("digest", f"digest {quote(digest)} is not sha256: and 64 lowercase hex digits"))
    return found


def _every(allowed: Mapping[str, tuple[str, ...]]) -> set[str]:
    return {repo for repos in allowed.values() for repo in repos}


def _not_allowed(component: str | None, repository: str, allowed: Mapping[str, tuple[str, ...]]) -> str:
    where = "environments.yaml images:"
    if component is None:
        return f"repository {quote(repository)} is not in {where}; allowed: {', '.join(sorted(_every(allowed))) or 'none'}"
    if component in allowed:
        return f"repository {quote(repository)} is not allowed for {component}; allowed: {', '.join(allowed[component])}"
    return f"component {quote(component)} is not in {where}; allowed: {', '.join(allowed) or 'none'}"
