"""The status board: what runs where, how far each version has soaked, the freeze windows, and
the latest promotions with the gates they passed; data for `promote.py --status` html and json.

    b = board(repo, now)
    b.rows[0].cells["staging"].soak.fraction     # 0.27: 6.5 of 24 h
    b.freezes[0].current, b.freezes[0].next       # Window or None; (start, Window) or None
    b.promotions[0].break_glass, b.promotions[0].gates.passed

History is read once. Gates are re-run at each promotion's commit time, as the audit does
(checks/promotions.py): the replayable ones, with the overrides its trailers claim.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from fks_gitops import environments
from fks_gitops.environments import Config
from fks_gitops.promote.freeze import Window, frozen, upcoming
from fks_gitops.promote.gates import ALLOW_DOWNGRADE, BREAK_GLASS, GATES, Facts, evaluate
from fks_gitops.promote.history import History, Record, parse_subject
from fks_gitops.promote.images import Image
from fks_gitops.promote.plan import Change
from fks_gitops.promote import soak
from fks_gitops.promote.status import Cell, status

RECENT = 20
REPLAYED = tuple(g.name for g in GATES if g.replayable)
AT_PROMOTE_TIME = tuple(g.name for g in GATES if not g.replayable)  # need renders: ran when promoted


@dataclass(frozen=True)
class Bar:
    """A soak as the board draws it: `done` of `needed`, in hours ("h") or trading sessions."""
    done: float
    needed: float
    unit: str
    said: str  # "12h of 24h", "1 of 2 NYSE sessions"
    until: dt.datetime | None  # when it completes; None once it has

    @property
    def fraction(self) -> float:
        return 1.0 if self.needed <= 0 else max(0.0, min(self.done / self.needed, 1.0))

    @property
    def complete(self) -> bool:
        return self.until is None


def _bar(progress: soak.Progress | None) -> Bar | None:
    if progress is None:
        return None
    if progress.sessions is None:
        hours = progress.env.soak.total_seconds() / 3600
        return Bar(progress.ran.total_seconds() / 3600, hours, "h", progress.text, progress.until)
    return Bar(progress.sessions, progress.env.sessions.count, "sessions", progress.text, progress.until)


@dataclass(frozen=True)
class BoardCell:
    cell: Cell
    soak: Bar | None  # toward this environment's soak (before the next may take it)
    by_rollback: bool  # the version came back by a rollback
    rolled_back: tuple[tuple[str, str], ...]  # (version, sha): rolled back here, held until re-promoted


@dataclass(frozen=True)
class BoardRow:
    name: str
    component: str
    cells: dict[str, BoardCell | None]


@dataclass(frozen=True)
class Freeze:
    env: str
    timezone: str
    current: Window | None
    next: tuple[dt.datetime, Window] | None


@dataclass(frozen=True)
class Gates:
    passed: tuple[str, ...]
    overridden: tuple[str, ...]  # let through by Break-Glass or Allow-Downgrade
    failed: tuple[str, ...]  # refused at the commit's time, and not overridden: the audit reports it


@dataclass(frozen=True)
class Promotion:
    record: Record
    gates: Gates | None  # None for a rollback (the gates let a rollback through) or unreadable history
    break_glass: str | None
    verified: tuple[str, ...]
    images: tuple[str, ...]


@dataclass(frozen=True)
class Board:
    now: dt.datetime
    environments: tuple[str, ...]
    soak_units: dict[str, str | None]  # environment -> "h" / "sessions", None without soak
    rows: tuple[BoardRow, ...]
    freezes: tuple[Freeze, ...]
    promotions: tuple[Promotion, ...]


def board(repo: Path, now: dt.datetime, recent: int = RECENT) -> Board:
    config = environments.load(repo)
    history = History(repo, [e.overlay for e in config.environments])
    names, rows = status(repo, now, history)
    envs = {e.name: e for e in config.environments}
    board_rows = []
    for row in rows:
        cells = {}
        for env_name, cell in row.cells.items():
            env = envs[env_name]
            cells[env_name] = cell and BoardCell(
                cell, _bar(cell.soak), _by_rollback(history, cell),
                tuple((Image(row.name, *key).version, c.sha) for key, c in history.blocked(env.overlay, row.name).items()))
        board_rows.append(BoardRow(row.name, row.component, cells))
    units = {e.name: ("sessions" if e.sessions else "h") if soak.required(e) else None for e in config.environments}
    freezes = tuple(Freeze(e.name, e.freeze.timezone, frozen(e.freeze, now), upcoming(e.freeze, now))
                    for e in config.environments if e.freeze)
    promotions = tuple(_promotion(config, history, r) for r in history.promotions()[:recent])
    return Board(now, tuple(names), units, tuple(board_rows), freezes, promotions)


def _by_rollback(history: History, cell: Cell) -> bool:
    index = history.ledger.index(cell.commit) if cell.commit else None
    parsed = parse_subject(history.ledger.commits[index].claim[0]) if index is not None else None
    return bool(parsed) and parsed[0] == "rollback"


def _promotion(config: Config, history: History, record: Record) -> Promotion:
    commit = record.commit
    glass = " ".join(commit.trailer("Break-Glass")) or None
    gates = None if record.kind == "rollback" else _gates(config, history, record)
    return Promotion(record, gates, glass, tuple(commit.trailer("Verified")), tuple(commit.trailer("Image")))


def _gates(config: Config, history: History, record: Record) -> Gates | None:
    index = history.ledger.index(record.sha)
    env = next((e for e in config.environments if e.name == record.env), None)
    if not index or env is None:
        return None
    commit, parent = history.ledger.commits[index], history.ledger.commits[index - 1]
    old, new = parent.images.get(env.overlay), commit.images.get(env.overlay)
    if not old or not new:
        return None
    changes = tuple(Change(old[n], new[n]) for n in new if n in old and old[n].key != new[n].key)
    overrides = {name for name, key in ((BREAK_GLASS, "Break-Glass"), (ALLOW_DOWNGRADE, "Allow-Downgrade"))
                 if commit.trailer(key)}
    replayed = tuple(g for g in GATES if g.replayable)
    verdict = evaluate(replayed, Facts(config, env, changes, history.before(index)), commit.when, overrides)
    failed = tuple(dict.fromkeys(r.gate for r in verdict.blocking))
    overridden = tuple(g for g in dict.fromkeys(r.gate for r in verdict.overridden) if g not in failed)
    return Gates(tuple(g for g in REPLAYED if g not in failed and g not in overridden), overridden, failed)
