"""The promotion audit (validate's `promotions` check): every change to a gated environment's
images on main's first-parent history since `audit.since`, re-derived from git and re-gated.

    problems = check(ctx)     # RepoContext; reads the ledger once

What a commit says about itself (its date, its trailers) is a claim: the audit re-derives each
fact (the diff, the source commit, the soak) and re-runs the replayable GATES at the commit's
trusted time. Reported, each naming the commit and the fix: hand edits, trailers that lie, gates
that failed without Break-Glass, promotion commits that touch other files, back- and
forward-dated commits, and uncommitted edits of gated images in the working tree. Break-glass
uses are warnings, shown on every run. History the audit cannot see is an error, never a skip.

Verification asked the source environment's Prometheus at the promotion's time. The commit
records it (a `Verified` trailer per passing check, an `Unverified` one per failure Break-Glass
let through); promotions_verify.py checks that record against the checks of the time, and asks
Prometheus again for recent promotions, while its retention still holds their soak.
"""
from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass

import yaml

from fks_gitops import yamldepth, yamlload
from fks_gitops.promote import images
from fks_gitops.promote import ledger as ledger_module
from fks_gitops.environments import FILE, Config, Environment
from fks_gitops.errors import GitOpsError
from fks_gitops.promote import soak
from fks_gitops.promote.gates import ALLOW_DOWNGRADE, BREAK_GLASS, GATES, Facts, evaluate
from fks_gitops.promote.history import History, parse_subject
from fks_gitops.promote.ledger import Commit, Ledger
from fks_gitops.promote.plan import Change
from fks_gitops.problem import Location, Problem
from fks_gitops.checks.context import FILES
from fks_gitops.checks import promotions_verify as recorded

ID = "promotions"
REPLAYED = tuple(g for g in GATES if g.replayable)
SKEW = dt.timedelta(minutes=5)  # a committer's clock may run a little ahead of CI's
FETCH = "fetch the full history (git fetch --unshallow; in GitHub Actions, actions/checkout with fetch-depth: 0)"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Finding:
    where: str  # the file to look at
    rule: str
    level: str
    message: str
    commit: str | None = None  # the sha it is about
    line: int | None = None  # in the working tree's `where`: the image entry that changed

    def problem(self) -> Problem:
        return Problem(f"{ID}.{self.rule}", self.level, self.message, Location(self.where, self.line))


def check(ctx) -> list[Problem]:
    config = ctx.config
    ledger = ledger_module.read(ctx.git, [e.overlay for e in config.environments])
    gated = [e for e in config.select(list(ctx.selected) or None) if e.order > 0]
    fresh = brought_by_pull_request(ctx.git, os.environ.get("GITHUB_BASE_REF", ""))
    if isinstance(fresh, Finding):
        return [fresh.problem()]
    return [f.problem() for f in audit(config, ledger, gated, fresh=fresh, ask=asks_prometheus())]


def asks_prometheus() -> bool:
    """Whether this run asks Prometheus again about recent promotions: in CI (CI or
    GITHUB_BASE_REF set), where the change lands; a pre-commit run never waits on a network."""
    return bool(os.environ.get("CI") or os.environ.get("GITHUB_BASE_REF"))


def brought_by_pull_request(git, base: str) -> frozenset[str] | Finding:
    """In a pull request's CI (GITHUB_BASE_REF names its base branch), the commits it brings:
    their verification is asked again whatever date they carry."""
    if not base:
        return frozenset()
    if not git.exists(f"origin/{base}"):
        return Finding(FILE, "history", "error", f"the pull request's base origin/{base} is not here, so the audit "
                                                 f"cannot tell which promotions it brings; {FETCH}")
    return frozenset(git.out("rev-list", f"origin/{base}..HEAD").split())


