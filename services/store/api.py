"""The ledger's read API: ``/api/v1/…`` (FastAPI router), open to read.

Lists are paged by an opaque cursor (``next_cursor`` → ``?cursor=``) and filtered by
organisation (id, name or alias: ``삼성전자`` and ``Samsung`` both work), type, kind and time.
Every route only reads; writing routes (later: webhooks) live elsewhere and need the token.

The routes reach the database through the :func:`context` dependency, which by default reads
the settings once and opens its own engine; an application that already has them overrides it:
``app.dependency_overrides[context] = lambda: StoreContext(factory, directory)``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Path, Query
from sqlalchemy.orm import Session, sessionmaker

from services.core.config import load_settings
from services.core.db import StorableTime, make_engine, session_factory, transaction
from services.core.migrate import upgrade
from services.core.models import ChangeKind, ChangeV1, FactType
from services.store import queries
from services.store.directory import Directory, load_directory

T = TypeVar("T")


@dataclass(frozen=True)
class StoreContext:
    factory: sessionmaker[Session]
    directory: Directory


@functools.cache
def context() -> StoreContext:
    """The default context: settings from the environment, an engine of its own (made once)."""
    settings = load_settings()
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    return StoreContext(session_factory(engine), load_directory(settings.organisations_file))


Context = Annotated[StoreContext, Depends(context)]
Org = Annotated[str | None, Query(description="Organisation id, name or alias")]
Cursor = Annotated[str | None, Query(description="next_cursor of the previous page")]
Limit = Annotated[int, Query(ge=1, le=queries.MAX_LIMIT)]


def _read(ctx: StoreContext, work: Callable[[Session], T]) -> T:
    """``work`` in one transaction; a cursor from another list is a client error."""
    try:
        with transaction(ctx.factory) as session:
            return work(session)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from exc


def _orgs(session: Session, ctx: StoreContext, org: str | None) -> set[str] | None:
    return None if org is None else queries.resolve_org(session, org, ctx.directory)


router = APIRouter(prefix="/api/v1", tags=["ledger"])


@router.get("/commitments", summary="The ledger: current state of every commitment")
def list_commitments(
    ctx: Context,
    org: Org = None,
    type: FactType | None = None,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> queries.Page[queries.Commitment]:
    return _read(
        ctx,
        lambda s: queries.commitments(
            s, org_ids=_orgs(s, ctx, org), type=type, cursor=cursor, limit=limit
        ),
    )


@router.get("/commitments/{key:path}/history", summary="Every version of one commitment")
def commitment_history(
    ctx: Context, key: Annotated[str, Path(description="Commitment key")]
) -> list[queries.Version]:
    versions = _read(ctx, lambda s: queries.history(s, key=key))
    if not versions:
        raise HTTPException(404, f"no commitment {key!r}")
    return versions


@router.get("/commitments/{key:path}", summary="One commitment")
def get_commitment(
    ctx: Context, key: Annotated[str, Path(description="Commitment key")]
) -> queries.Commitment:
    found = _read(ctx, lambda s: queries.commitment(s, key))
    if found is None:
        raise HTTPException(404, f"no commitment {key!r}")
    return found


@router.get("/totals", summary="Totals against the sum of their parts and the remainder")
def list_totals(ctx: Context) -> list[queries.Totals]:
    return _read(ctx, lambda s: queries.totals(s, ctx.directory))


@router.get("/changes", summary="The change log (ledger.changes.v1), oldest first")
def list_changes(
    ctx: Context,
    since: Annotated[StorableTime | None, Query(description="Effective at or after")] = None,
    cursor: Cursor = None,
    kind: ChangeKind | None = None,
    org: Org = None,
    type: FactType | None = None,
    limit: Limit = 100,
) -> queries.Page[ChangeV1]:
    return _read(
        ctx,
        lambda s: queries.changes(
            s,
            since=since,
            cursor=cursor,
            kind=kind,
            org_ids=_orgs(s, ctx, org),
            type=type,
            limit=limit,
        ),
    )


@router.get("/articles", summary="Articles in the ledger, newest first")
def list_articles(
    ctx: Context, org: Org = None, cursor: Cursor = None, limit: Limit = 100
) -> queries.Page[queries.Article]:
    return _read(
        ctx, lambda s: queries.articles(s, org_ids=_orgs(s, ctx, org), cursor=cursor, limit=limit)
    )


@router.get("/articles/{article_id}/facts", summary="An article and its current facts")
def article_facts(ctx: Context, article_id: str) -> queries.ArticleFacts:
    found = _read(ctx, lambda s: queries.article_facts(s, article_id=article_id))
    if found is None:
        raise HTTPException(404, f"no article {article_id!r}")
    return found


@router.get("/organisations", summary="Organisations in the ledger with their aliases")
def list_organisations(ctx: Context) -> list[queries.Organisation]:
    return _read(ctx, lambda s: queries.organisations(s, ctx.directory))
