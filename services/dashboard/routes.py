"""The dashboard's routes: pages at ``/``, ``/changes`` and ``/timeline``, the feed poll, assets.

``build_router(factory)`` gives an ``APIRouter`` for the API's application (same process, same
port).  Each request reads in one transaction of its own; nothing is cached between requests.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.resources import files
from pathlib import Path
from typing import Annotated, TypeVar

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session, sessionmaker

from services.core.db import transaction
from services.dashboard import pages, reads, views
from services.dashboard.feed import Position

T = TypeVar("T")

LEDGER_FEED = 30
CHANGES_FEED = 200
ASSETS = {
    "dashboard.css": "text/css; charset=utf-8",
    "feed.js": "text/javascript; charset=utf-8",
}


def build_router(
    factory: sessionmaker[Session], organisations_file: Path | None = None
) -> APIRouter:
    """The dashboard, reading the ledger through ``factory``."""
    names = reads.load_names(organisations_file)
    router = APIRouter(include_in_schema=False)

    def read(work: Callable[[Session], T]) -> T:
        with transaction(factory) as session:
            return work(session)

    @router.get("/", response_class=HTMLResponse)
    def ledger_page(org: str = "", type: str = "", kind: str = "") -> str:
        filters = views.Filters(org=org, type=type, kind=kind)

        def work(session: Session) -> str:
            ledger = reads.ledger(session, names, filters)
            changes, position = reads.feed(session, names, Position(), LEDGER_FEED)
            return pages.ledger_page(ledger, changes, position)

        return read(work)

    @router.get("/changes", response_class=HTMLResponse)
    def changes_page() -> str:
        changes, position = read(lambda s: reads.feed(s, names, Position(), CHANGES_FEED))
        return pages.changes_page(changes, position)

    @router.get("/timeline", response_class=HTMLResponse)
    def timeline_page(key: str | None = None, org: str | None = None) -> HTMLResponse:
        if (key is None) == (org is None):
            raise HTTPException(400, "name either a commitment (key) or an organisation (org)")
        found = read(
            lambda s: (
                reads.commitment_timeline(s, names, key)
                if key is not None
                else reads.organisation_timelines(s, names, org or "")
            )
        )
        if not found:
            what = f"commitment {key!r}" if key is not None else f"organisation {org!r}"
            return HTMLResponse(pages.not_found_page(f"No {what} in the ledger."), 404)
        return HTMLResponse(pages.timeline_page(_title(found, org), found))

    @router.get("/feed/poll")
    def feed_poll(
        after: Annotated[str, Query(description="data-after of the page, or the last reply")],
    ) -> dict[str, object]:
        """Changes after a position, newest first, as HTML items; and the position after them."""
        try:
            start = Position.parse(after)
        except ValueError as exc:
            raise HTTPException(400, str(exc)) from exc
        changes, position = read(lambda s: reads.feed(s, names, start, CHANGES_FEED))
        return {"after": position.token, "items": [pages.feed_item(c) for c in changes]}

    @router.get("/static/dashboard/{name}")
    def asset(name: str) -> Response:
        if name not in ASSETS:
            raise HTTPException(404, f"no asset {name!r}")
        body = files("services.dashboard").joinpath("static", name).read_bytes()
        return Response(body, media_type=ASSETS[name], headers={"Cache-Control": "no-cache"})

    return router


def _title(found: tuple[views.Timeline, ...], org: str | None) -> str:
    first = found[0]
    if org is not None:
        who = next(
            (o for t in found for o in (t.subject, t.counterparty) if o and o.id == org),
            first.subject,
        )
        return f"{who.name} {who.name_ko}".strip() + " — timeline"
    counterparty = f" → {first.counterparty.name}" if first.counterparty else ""
    return f"{first.subject.name}{counterparty} · {first.type_label}"
