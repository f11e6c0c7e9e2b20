"""Read models of the ledger for the CLI and the HTTP API (one definition serves both).

Pages are ordered and cut by an opaque cursor: pass ``next_cursor`` back to get the next page.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from typing import Any, Generic, TypeVar, TypeVarTuple

from pydantic import BaseModel, ConfigDict, computed_field
from sqlalchemy import Select, func, or_, select, tuple_
from sqlalchemy.orm import Session

from services.core.models import (
    ArticleV1,
    ChangeEvidence,
    ChangeKind,
    ChangeV1,
    CommitmentState,
    Delta,
    FactType,
    FactV1,
    OrgRef,
    Qualifier,
    Quantity,
    WarcRef,
)
from services.store.aggregates import Line, aggregate
from services.store.directory import Directory
from services.store.tables import (
    StoreArticle,
    StoreChange,
    StoreCommitment,
    StoreCommitmentVersion,
    StoreFact,
)

T = TypeVar("T")
Ts = TypeVarTuple("Ts")
MAX_LIMIT = 1000


class View(BaseModel):
    model_config = ConfigDict(frozen=True)


class Page(View, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


class Claim(View):
    """A figure other sources asserted, disputing the current one: kept for the conflict window
    from ``asserted_at``, when they last asserted it before the dispute began."""

    quantity: Quantity
    sources: list[str]
    asserted_at: datetime


class Commitment(View):
    key: str
    type: FactType
    subject: OrgRef
    counterparty: OrgRef | None
    what: str
    scope: str | None
    state: CommitmentState
    last_kind: ChangeKind
    sources: list[str]
    corroboration: int
    disputed: list[Claim]
    versions: int
    first_effective_at: datetime
    effective_at: datetime
    recorded_at: datetime
    reason: str
    evidence: ChangeEvidence | None = None
    """The evidence of the version that set the current state."""


class Version(View):
    id: str
    key: str
    seq: int
    kind: ChangeKind
    before: CommitmentState | None
    after: CommitmentState
    delta: Delta | None
    sources: list[str]
    disputed: list[Claim]
    evidence: ChangeEvidence
    effective_at: datetime
    recorded_at: datetime


class Article(View):
    id: str
    url: str
    source: str
    lang: str
    title: str
    author: str | None
    published_at: datetime | None
    fetched_at: datetime
    content_hash: str
    warc: WarcRef | None
    extractor_version: str
    recorded_at: datetime


class Fact(View):
    id: str
    position: int
    key: str
    key_reason: str
    fact: FactV1


class ArticleFacts(View):
    article: Article
    facts: list[Fact]


class Part(View):
    key: str
    subject: OrgRef
    value: float
    qualifier: Qualifier = "exact"


class Totals(View):
    """A total commitment against the commitments that make it up."""

    key: str
    subject: OrgRef
    counterparty: OrgRef
    unit: str
    total: float
    qualifier: Qualifier = "exact"
    """The total's: "up to 260,000 GPUs" is ``up_to``."""
    allocated: float
    unallocated: float
    parts: list[Part]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def allocated_estimated(self) -> bool:
        """``allocated`` adds figures that are not all exact ("up to", "at least", "about"):
        arithmetic on the numbers as written, to be read as an estimate."""
        return any(part.qualifier != "exact" for part in self.parts)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def unallocated_estimated(self) -> bool:
        """``unallocated`` is an estimate: the parts' sum is, or the total is not exact."""
        return self.allocated_estimated or self.qualifier != "exact"


class Organisation(View):
    id: str
    name: str
    aliases: list[str]


def all_pages(page: Callable[[str | None], Page[T]]) -> list[T]:
    """Every item of a paged query: ``page(cursor)`` until there is no next cursor (or, in the
    change log, whose cursor always leads on, until a page is empty)."""
    items: list[T] = []
    cursor: str | None = None
    while True:
        found = page(cursor)
        items += found.items
        if found.next_cursor is None or not found.items:
            return items
        cursor = found.next_cursor


def _limit(limit: int | None) -> int:
    return max(1, min(limit or MAX_LIMIT, MAX_LIMIT))


