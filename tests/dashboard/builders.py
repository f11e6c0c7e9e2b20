"""Read models as the store returns them, for testing the views without a database."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from services.core.models import (
    ChangeEvidence,
    ChangeKind,
    ChangeV1,
    CommitmentState,
    Delta,
    OrgRef,
    Qualifier,
    Quantity,
    stable_id,
)
from services.store.queries import Claim, Commitment, Version

SAMSUNG = OrgRef(id="samsung-electronics", name="Samsung Electronics")
NVIDIA = OrgRef(id="nvidia", name="NVIDIA")
KEY = "gpu_commitment|samsung-electronics|nvidia|gpu|-"
KOREAN = {"samsung-electronics": "삼성전자", "nvidia": "엔비디아"}


def when(day: int, month: int = 11) -> datetime:
    return datetime(2025, month, day, 9, tzinfo=UTC)


def gpus(value: float | None, text: str, qualifier: Qualifier = "exact") -> CommitmentState:
    return CommitmentState(
        quantity=Quantity(value=value, unit="gpu", qualifier=qualifier, text=text)
    )


def proof(sentence: str, title: str = "삼성, GPU 확대") -> ChangeEvidence:
    return ChangeEvidence(
        article_id=stable_id(sentence),
        url=f"https://news.example.kr/{stable_id(sentence)[:8]}",
        title=title,
        source="example-news",
        sentence=sentence,
        start=0,
        end=len(sentence),
    )


def commitment(state: CommitmentState, kind: ChangeKind = "new", **fields: Any) -> Commitment:
    values: dict[str, Any] = {
        "key": KEY,
        "type": "gpu_commitment",
        "subject": SAMSUNG,
        "counterparty": NVIDIA,
        "what": "gpu",
        "scope": None,
        "state": state,
        "last_kind": kind,
        "sources": ["example-news"],
        "corroboration": 1,
        "disputed": [],
        "versions": 1,
        "first_effective_at": when(1),
        "effective_at": when(1),
        "recorded_at": when(2),
        "reason": "test",
    }
    return Commitment(**{**values, **fields})


def version(
    seq: int,
    kind: ChangeKind,
    after: CommitmentState,
    sentence: str,
    *,
    at: datetime,
    before: CommitmentState | None = None,
    delta: Delta | None = None,
    disputed: tuple[Claim, ...] = (),
) -> Version:
    return Version(
        id=stable_id(KEY, str(seq)),
        key=KEY,
        seq=seq,
        kind=kind,
        before=before,
        after=after,
        delta=delta,
        sources=["example-news"],
        disputed=list(disputed),
        evidence=proof(sentence),
        effective_at=at,
        recorded_at=at,
    )


def change_of(v: Version) -> ChangeV1:
    return ChangeV1(
        id=v.id,
        kind=v.kind,
        key=v.key,
        type="gpu_commitment",
        subject=SAMSUNG,
        counterparty=NVIDIA,
        before=v.before,
        after=v.after,
        delta=v.delta,
        evidence=v.evidence,
        effective_at=v.effective_at,
        recorded_at=v.recorded_at,
    )
