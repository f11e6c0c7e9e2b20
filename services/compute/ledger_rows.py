"""Every version of every commitment, with its parties: what the compute view is computed from.

Read through the store's public queries (:func:`services.store.queries.commitments` for the
parties and scope of each key, :func:`services.store.queries.history` for the versions), never
its tables, and joined here into one frozen row per version.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from services.core.models import ChangeEvidence, ChangeKind, CommitmentState, FactType, OrgRef
from services.store import queries


@dataclass(frozen=True)
class LedgerVersion:
    """One version of one commitment, with what does not change between versions."""

    key: str
    seq: int
    kind: ChangeKind
    type: FactType
    subject: OrgRef
    counterparty: OrgRef | None
    scope: str | None
    state: CommitmentState
    sources: tuple[str, ...]
    evidence: ChangeEvidence
    effective_at: datetime
    recorded_at: datetime


def read_versions(session: Session) -> list[LedgerVersion]:
    """The whole history of the ledger, ordered by commitment key and version."""
    commitments: dict[str, queries.Commitment] = {}
    cursor: str | None = None
    while True:
        page = queries.commitments(session, cursor=cursor)
        commitments.update((c.key, c) for c in page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    return [
        LedgerVersion(
            key=v.key,
            seq=v.seq,
            kind=v.kind,
            type=(c := commitments[v.key]).type,
            subject=c.subject,
            counterparty=c.counterparty,
            scope=c.scope,
            state=v.after,
            sources=tuple(v.sources),
            evidence=v.evidence,
            effective_at=v.effective_at,
            recorded_at=v.recorded_at,
        )
        for v in queries.history(session)
        if v.key in commitments
    ]