def organisations(session: Session, directory: Directory | None = None) -> list[Organisation]:
    """Every organisation party to a commitment, with its name and the names the directory
    knows it by.  Read from the commitments (a row each), not the facts (a row per mention, for
    months): every ``?org=`` filter resolves through here."""
    names: dict[str, str] = {}
    aliases: dict[str, set[str]] = defaultdict(set)
    for side in (
        select(StoreCommitment.subject_id, StoreCommitment.subject_name),
        select(StoreCommitment.counterparty_id, StoreCommitment.counterparty_name).where(
            StoreCommitment.counterparty_id.is_not(None)
        ),
    ):
        for org_id, name in session.execute(side.distinct()):
            if org_id is None:
                continue
            names.setdefault(org_id, name or org_id)
            aliases[org_id] |= {name} if name else set()
    if directory is not None:
        for org_id in names:
            aliases[org_id] |= set(directory.aliases.get(org_id, ()))
    return [Organisation(id=i, name=names[i], aliases=sorted(aliases[i])) for i in sorted(names)]


def resolve_org(session: Session, text: str, directory: Directory | None = None) -> set[str]:
    """The ids of the organisations ``text`` names: an id, a name or an alias, any case."""
    wanted = text.strip().casefold()
    return {
        o.id
        for o in organisations(session, directory)
        if wanted == o.id.casefold() or wanted in {a.casefold() for a in o.aliases}
    }


def _of_orgs(statement: Select[*Ts], table: Any, org_ids: set[str] | None) -> Select[*Ts]:
    if org_ids is None:
        return statement
    return statement.where(or_(table.subject_id.in_(org_ids), table.counterparty_id.in_(org_ids)))


def commitments(
    session: Session,
    *,
    org_ids: set[str] | None = None,
    type: str | None = None,
    cursor: str | None = None,
    limit: int | None = None,
) -> Page[Commitment]:
    """The ledger: the current state of every commitment, ordered by key."""
    statement = _of_orgs(select(StoreCommitment), StoreCommitment, org_ids)
    if type:
        statement = statement.where(StoreCommitment.type == type)
    if cursor:
        statement = statement.where(StoreCommitment.key > cursor)
    size = _limit(limit)
    rows = list(session.scalars(statement.order_by(StoreCommitment.key).limit(size + 1)))
    evidence = latest_evidence(session, [row.key for row in rows[:size]])
    items = [
        _commitment(row).model_copy(update={"evidence": evidence.get(row.key)})
        for row in rows[:size]
    ]
    return Page(items=items, next_cursor=items[-1].key if len(rows) > size else None)


def commitment(session: Session, key: str) -> Commitment | None:
    row = session.get(StoreCommitment, key)
    return None if row is None else _commitment(row)


def latest_evidence(session: Session, keys: list[str]) -> dict[str, ChangeEvidence]:
    """The evidence of each key's newest version (the one that set its current state)."""
    if not keys:
        return {}
    newest = (
        select(StoreCommitmentVersion.key, func.max(StoreCommitmentVersion.seq).label("seq"))
        .where(StoreCommitmentVersion.key.in_(keys))
        .group_by(StoreCommitmentVersion.key)
        .subquery()
    )
    rows = session.execute(
        select(StoreCommitmentVersion.key, StoreCommitmentVersion.evidence).join(
            newest,
            (StoreCommitmentVersion.key == newest.c.key)
            & (StoreCommitmentVersion.seq == newest.c.seq),
        )
    )
    return {key: ChangeEvidence.model_validate(evidence) for key, evidence in rows}


def _commitment(row: StoreCommitment) -> Commitment:
    return Commitment(
        key=row.key,
        type=row.type,
        subject=OrgRef(id=row.subject_id, name=row.subject_name),
        counterparty=OrgRef(id=row.counterparty_id, name=row.counterparty_name or "")
        if row.counterparty_id
        else None,
        what=row.what,
        scope=row.scope,
        state=CommitmentState.model_validate(row.state),
        last_kind=row.last_kind,
        sources=row.sources,
        corroboration=len(row.sources),
        disputed=[Claim.model_validate(c) for c in row.disputed],
        versions=row.versions,
        first_effective_at=row.first_effective_at,
        effective_at=row.effective_at,
        recorded_at=row.recorded_at,
        reason=row.reason,
    )