def audit(config: Config, ledger: Ledger, gated: list[Environment], now: dt.datetime | None = None,
          fresh: frozenset[str] = frozenset(), ask: bool = True) -> list[Finding]:
    """Every finding, oldest commit first; `now` is the real clock unless a test says otherwise;
    `fresh`: the commits under review, whose verification is asked again whatever their date;
    `ask`: ask the source's Prometheus again at all (promotions_verify.py)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    start = _start(config, ledger)
    if isinstance(start, tuple):
        return [Finding(*start)]
    history = History(ledger=ledger)
    found = []
    texts: dict[str, str | None] = {}
    for i in range(max(start, 1), len(ledger.commits)):
        commit = ledger.commits[i]
        findings = list(_dates(commit, ledger.commits[i - 1], now))
        replay = ask and recorded.replayed(commit, now, commit.sha in fresh, SKEW)
        for env in gated:
            findings += _environment(config, env, history, i, replay)
        reason = _accepted(config, commit)
        for where, rule, level, message in findings:
            if reason and level == "error":
                level, message = "warning", f"{message} (accepted in {FILE}: {reason})"
            overlay = where.removesuffix("/kustomization.yaml")
            line = _image_line(config, texts, where, ledger.commits[i - 1].images.get(overlay), commit.images.get(overlay))
            found.append(Finding(where, rule, level, message, commit.sha, line))
    return found + list(_uncommitted(config, ledger, gated))


def _image_line(config: Config, texts: dict, where: str, old: dict | None, new: dict | None) -> int | None:
    """The line, in the working tree's `where`, of the version of the first image entry that
    changed from `old` to `new`; None when nothing changed there or the entry is gone."""
    names = [n for n in new or {} if (old or {}).get(n) != new[n]] if old is not None else []
    if not names:
        return None
    if where not in texts:
        path = config.repo / where
        texts[where] = path.read_text() if path.is_file() else None
    return _entry_line(texts[where], names[0]) if texts[where] else None


def _entry_line(text: str, name: str) -> int | None:
    try:
        root = yaml.compose(text, Loader=yamldepth.CSafeLoader)
        entries = (yaml.load(text, Loader=yamldepth.CSafeLoader) or {}).get("images") or []
    except (yaml.YAMLError, AttributeError):
        return None
    index = next((i for i, e in enumerate(entries) if isinstance(e, dict) and e.get("name") == name), None)
    if index is None:
        return None
    field = next((f for f in ("newTag", "digest", "newName") if f in entries[index]), "name")
    return yamlload.position(root, ("images", index, field))[0]


def _accepted(config: Config, commit: Commit) -> str | None:
    return next((reason for sha, reason in config.audit_accepted.items() if commit.sha.startswith(sha)), None)


def _start(config: Config, ledger: Ledger) -> int | tuple[str, str, str, str]:
    """Index of the first commit to audit, or the finding that says why history is not enough."""
    since = config.audit_since
    if not since:
        return (FILE, "history", "error", "no audit.since: say where the promotion audit starts, a commit or a "
                                          "date (audit: {since: <sha>}); it never guesses")
    if ledger.shallow:
        return (FILE, "history", "error", f"this is a shallow clone, so the promotion audit cannot see "
                                          f"history since audit.since {since!r}; {FETCH}")
    if not ledger.commits:
        return (FILE, "history", "error", "no commits yet: the promotion audit reads main's history; commit first")
    if _DATE.match(since):
        moment = dt.datetime.fromisoformat(since)
        moment = moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)
        return next((i for i, c in enumerate(ledger.commits) if c.when >= moment), len(ledger.commits))
    index = ledger.index(since)
    if index is None:
        return (FILE, "history", "error", f"audit.since {since!r} is not in this history; {FETCH}")
    return index + 1


def _dates(commit: Commit, parent: Commit, now: dt.datetime) -> Iterator[tuple[str, str, str, str]]:
    where = commit.files[0] if commit.files else FILE
    if commit.committed < parent.committed:
        yield (where, "back-dated", "error",
               f"{commit.describe()} is dated {_utc(commit.committed)}, before its parent {parent.short} "
               f"({_utc(parent.committed)}); soak counts from the parent's date; recommit it without a forged date")
    if commit.committed > now + SKEW:
        yield (where, "future-dated", "error",
               f"{commit.describe()} is dated {_utc(commit.committed)}, in the future; recommit it without a forged date")


def _environment(config: Config, env: Environment, history: History, i: int,
                 replay: bool) -> list[tuple[str, str, str, str]]:
    commit, parent = history.ledger.commits[i], history.ledger.commits[i - 1]
    path = f"{env.overlay}/kustomization.yaml"
    old, new = parent.images.get(env.overlay), commit.images.get(env.overlay)
    if old is None or new is None or old == new:
        return []
    changes = [Change(old[n], new[n]) for n in new if n in old and old[n].key != new[n].key]
    moved = "; ".join(f"{c.new.component} {c.old.version} -> {c.new.version}" for c in changes) or "the images list"
    parsed = parse_subject(commit.claim[0])
    if parsed is None or parsed[1] != env.name or not (commit.trailer("Image") or commit.trailer("Rollback")):
        return [(path, "hand-edit", "error", f"{commit.describe()} sets {moved} outside a promotion; "
                                             f"revert it and use tools/promote.py --to {env.name}")]
    shape = _shape(commit, parent, path, env, changes)
    found = [(path, rule, "error", f"{commit.describe()}: {message}") for rule, message in shape]
    facts = Facts(config, env, tuple(changes), history.before(i), rollback=parsed[0] == "rollback")
    if facts.rollback:
        return found + [(path, "rollback", "error", f"{commit.describe()}: {m}") for m in _rollback(facts, env)]
    found += [(path, "trailer", "error", f"{commit.describe()}: {m}") for m in _claims(commit, facts, history)]
    glass = " ".join(commit.trailer("Break-Glass"))
    found += [(path, rule, level, f"{commit.describe()}: {m}")
              for rule, level, m in recorded.audited(history.ledger, parent, commit, facts, glass, replay)]
    downgrade = commit.trailer("Allow-Downgrade")
    overrides = {name for name, given in ((BREAK_GLASS, glass), (ALLOW_DOWNGRADE, downgrade)) if given}
    verdict = evaluate(REPLAYED, facts, commit.when, overrides)
    found += [(path, f"gate-{r.gate}", "error", f"{commit.describe()}: at its time {_utc(commit.when)}, {r}")
              for r in verdict.blocking]
    if glass:
        gates = [r.gate for r in verdict.overridden if r.override == BREAK_GLASS]
        unverified = commit.trailer("Unverified") or recorded.unrecorded(history.ledger, parent, facts, commit)
        gates += ["verify"] if unverified else []  # what the trailers record, not a replay
        overrode = ", ".join(dict.fromkeys(gates)) or "nothing"
        found.append((path, "break-glass", "warning",
                      f"{commit.describe()}: break-glass by {commit.author}, overriding {overrode}: {glass}"))
    if downgrade:
        found.append((path, "downgrade", "warning",
                      f"{commit.describe()}: downgrade allowed by {commit.author}: {'; '.join(downgrade)}"))
    return found


def _shape(commit: Commit, parent: Commit, path: str, env: Environment, changes: list[Change]) -> Iterator[tuple[str, str]]:
    others = [f for f in commit.files if f != path]
    if others:
        more = f" and {len(others) - 1} more" if len(others) > 1 else ""
        yield "other-files", f"a promotion that also changes {others[0]}{more}; a promotion changes only {path}"
    if set(commit.images[env.overlay]) != set(parent.images[env.overlay]) or commit.rest.get(env.overlay) != parent.rest.get(env.overlay):
        yield "other-files", f"a promotion that changes more than image versions in {path}"
    claimed, derived = sorted(commit.trailer("Image")), sorted(c.new.ref for c in changes)
    if claimed != derived:
        yield "trailer", f"Image trailers {', '.join(claimed) or 'none'} disagree with the diff ({', '.join(derived) or 'no image'})"


def _claims(commit: Commit, facts: Facts, history: History) -> Iterator[str]:
    """Promoted-From and Soak, re-derived from history."""
    source = facts.source
    origin = commit.trailer("Promoted-From")
    name, _, sha = (origin[0] if origin else "").partition("@")
    at = history.ledger.index(sha) if sha and len(sha) >= 7 else None
    if name != source.name or at is None or at >= facts.history.cut:
        yield f"Promoted-From {origin[0] if origin else '(missing)'} names no earlier commit of {source.name}"
    else:
        held = history.ledger.commits[at].images.get(source.overlay) or {}
        for change in facts.changes:
            ran = held.get(change.new.name)
            if ran is None or ran.key != change.new.key:
                yield f"Promoted-From {origin[0]}: {source.name} did not run {change.new.component} {change.new.version} there"
    claimed = commit.trailer("Soak")
    derived = [soak.progress(source, c.new, facts.history, commit.when) for c in facts.changes]
    if claimed and derived and None not in derived:
        shown = min(derived, key=lambda p: p.amount)
        if soak.claims_more(claimed[0], shown):
            yield f"Soak: {claimed[0]} claims more than history shows ({shown.trailer})"


def _rollback(facts: Facts, env: Environment) -> Iterator[str]:
    for change in facts.changes:
        back_to = facts.history.rollback_target(env.overlay, change.old)
        if back_to is None or back_to.key != change.new.key:
            want = back_to.version if back_to else "none"
            yield (f"rolls {change.new.component} back to {change.new.version}, but the version before "
                   f"{change.old.version} was {want}")


def _uncommitted(config: Config, ledger: Ledger, gated: list[Environment]) -> Iterator[Finding]:
    head = ledger.commits[-1] if ledger.commits else None
    for env in gated:
        path = f"{env.overlay}/kustomization.yaml"
        try:
            text = (config.repo / path).read_text()
            here = images.read(text, path)
        except (OSError, GitOpsError):
            continue  # the render reports a missing or broken kustomization
        committed = (head.images.get(env.overlay) or {}) if head else {}
        if here != committed:
            moved = "; ".join(f"{i.component} {committed[n].version if n in committed else '(none)'} -> {i.version}"
                              for n, i in here.items() if committed.get(n) != i) or "an image entry removed"
            changed = next((n for n, i in here.items() if committed.get(n) != i), None)
            yield Finding(path, "uncommitted", "error",
                          f"uncommitted change to {env.name}'s images ({moved}); these lines change only through "
                          f"tools/promote.py --to {env.name}: git checkout -- {path}",
                          line=_entry_line(text, changed) if changed else None)


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


SCOPE = FILES  # reads git history, not renders
run = check
