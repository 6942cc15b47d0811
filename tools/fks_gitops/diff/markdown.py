"""validate --diff as a pull-request comment: a table of environments and risks, then each
environment collapsible with its object lines and diff, always under GitHub's size limit.

    body = markdown(diff, validation="3 environments, 114 objects, 0 errors ...")
    size(body) <= LIMIT    # True, however large the change

GitHub refuses a comment body over 65,536 characters. When the whole diff does not fit, the
longest object diffs are cut first (each to the same length, at a line), and the comment says
so; if even the object lines do not fit, each environment lists its riskiest objects and counts
the rest. The first line is MARKER, by which CI finds its own comment to update.
"""
from __future__ import annotations

import html
import re
from collections.abc import Callable

from fks_gitops.diff import risk
from fks_gitops.diff.compare import ObjectChange
from fks_gitops.diff.text import SIGN, counts, fields_said
from fks_gitops.diff.tree import Diff, EnvDiff

LIMIT = 65_536  # the API says "Body is too long (maximum is 65536 characters)"; github.com/orgs/community/discussions/27190
MARKER = "<!-- fks-gitops:rendered-diff -->"
SEVERE = (risk.TRADING_MODE, risk.RISK_LIMITS, risk.NETWORK, risk.RBAC, risk.DELETION, risk.SELECTOR)


def size(text: str) -> int:
    """UTF-8 bytes: never fewer than the characters (or UTF-16 units) GitHub counts."""
    return len(text.encode())


def markdown(diff: Diff, validation: str | None = None, limit: int = LIMIT) -> str:
    full = _body(diff, validation, None, None)
    if size(full) <= limit:
        return full
    longest = max((len(c.diff) for e in diff.envs for c in e.changes), default=0)
    cap = _largest(0, longest, lambda n: size(_body(diff, validation, n, None)) <= limit)
    if cap is not None:
        return _body(diff, validation, cap, None)
    most = max((len(e.changes) for e in diff.envs), default=0)
    lines = _largest(0, most, lambda n: size(_body(diff, validation, 0, n)) <= limit)
    body = _body(diff, validation, 0, lines or 0)
    return body if size(body) <= limit else _cut(body, limit)


def _largest(low: int, high: int, fits: Callable[[int], bool]) -> int | None:
    """The largest n in [low, high] with fits(n), assuming fits is monotone; None if not even low."""
    if not fits(low):
        return None
    while low < high:
        mid = (low + high + 1) // 2
        low, high = (mid, high) if fits(mid) else (low, mid - 1)
    return low


def _body(diff: Diff, validation: str | None, cap: int | None, lines: int | None) -> str:
    out = [MARKER, f"### Rendered diff against `{_code(diff.base)}` ({diff.sha[:7]})", ""]
    out += ["| environment | objects | risk |", "|---|---|---|"]
    for env in diff.envs:
        what = counts(env) if env.changes else html.escape(env.note or "no change")
        out.append(f"| {env.env} | {what} | {_risks(env) or '–'} |")
    if validation:
        out += ["", f"**validate:** {html.escape(validation)}"]
    if cap is not None:
        out += ["", "> [!NOTE]", "> The longest diffs are cut to fit GitHub's 65,536-character comment limit; "
                f"`tools/validate.py --diff {_code(diff.base)}` prints all of it."]
    for env in diff.envs:
        if env.changes:
            out += ["", *_env(env, cap, lines)]
    return "\n".join(out) + "\n"


def _env(env: EnvDiff, cap: int | None, lines: int | None) -> list[str]:
    risks = _risks(env, html_tags=True)
    note = f" · {html.escape(env.note)}" if env.note else ""
    out = [f"<details><summary><b>{env.env}</b>: {counts(env)}{' · ' + risks if risks else ''}{note}</summary>", ""]
    shown = env.changes if lines is None else env.changes[:lines]
    out += [_line(c) for c in shown]
    if len(shown) < len(env.changes):
        out.append(f"- … and {len(env.changes) - len(shown)} more objects (not shown: the comment limit)")
    body = "".join(_cut_diff(c.diff, cap) for c in env.changes) if cap != 0 else ""
    if body:
        fence = "`" * max(3, 1 + max((len(m) for m in re.findall(r"`+", body)), default=0))
        out += ["", f"{fence}diff", body.rstrip("\n"), fence]
    elif cap == 0:
        out += ["", "_Diff not shown: it does not fit in one comment._"]
    return [*out, "", "</details>"]


def _line(change: ObjectChange) -> str:
    fields = fields_said(change)
    classes = ", ".join(f"**{risk.TITLES[r]}**" if r in SEVERE else risk.TITLES[r] for r in change.risks)
    notes = "; ".join(f"`{_code(n)}`" for n in change.notes)
    return (f"- `{SIGN.get(change.action, '~')} {_code(change.ref)}` {change.action}"
            f"{' `' + _code(fields) + '`' if fields else ''} — {classes}{' — ' + notes if notes else ''}")


def _cut_diff(text: str, cap: int | None) -> str:
    if cap is None or len(text) <= cap:
        return text
    kept, used = [], 0
    lines = text.splitlines(keepends=True)
    for line in lines:
        if used + len(line) > cap:
            break
        kept.append(line)
        used += len(line)
    return "".join(kept) + f"# … {len(lines) - len(kept)} more lines of this object's diff cut (comment limit)\n"


def _risks(env: EnvDiff, html_tags: bool = False) -> str:
    present = sorted({r for c in env.changes for r in c.risks}, key=risk.rank)
    bold = ("<b>", "</b>") if html_tags else ("**", "**")
    return ", ".join(f"{bold[0]}{risk.TITLES[r]}{bold[1]}" if r in SEVERE else risk.TITLES[r] for r in present)


def _code(text: str) -> str:
    """Inside inline code nothing is markup, but a backtick would end it, and a pipe a table cell."""
    return text.replace("`", "'").replace("|", "¦")


def _cut(body: str, limit: int) -> str:
    """The last resort (thousands of environments): the start of the body and a word that it stops."""
    end = "\n\n_… cut here: the rest does not fit in one comment._\n"
    room = limit - size(end)
    return body.encode()[:room].decode(errors="ignore") + end
