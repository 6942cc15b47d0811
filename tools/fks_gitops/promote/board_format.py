"""The status board as data for `--status --format json`: everything the HTML page shows.

    json.dumps(as_dict(board(repo, now)), indent=2)
    countdown(window.ends - now)     # "2h 15m": the page's countdown, in durations.age's form
"""
from __future__ import annotations

import datetime as dt

from fks_gitops.promote.board import AT_PROMOTE_TIME, Bar, Board, BoardCell, Freeze, Promotion
from fks_gitops.promote.durations import age


def countdown(delta: dt.timedelta) -> str:
    return age(delta) if delta > dt.timedelta(0) else "now"


def as_dict(board: Board) -> dict:
    return {
        "now": board.now.isoformat(),
        "environments": list(board.environments),
        "soak_units": board.soak_units,
        "images": [{"name": r.name, "component": r.component,
                    "environments": {e: _cell(c, board.now) for e, c in r.cells.items()}} for r in board.rows],
        "freeze": [_freeze(f, board.now) for f in board.freezes],
        "promotions": [_promotion(p) for p in board.promotions],
        "gates_at_promote_time": list(AT_PROMOTE_TIME),
    }


def soak_said(soak: Bar) -> str:
    """`6h of 24h`, `1 of 2 NYSE sessions`."""
    return soak.said


def _cell(view: BoardCell | None, now: dt.datetime) -> dict | None:
    if view is None:
        return None
    cell, soak = view.cell, view.soak
    return {
        "version": cell.version, "ref": cell.ref, "commit": cell.commit, "differs": cell.differs,
        "since": cell.since.isoformat() if cell.since else None,
        "age_seconds": int((now - cell.since).total_seconds()) if cell.since else None,
        "soak": soak and {"done": round(soak.done, 2), "needed": soak.needed, "unit": soak.unit,
                          "fraction": round(soak.fraction, 4), "complete": soak.complete, "said": soak_said(soak),
                          "until": soak.until.isoformat() if soak.until else None},
        "by_rollback": view.by_rollback,
        "rolled_back": [{"version": v, "commit": sha} for v, sha in view.rolled_back],
    }


def _freeze(freeze: Freeze, now: dt.datetime) -> dict:
    current = freeze.current and {"reason": freeze.current.reason, "ends": freeze.current.ends.isoformat(),
                                  "ends_in": countdown(freeze.current.ends - now)}
    upcoming = None
    if freeze.next:
        start, window = freeze.next
        upcoming = {"reason": window.reason, "starts": start.isoformat(), "ends": window.ends.isoformat(),
                    "starts_in": countdown(start - now)}
    return {"env": freeze.env, "timezone": freeze.timezone, "current": current, "next": upcoming}


def _promotion(p: Promotion) -> dict:
    r = p.record
    gates = p.gates and {"passed": list(p.gates.passed), "overridden": list(p.gates.overridden),
                         "failed": list(p.gates.failed)}
    return {"commit": r.sha, "date": r.when.isoformat(), "author": r.commit.author, "env": r.env, "kind": r.kind,
            "subject": r.subject, "images": list(p.images), "gates": gates, "break_glass": p.break_glass,
            "verified": list(p.verified), "trailers": [{"key": k, "value": v} for k, v in r.trailers]}
