"""The dashboard's HTML: plain server-rendered pages from the view models (every text escaped).

One stylesheet and one small script (the live change feed) are served beside them; the
timeline charts are inline SVG from :mod:`services.dashboard.chart`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape

from services.dashboard import views
from services.dashboard.chart import timeline_svg
from services.dashboard.feed import Position

STATIC = "/static/dashboard"
POLL_URL = "/feed/poll"


def layout(title: str, body: str, *, active: str = "") -> str:
    nav = "".join(
        f'<a href="{href}"{" aria-current=page" if name == active else ""}>{name}</a>'
        for name, href in (("Ledger", "/"), ("Changes", "/changes"), ("API", "/docs"))
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} · infraledger</title>"
        f'<link rel="stylesheet" href="{STATIC}/dashboard.css">'
        f'<script src="{STATIC}/feed.js" defer></script></head>'
        f'<body><header class="top"><a class="brand" href="/">infraledger</a>'
        f"<nav>{nav}</nav></header><main>{body}</main></body></html>"
    )


def org(o: views.Org | None) -> str:
    if o is None:
        return '<span class="muted">—</span>'
    korean = f' <span class="ko" lang="ko">{escape(o.name_ko)}</span>' if o.name_ko else ""
    name = f'<span class="en">{escape(o.name)}</span>'
    return f'<a class="org" href="{escape(o.url)}">{name}{korean}</a>'


def badge(kind: str) -> str:
    return f'<span class="badge kind-{escape(kind)}">{escape(kind)}</span>'


def sentence(s: views.Sentence) -> str:
    mark = f"<mark>{escape(s.mark)}</mark>" if s.mark else ""
    return f"{escape(s.before)}{mark}{escape(s.after)}"


def evidence(e: views.Evidence) -> str:
    link = (
        f'<a href="{escape(e.url)}" rel="noopener noreferrer">{escape(e.title)}</a>'
        if e.url
        else escape(e.title)
    )
    return (
        f'<blockquote class="evidence"><p>{sentence(e.sentence)}</p>'
        f"<footer>{link}"
        f' · <span class="publisher">{escape(e.source)}</span>'
        f" · <time>{escape(e.published)}</time></footer></blockquote>"
    )


# --------------------------------------------------------------------------- the ledger


def _options(choices: Iterable[tuple[str, str]], chosen: str) -> str:
    return "".join(
        f'<option value="{escape(value)}"{" selected" if value == chosen else ""}>'
        f"{escape(label)}</option>"
        for value, label in (("", "All"), *choices)
    )


def filters_form(ledger: views.Ledger) -> str:
    f = ledger.filters
    orgs = ((o.id, f"{o.name} {o.name_ko}".strip()) for o in ledger.organisations)
    return (
        '<form class="filters" method="get" action="/">'
        f'<label>Organisation <select name="org">{_options(orgs, f.org)}</select></label>'
        f'<label>Type <select name="type">{_options(views.TYPE_LABELS.items(), f.type)}'
        "</select></label>"
        f'<label>Last change <select name="kind">{_options(((k, k) for k in views.KINDS), f.kind)}'
        "</select></label>"
        '<button type="submit">Filter</button> <a href="/">Clear</a></form>'
    )


def _cell(label: str, content: str, cls: str = "") -> str:
    """A cell labelled for the phone layout, where each row is a card of labelled fields."""
    classes = " ".join(c for c in (cls, "" if content else "blank") if c)
    klass = f' class="{classes}"' if classes else ""
    return f'<td data-label="{label}"{klass}><div>{content}</div></td>'


def ledger_row(r: views.Row) -> str:
    value = f'<a href="{escape(r.url)}" class="value">{escape(r.value)}</a>'
    if r.value_as_written:
        value += f' <span class="as-written">{escape(r.value_as_written)}</span>'
    if r.scope:
        value += f' <span class="scope">{escape(r.scope)}</span>'
    warn = ' <span class="disputed" title="disputed by another source">⚠</span>'
    warn = warn if r.disputed else ""
    return (
        f'<tr data-key="{escape(r.key)}" data-type="{escape(r.type)}">'
        + _cell("Organisation", org(r.subject))
        + _cell("Counterparty", org(r.counterparty))
        + _cell("Type", escape(r.type_label))
        + _cell("Commitment", value, "commitment")
        + _cell("GPU model", escape(r.gpu_model))
        + _cell("Timeframe", escape(r.timeframe))
        + _cell("Status", escape(r.status))
        + _cell("Last change", f"{badge(r.last_kind)}{warn} <time>{escape(r.last_date)}</time>")
        + _cell("Sources", str(r.sources), "num")
        + "</tr>"
    )


def ledger_table(rows: Sequence[views.Row]) -> str:
    if not rows:
        return '<p class="empty">No commitment matches these filters.</p>'
    head = "".join(
        f"<th>{h}</th>"
        for h in (
            "Organisation",
            "Counterparty",
            "Type",
            "Commitment",
            "GPU model",
            "Timeframe",
            "Status",
            "Last change",
            "Sources",
        )
    )
    body = "".join(ledger_row(r) for r in rows)
    return f'<table class="ledger"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def total_block(t: views.Total) -> str:
    bars = "".join(
        f'<span class="part" style="width:{p.share:.2%}" title="{escape(p.org.name)}: '
        f'{escape(p.value)}"></span>'
        for p in t.parts
    )
    bars += f'<span class="rest" style="width:{t.unallocated_share:.2%}"></span>'
    rest = "Over-allocated by" if t.over_allocated else "Unallocated"
    parts = "".join(f"<li>{org(p.org)} <b>{escape(p.value)}</b></li>" for p in t.parts)
    return (
        f'<article class="total"><h3>{org(t.subject)} → {org(t.counterparty)}</h3>'
        f'<p class="figures">Total <b>{escape(t.total)}</b> · parts <b>{escape(t.allocated)}</b>'
        f' · {rest.lower()} <b class="unallocated">{escape(t.unallocated)}</b></p>'
        f'<div class="bar" aria-hidden="true">{bars}</div>'
        f'<ul class="parts">{parts}<li class="rest">{rest} <b>{escape(t.unallocated)}</b></li>'
        "</ul></article>"
    )


def ledger_page(ledger: views.Ledger, changes: Sequence[views.Change], position: Position) -> str:
    totals = "".join(total_block(t) for t in ledger.totals)
    if totals:
        totals = f'<section class="totals"><h2>Totals and their parts</h2>{totals}</section>'
    body = (
        '<div class="columns"><div class="main-column">'
        f'<section class="ledger-view"><h1>Ledger</h1>{filters_form(ledger)}'
        f'<p class="count">{len(ledger.shown)} of {len(ledger.rows)} commitments</p>'
        '<p class="stale" data-ledger-stale hidden>The ledger has changed since this page was '
        'loaded (rows marked). <a href="">Reload</a></p>'
        f"{ledger_table(ledger.shown)}</section>"
        f"{totals}</div>{feed_section(changes, position, title='Latest changes')}</div>"
    )
    return layout("Ledger", body, active="Ledger")


# --------------------------------------------------------------------------- the change feed


def feed_item(c: views.Change) -> str:
    delta = f' <span class="delta">{escape(c.delta)}</span>' if c.delta else ""
    timeline = (
        f'<a class="timeline-link" href="{escape(c.url)}">timeline</a>'
        if c.url
        else '<span class="timeline-link">left the ledger</span>'
    )
    return (
        f'<li class="change kind-{escape(c.kind)}" data-change-id="{escape(c.id)}" '
        f'data-key="{escape(c.key)}">'
        f'<div class="change-head">{badge(c.kind)} <time>{escape(c.effective)}</time>'
        f" {timeline}</div>"
        f'<div class="parties">{org(c.subject)} → {org(c.counterparty)}'
        f' <span class="type">{escape(c.type_label)}</span></div>'
        f'<div class="values"><span class="before">{escape(c.before)}</span> → '
        f'<span class="after">{escape(c.after)}</span>{delta}</div>'
        f"{evidence(c.evidence)}</li>"
    )


def feed_section(changes: Sequence[views.Change], position: Position, *, title: str) -> str:
    items = "".join(feed_item(c) for c in changes)
    return (
        f'<aside class="feed-view"><h2>{escape(title)} '
        '<span class="live" data-feed-status>live</span></h2>'
        f'<ol class="feed" data-feed data-after="{escape(position.token)}" '
        f'data-poll="{POLL_URL}" data-max="{max(len(changes), 50)}">{items}</ol>'
        + ("" if changes else '<p class="empty" data-feed-empty>No changes yet.</p>')
        + "</aside>"
    )


def changes_page(changes: Sequence[views.Change], position: Position) -> str:
    return layout("Changes", feed_section(changes, position, title="Changes"), active="Changes")


# --------------------------------------------------------------------------- timelines


def _point(p: views.Point) -> str:
    delta = f' <span class="delta">{escape(p.delta)}</span>' if p.delta else ""
    claims = "".join(f"<li>{escape(c)}</li>" for c in (c.label for c in p.claims))
    disputed = f'<div class="claims">Disputed by: <ul>{claims}</ul></div>' if claims else ""
    return (
        f'<li id="{escape(p.anchor)}" class="version kind-{escape(p.kind)}'
        f'{" marked" if p.marked else ""}">'
        f'<div class="change-head">{badge(p.kind)} <time>{p.at.date().isoformat()}</time>'
        f" <b>{escape(p.label)}</b>{delta}</div>"
        f'<div class="values"><span class="before">{escape(p.before)}</span> → '
        f'<span class="after">{escape(p.after)}</span></div>'
        f"{disputed}{evidence(p.evidence)}</li>"
    )


def timeline_section(t: views.Timeline) -> str:
    scope = f' <span class="scope">{escape(t.scope)}</span>' if t.scope else ""
    counterparty = f" → {org(t.counterparty)}" if t.counterparty else ""
    return (
        f'<section class="timeline" data-key="{escape(t.key)}">'
        f"<h2>{org(t.subject)}{counterparty} · {escape(t.type_label)}{scope}</h2>"
        f'<figure class="chart-box">{timeline_svg(t)}'
        "<figcaption>Committed value by publication date; each point links to its evidence. "
        '<span class="legend conflict">◆ conflict</span> '
        '<span class="legend retracted">✕ retraction</span> '
        '<span class="legend claim">○ disputed claim</span></figcaption></figure>'
        f'<ol class="versions">{"".join(_point(p) for p in t.points)}</ol></section>'
    )


def timeline_page(title: str, timelines: Sequence[views.Timeline]) -> str:
    body = f"<h1>{escape(title)}</h1>" + "".join(timeline_section(t) for t in timelines)
    return layout(title, body)


def not_found_page(what: str) -> str:
    return layout("Not found", f'<h1>Not found</h1><p class="empty">{escape(what)}</p>')