def history(
    session: Session,
    *,
    key: str | None = None,
    org_ids: set[str] | None = None,
    type: str | None = None,
) -> list[Version]:
    """Versions of one commitment (``key``) or of an organisation's commitments, in order."""
    keys = select(StoreCommitment.key)
    if key is not None:
        keys = keys.where(StoreCommitment.key == key)
    keys = _of_orgs(keys, StoreCommitment, org_ids)
    if type:
        keys = keys.where(StoreCommitment.type == type)
    rows = session.scalars(
        select(StoreCommitmentVersion)
        .where(StoreCommitmentVersion.key.in_(keys))
        .order_by(StoreCommitmentVersion.key, StoreCommitmentVersion.seq)
    )
    return [
        Version(
            id=v.id,
            key=v.key,
            seq=v.seq,
            kind=v.kind,
            before=CommitmentState.model_validate(v.before) if v.before else None,
            after=CommitmentState.model_validate(v.after),
            delta=Delta.model_validate(v.delta) if v.delta else None,
            sources=v.sources,
            disputed=[Claim.model_validate(c) for c in v.disputed],
            evidence=ChangeEvidence.model_validate(v.evidence),
            effective_at=v.effective_at,
            recorded_at=v.recorded_at,
        )
        for v in rows
    ]


def changes(
    session: Session,
    *,
    since: datetime | None = None,
    cursor: str | None = None,
    kind: str | None = None,
    org_ids: set[str] | None = None,
    type: str | None = None,
    limit: int | None = None,
) -> Page[ChangeV1]:
    """The change log in the order it was written; ``since`` filters on the effective time.

    The log only grows, so its ``next_cursor`` is set on every page, the last one too (on an
    empty page it is the cursor asked with): a client follows the log by asking again with it
    later, and a page shorter than ``limit`` means it has caught up."""
    statement = _of_orgs(select(StoreChange.seq, StoreChange.value), StoreChange, org_ids)
    if since is not None:
        statement = statement.where(StoreChange.effective_at >= since)
    if kind:
        statement = statement.where(StoreChange.kind == kind)
    if type:
        statement = statement.where(StoreChange.type == type)
    statement = _after(statement, _int_cursor(cursor) if cursor else None)
    rows = list(session.execute(statement.order_by(StoreChange.seq).limit(_limit(limit))))
    items = [ChangeV1.model_validate_json(value) for _, value in rows]
    return Page(items=items, next_cursor=str(rows[-1][0]) if rows else cursor or None)


def latest_changes(
    session: Session, *, after: int | None = None, limit: int | None = None
) -> tuple[list[ChangeV1], int | None]:
    """The newest ``limit`` changes written after seq ``after`` (of the whole log when None),
    oldest first, and the newest one's seq (None when there is none).  Read backwards on the
    primary key: the cost is the rows returned, however long the log has grown."""
    statement = _after(select(StoreChange.seq, StoreChange.value), after)
    rows = list(session.execute(statement.order_by(StoreChange.seq.desc()).limit(_limit(limit))))
    return [ChangeV1.model_validate_json(value) for _, value in reversed(rows)], (
        rows[0][0] if rows else None
    )


def change_seq_after(session: Session, after: int | None, skip: int) -> int | None:
    """The seq of the ``skip``-th change written after seq ``after`` (None: there are fewer)."""
    statement = _after(select(StoreChange.seq), after).order_by(StoreChange.seq)
    return session.scalar(statement.offset(skip - 1).limit(1))


def _after(statement: Select[*Ts], seq: int | None) -> Select[*Ts]:
    """``statement`` narrowed to the changes written after ``seq`` (all of them when None)."""
    return statement if seq is None else statement.where(StoreChange.seq > seq)


def _int_cursor(cursor: str) -> int:
    """A ``seq`` cursor: ASCII digits, within a 64-bit integer (a database's, SQLite's too)."""
    if not (cursor.isascii() and cursor.isdigit() and len(cursor) <= 18):
        raise ValueError(f"not a cursor of this list: {cursor[:40]!r}")
    return int(cursor)


