"""Property: any arrival order and batching of the same facts yields the same ledger and history.

Covers both ways the store brings a commitment up to date (appending in-order facts, and
re-deriving after a late article or a re-extraction) on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session, sessionmaker

from services.core.models import ExtractionV1

from .builders import OCT_30, article, extraction, fact
from .ledger import LedgerHarness

KOREA = {"type": "supply", "subject": "nvidia", "counterparty": "korea", "gpu_model": "GB200"}

ARRIVALS = [
    extraction(article("a", source="a"), fact(15_000), fact(260_000, qualifier="up_to", **KOREA)),
    extraction(article("b", OCT_30 + timedelta(days=3), source="b"), fact(24_000),
               fact(260_000, **KOREA)),
    extraction(article("b", OCT_30 + timedelta(days=3), source="b"), fact(25_000),
               fact(260_000, **KOREA), version="1.1.0"),
    # a restates its side of the dispute (no version); g's figure disputes b's, dated day 3
    extraction(article("f", OCT_30 + timedelta(days=20), source="a"), fact(15_000)),
    extraction(article("g", OCT_30 + timedelta(days=30), source="g"), fact(30_000)),
    extraction(article("c", OCT_30 + timedelta(days=50), source="c"),
               fact(50_000, qualifier="at_least")),
    extraction(article("d", OCT_30 + timedelta(days=80), source="a"),
               fact(50_000, status="cancelled"), fact(240_000, **KOREA)),
    extraction(article("e", OCT_30 + timedelta(days=81), source="e"),
               fact(50_000, scope="phase 1")),
]  # fmt: skip

REFERENCE: dict[str, str] = {}


def outcome(ledger: LedgerHarness) -> str:
    """Everything but the times at which the store learned it."""
    rows = ledger.ledger()
    return repr([
        (r.key, r.state, r.sources, r.disputed, r.last_kind, r.versions, r.first_effective_at,
         r.effective_at, r.subject, r.counterparty, r.reason)
        for r in rows
    ] + [
        (v.id, v.seq, v.kind, v.before, v.after, v.delta, v.sources, v.disputed, v.evidence,
         v.effective_at)
        for r in rows for v in ledger.history(r.key)
    ])  # fmt: skip


def batches(order: list[ExtractionV1], cuts: list[bool]) -> list[list[ExtractionV1]]:
    groups: list[list[ExtractionV1]] = [[]]
    for item, cut in zip(order, cuts, strict=True):
        groups[-1].append(item)
        if cut:
            groups.append([])
    return [g for g in groups if g]


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    order=st.permutations(ARRIVALS),
    cuts=st.lists(st.booleans(), min_size=len(ARRIVALS), max_size=len(ARRIVALS)),
)
async def test_any_arrival_order_and_batching_yields_the_same_ledger_and_history(
    factory: sessionmaker[Session], order: list[ExtractionV1], cuts: list[bool]
) -> None:
    dialect = factory.kw["bind"].dialect.name
    if dialect not in REFERENCE:
        reference = LedgerHarness(factory)
        for item in ARRIVALS:
            await reference.deliver(item)
        REFERENCE[dialect] = outcome(reference)
        reference.wipe()
    ledger = LedgerHarness(factory)
    try:
        for group in batches(order, cuts):
            await ledger.deliver(*group)
        assert outcome(ledger) == REFERENCE[dialect]
    finally:
        ledger.wipe()
