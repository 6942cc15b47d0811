"""The status board as one self-contained HTML page: styles and script inline, no external asset,
nothing fetched, so it opens from a CI artifact or a file as it is.

    atomic.write(Path("status.html"), page(board(repo, now), live=True))

Environments are columns, images rows; each cell has the version, since when, and a soak bar.
Beside the grid, each freeze window with a countdown; under it the latest promotions. The
script only moves the countdowns: with `live` on the viewer's clock, else (a page made with
--at) frozen at the board's time. Every figure is in the HTML already, so the page reads the
same without the script.
"""
from __future__ import annotations

import datetime as dt
from html import escape

from fks_gitops.promote.board import AT_PROMOTE_TIME, Board, BoardCell, Freeze, Promotion
from fks_gitops.promote.board_format import countdown, soak_said
from fks_gitops.promote.durations import age

STYLE = """
:root{font:14px/1.4 system-ui,sans-serif;color:#1f2328;background:#fff}
body{margin:24px;max-width:1400px}h1{font-size:20px;margin:0}h2{font-size:16px;margin:24px 0 8px}
.layout{display:grid;grid-template-columns:minmax(0,3fr) minmax(240px,1fr);gap:24px;align-items:start}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #d0d7de;padding:6px 8px;text-align:left;vertical-align:top}
thead th{background:#f6f8fa}#promotions td:first-child{white-space:nowrap}.version{font:600 15px ui-monospace,monospace}.muted,small{color:#59636e}
td.differs{background:#fff8c5}.bar{height:8px;background:#eaeef2;border-radius:4px;overflow:hidden;margin-top:4px}
.bar>span{display:block;height:100%;background:#bf8700}.soak.complete .bar>span{background:#1a7f37}
.badge{display:inline-block;font-size:11px;padding:0 6px;border-radius:8px;background:#eaeef2;margin-left:4px}
.rollback{background:#ffebe9;color:#82071e}.frozen{border-left:4px solid #cf222e;padding-left:8px}
.open{border-left:4px solid #1a7f37;padding-left:8px}.countdown{font-weight:600}
tr.break-glass td{background:#ffebe9}tr.break-glass td:first-child{border-left:4px solid #cf222e}
.glass{color:#82071e;font-weight:600}
"""
# Countdowns in durations.age's form, so the script writes what the page was made with.
SCRIPT = """
(function () {
  var body = document.body, start = Date.parse(body.dataset.now), live = body.dataset.clock === "live";
  function said(ms) {
    if (ms <= 0) return "now";
    var m = Math.floor(ms / 60000), d = Math.floor(m / 1440), r = m % 1440;
    return d ? d + "d " + Math.floor(r / 60) + "h" : (r >= 60 ? Math.floor(r / 60) + "h " + (r % 60) + "m" : r + "m");
  }
  function tick() {
    var now = live ? Date.now() : start;
    document.querySelectorAll(".countdown").forEach(function (el) { el.textContent = said(Date.parse(el.dataset.until) - now); });
  }
  tick();
  if (live) setInterval(tick, 1000);
  document.documentElement.dataset.script = "ran";
})();
"""


def page(board: Board, live: bool = True) -> str:
    now = board.now
    parts = [
        '<!DOCTYPE html><html lang="en" data-script="off"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>FKS GitOps status</title><style>{STYLE}</style></head>",
        f'<body data-now="{now.isoformat()}" data-clock="{"live" if live else "fixed"}">',
        f'<header><h1>FKS GitOps: what runs where</h1><p class="muted">as of {_time(now)}'
        f'{"" if live else " (planned with --at)"}</p></header>',
        '<div class="layout"><main>', _grid(board), _promotions(board), "</main>",
        '<aside id="freeze"><h2>Freeze windows</h2>', *(_freeze(f, now) for f in board.freezes),
        "" if board.freezes else '<p class="muted">No environment has freeze windows.</p>', "</aside></div>",
        f"<script>{SCRIPT}</script></body></html>",
    ]
    return "\n".join(parts) + "\n"


def _time(moment: dt.datetime) -> str:
    utc = moment.astimezone(dt.timezone.utc)
    return f'<time datetime="{utc.isoformat()}">{utc:%Y-%m-%d %H:%M} UTC</time>'


def _grid(board: Board) -> str:
    head = "".join(f'<th data-env="{escape(e)}">{escape(e)}<br><small>soak: {_unit(board.soak_units[e])}</small></th>'
                   for e in board.environments)
    rows = []
    for row in board.rows:
        cells = "".join(_cell(e, row.cells.get(e), board.now) for e in board.environments)
        rows.append(f'<tr data-image="{escape(row.component)}"><th scope="row">{escape(row.component)}'
                    f'<br><small>{escape(row.name)}</small></th>{cells}</tr>')
    return (f'<section id="grid"><h2>Images</h2><table class="grid"><thead><tr><th>image</th>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table><p class="muted">Highlighted: differs from the environment '
            "before it. Soak: how long the version has run here toward this environment's soak.</p></section>")


