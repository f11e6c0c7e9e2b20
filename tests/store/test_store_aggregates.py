"""Totals against their parts: the ledger shows the total, the sum of parts and the remainder."""

from __future__ import annotations

from datetime import timedelta

from services.core.db import transaction
from services.store import queries
from services.store.aggregates import Line, Member, aggregate
from services.store.directory import load_directory

from .builders import OCT_30, article, extraction, fact
from .ledger import LedgerHarness

MEMBERS = {
    "nvidia": Member("US"),
    "korea": Member("KR", is_country=True),
    "kr-government": Member("KR"),
    "samsung-electronics": Member("KR"),
    "tsmc": Member("TW"),
}


def line(
    subject: str,
    value: float | None,
    *,
    counterparty: str = "nvidia",
    scope: str | None = None,
    unit: str = "gpu",
    cancelled: bool = False,
) -> Line:
    key = f"{subject}|{counterparty}|{scope}|{unit}"
    return Line(key, subject, counterparty, scope, value, unit, cancelled)


TOTAL = line("nvidia", 260_000, counterparty="korea")


def test_parts_are_the_countrys_organisations_committing_to_the_totals_subject() -> None:
    [found] = aggregate(
        [
            TOTAL,
            line("kr-government", 50_000),
            line("samsung-electronics", 50_000),
            line("tsmc", 10_000),  # another country
            line("samsung-electronics", 3, counterparty="amd"),  # another counterparty
            line("kr-government", 1, unit="MW"),  # another unit
            line("kr-government", None, counterparty="nvidia", scope="vague"),
        ],
        MEMBERS,
    )
    assert found.total == TOTAL
    assert [p.subject for p in found.parts] == ["kr-government", "samsung-electronics"]
    assert (found.allocated, found.unallocated) == (100_000, 160_000)


def test_a_phase_is_not_added_to_its_whole_programme() -> None:
    [found] = aggregate(
        [
            TOTAL,
            line("samsung-electronics", 50_000),
            line("samsung-electronics", 20_000, scope="phase one"),
            line("kr-government", 10_000, scope="site a"),
            line("kr-government", 15_000, scope="site b"),
        ],
        MEMBERS,
    )
    assert found.allocated == 75_000


def test_cancelled_commitments_and_unknown_organisations_count_for_nothing() -> None:
    [found] = aggregate(
        [
            TOTAL,
            line("samsung-electronics", 50_000, cancelled=True),
            line("unknown:어느 회사", 5_000),
        ],
        MEMBERS,
    )
    assert (found.parts, found.unallocated) == ((), 260_000)
    assert aggregate([line("samsung-electronics", 50_000)], MEMBERS) == ()


async def test_ledger_totals_for_korea(ledger: LedgerHarness) -> None:
    later = OCT_30 + timedelta(days=1)
    await ledger.deliver(
        extraction(
            article("apec"),
            fact(260_000, type="supply", subject="nvidia", counterparty="korea", qualifier="up_to"),
            fact(50_000, subject="kr-government", qualifier="up_to"),
            fact(50_000, subject="samsung-electronics", qualifier="at_least"),
            fact(50_000, subject="hyundai-motor-group"),
        ),
        extraction(
            article("follow-up", later, source="b"),
            fact(50_000, subject="sk-group"),
            fact(60_000, subject="naver"),
        ),
    )
    with transaction(ledger.factory) as session:
        [korea] = queries.totals(session, load_directory())
    assert (korea.subject.id, korea.counterparty.id, korea.unit) == ("nvidia", "korea", "gpu")
    assert (korea.total, korea.allocated, korea.unallocated) == (260_000, 260_000, 0)
    assert sorted(p.subject.id for p in korea.parts) == [
        "hyundai-motor-group",
        "kr-government",
        "naver",
        "samsung-electronics",
        "sk-group",
    ]
