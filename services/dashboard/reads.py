"""What the pages read from the store, in one session each: the thin I/O under the views."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from services.dashboard import views
from services.dashboard.feed import Position
from services.extractor.lexicon import load_lexicon
from services.store import queries
from services.store.directory import Directory, load_directory


@dataclass(frozen=True)
class Names:
    """The organisation directory (for totals) and each organisation's Korean name."""

    directory: Directory
    korean: Mapping[str, str]


def load_names(organisations_file: Path | None = None) -> Names:
    organisations = load_lexicon(str(organisations_file) if organisations_file else None)
    return Names(
        directory=load_directory(organisations_file),
        korean={o.id: o.names_ko[0] for o in organisations.organisations.values() if o.names_ko},
    )


def commitments(session: Session, org_ids: set[str] | None = None) -> list[queries.Commitment]:
    found: list[queries.Commitment] = []
    cursor = None
    while True:
        page = queries.commitments(session, org_ids=org_ids, cursor=cursor)
        found += page.items
        if page.next_cursor is None:
            return found
        cursor = page.next_cursor


def ledger(session: Session, names: Names, filters: views.Filters) -> views.Ledger:
    return views.ledger(
        commitments(session), queries.totals(session, names.directory), names.korean, filters
    )


def commitment_timeline(session: Session, names: Names, key: str) -> tuple[views.Timeline, ...]:
    """The timeline of commitment ``key`` (none when the ledger has no such commitment)."""
    found = queries.commitment(session, key)
    if found is None:
        return ()
    return views.timelines([found], queries.history(session, key=key), names.korean)


def organisation_timelines(session: Session, names: Names, org: str) -> tuple[views.Timeline, ...]:
    """The timelines of every commitment organisation ``org`` is a party to."""
    versions = queries.history(session, org_ids={org})
    return views.timelines(commitments(session, {org}), versions, names.korean)


def feed(
    session: Session, names: Names, position: Position, newest: int
) -> tuple[list[views.Change], Position]:
    """Up to ``newest`` changes after ``position``, newest first, and the position after them.

    Only those rows are read, however long the change log has grown (a page load once read all
    of it); changes older than the newest ``newest`` are in the ledger and the timelines.
    """
    after = int(position.cursor) if position.cursor else None
    if position.skip:
        after = queries.change_seq_after(session, after, position.skip)
        if after is None:  # fewer changes than it says it saw: nothing new for it yet
            return [], position
    found, last = queries.latest_changes(session, after=after, limit=newest)
    if last is None:
        return [], position
    return [views.change(c, names.korean) for c in reversed(found)], Position(str(last))