def _unit(unit: str | None) -> str:
    return {"h": "hours", None: "none"}.get(unit, escape(unit or ""))


def _cell(env: str, view: BoardCell | None, now: dt.datetime) -> str:
    if view is None:
        return f'<td data-env="{escape(env)}" class="empty">–</td>'
    cell = view.cell
    since = (f'since {_time(cell.since)} <span class="age">({age(now - cell.since)})</span>' if cell.since
             else "not committed yet")
    badge = '<span class="badge rollback">rolled back to</span>' if view.by_rollback else ""
    out = [f'<div class="version">{escape(cell.version)}{badge}</div>',
           f'<div class="since muted">{since}</div>']
    if view.soak:
        soak = view.soak
        out.append(f'<div class="soak{" complete" if soak.complete else ""}" data-unit="{soak.unit}" '
                   f'data-done="{soak.done:.2f}" data-needed="{soak.needed:g}">'
                   f'<div class="bar" role="progressbar" aria-valuemin="0" aria-valuemax="{soak.needed:g}" '
                   f'aria-valuenow="{min(soak.done, soak.needed):.2f}" aria-valuetext="{soak_said(soak)}">'
                   f'<span style="width:{soak.fraction * 100:.1f}%"></span></div>'
                   f'<small class="soak-label">{soak_said(soak)}{" · soaked" if soak.complete else ""}</small></div>')
    for version, sha in view.rolled_back:
        out.append(f'<div class="rolled-back"><span class="badge rollback">rolled back</span> {escape(version)} '
                   f'<small>({sha[:7]}): held until re-promoted</small></div>')
    classes = "cell differs" if cell.differs else "cell"
    return f'<td data-env="{escape(env)}" data-version="{escape(cell.version)}" class="{classes}">{"".join(out)}</td>'


def _freeze(freeze: Freeze, now: dt.datetime) -> str:
    out = [f'<div class="freeze" data-env="{escape(freeze.env)}"><h3>{escape(freeze.env)} '
           f'<small>({escape(freeze.timezone)})</small></h3>']
    if freeze.current:
        w = freeze.current
        out.append(f'<p class="current frozen">Frozen now: {escape(w.reason)}; ends {_time(w.ends)}, in '
                   f'<span class="countdown" data-until="{w.ends.isoformat()}">{countdown(w.ends - now)}</span></p>')
    else:
        out.append('<p class="current open">Not frozen now.</p>')
    if freeze.next:
        start, w = freeze.next
        out.append(f'<p class="next">Next: {escape(w.reason)}; starts {_time(start)}, in '
                   f'<span class="countdown" data-until="{start.isoformat()}">{countdown(start - now)}</span></p>')
    else:
        out.append('<p class="next muted">No freeze window in the next 31 days.</p>')
    return "".join(out) + "</div>"


def _promotions(board: Board) -> str:
    rows = "".join(_promotion(p) for p in board.promotions)
    empty = "" if board.promotions else '<tr><td colspan="8" class="muted">No promotions recorded.</td></tr>'
    later = ", ".join(AT_PROMOTE_TIME)
    return ('<section id="promotions"><h2>Latest promotions</h2><table><thead><tr><th>time</th><th>env</th>'
            "<th>change</th><th>author</th><th>gates passed</th><th>Break-Glass</th><th>Verified</th>"
            f"<th>commit</th></tr></thead><tbody>{rows}{empty}</tbody></table>"
            f'<p class="muted">Gates re-run at each commit\'s time, as the audit does; {later} ran when it was '
            "promoted (they need renders).</p></section>")


def _promotion(p: Promotion) -> str:
    r = p.record
    if p.gates is None:
        gates = '<span class="muted">rollback: gates let it through</span>' if r.kind == "rollback" else "–"
    else:
        gates = escape(", ".join(p.gates.passed)) or "none"
        gates += "".join(f' <span class="badge rollback">overridden: {escape(g)}</span>' for g in p.gates.overridden)
        gates += "".join(f' <span class="badge rollback">failed: {escape(g)}</span>' for g in p.gates.failed)
    glass = f'<span class="glass">{escape(p.break_glass)}</span>' if p.break_glass else ""
    verified = "<br>".join(escape(v) for v in p.verified)
    return (f'<tr class="promotion{" break-glass" if p.break_glass else ""}" data-kind="{r.kind}">'
            f"<td>{_time(r.when)}</td><td>{escape(r.env)}</td><td>{escape(r.subject)}</td>"
            f"<td>{escape(r.commit.author)}</td><td>{gates}</td><td>{glass}</td><td>{verified}</td>"
            f"<td><code>{r.sha[:12]}</code></td></tr>")