def articles(
    session: Session,
    *,
    org_ids: set[str] | None = None,
    cursor: str | None = None,
    limit: int | None = None,
) -> Page[Article]:
    """Articles, newest first."""
    statement = select(StoreArticle)
    if org_ids is not None:
        mentioning = _of_orgs(select(StoreFact.article_id), StoreFact, org_ids)
        statement = statement.where(StoreArticle.id.in_(mentioning))
    if cursor:
        when, _, last_id = cursor.partition("~")
        try:
            after = datetime.fromisoformat(when)
        except ValueError as exc:
            raise ValueError(f"not a cursor of this list: {cursor!r}") from exc
        statement = statement.where(
            tuple_(StoreArticle.effective_at, StoreArticle.id) < tuple_(after, last_id)
        )
    size = _limit(limit)
    order = (StoreArticle.effective_at.desc(), StoreArticle.id.desc())
    rows = list(session.scalars(statement.order_by(*order).limit(size + 1)))
    items = [_article(row) for row in rows[:size]]
    last = rows[size - 1] if len(rows) > size else None
    return Page(
        items=items, next_cursor=f"{last.effective_at.isoformat()}~{last.id}" if last else None
    )


def article_message(row: StoreArticle) -> ArticleV1:
    """A stored article as the ``articles.v1`` message it came from (``replay stored``)."""
    return ArticleV1(
        id=row.id,
        url=row.url,
        source=row.source,
        lang=row.lang,
        title=row.title,
        author=row.author,
        published_at=row.published_at,
        updated_at=row.updated_at,
        fetched_at=row.fetched_at,
        text=row.text,
        content_hash=row.content_hash,
        warc=WarcRef.model_validate(row.warc) if row.warc else None,
    )


def _article(row: StoreArticle) -> Article:
    message = article_message(row).model_dump(exclude={"text", "updated_at"})
    return Article(**message, extractor_version=row.extractor_version, recorded_at=row.recorded_at)


def article_facts(
    session: Session, *, article_id: str | None = None, url: str | None = None
) -> ArticleFacts | None:
    """An article (by id or URL) and its current facts, in the order of the text."""
    statement = select(StoreArticle)
    if article_id is not None:
        statement = statement.where(StoreArticle.id == article_id)
    if url is not None:
        statement = statement.where(StoreArticle.url == url)
    row = session.scalars(statement.limit(1)).first()
    if row is None:
        return None
    facts = session.scalars(
        select(StoreFact).where(StoreFact.article_id == row.id).order_by(StoreFact.position)
    )
    return ArticleFacts(
        article=_article(row),
        facts=[
            Fact(
                id=f.id,
                position=f.position,
                key=f.key,
                key_reason=f.key_reason,
                fact=FactV1.model_validate(f.fact),
            )
            for f in facts
        ],
    )


def _qualifier(commitment: Commitment) -> Qualifier:
    quantity = commitment.state.quantity
    return quantity.qualifier if quantity is not None else "exact"


def _part(commitment: Commitment, value: float) -> Part:
    subject, qualifier = commitment.subject, _qualifier(commitment)
    return Part(key=commitment.key, subject=subject, value=value, qualifier=qualifier)


def totals(
    session: Session, directory: Directory, *, org_ids: set[str] | None = None
) -> list[Totals]:
    """Totals (e.g. 260,000 GPUs for Korea), the sum of their parts and the remainder.

    With ``org_ids``, only the totals those organisations take part in (as a party or a part).
    """
    rows = {
        row.key: row
        for row in session.scalars(
            select(StoreCommitment).where(StoreCommitment.value.is_not(None))
        )
    }
    lines = [
        Line(
            key=r.key,
            subject=r.subject_id,
            counterparty=r.counterparty_id,
            scope=r.scope,
            value=r.value,
            unit=r.unit,
            cancelled=r.state.get("status") == "cancelled",
        )
        for r in rows.values()
    ]
    result = []
    for found in aggregate(lines, directory.members):
        involved = {
            found.total.subject,
            found.total.counterparty,
            *(p.subject for p in found.parts),
        }
        if org_ids is not None and not involved & org_ids:
            continue
        total = _commitment(rows[found.total.key])
        assert total.counterparty is not None and found.total.value is not None
        parts = [_part(_commitment(rows[p.key]), p.value or 0.0) for p in found.parts]
        result.append(
            Totals(
                key=total.key,
                subject=total.subject,
                counterparty=total.counterparty,
                unit=found.total.unit or "",
                total=found.total.value,
                qualifier=_qualifier(total),
                allocated=found.allocated,
                unallocated=found.unallocated,
                parts=parts,
            )
        )
    return result
