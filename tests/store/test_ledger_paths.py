"""Property: every way the store brings a commitment up to date — appending in-order facts,
redoing a late fact's tail, re-deriving after a re-extraction — leaves the history and the
commitment row a full derive over the stored facts gives, after every batch, on SQLite and
PostgreSQL: versions, disputed claims with their dates, when the commitment was last seen
(``observed_until``) and when its figure was last asserted (``asserted_until``).  The arrivals
repeat figures during live disputes, tie at one instant and re-extract articles."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, true, update
from sqlalchemy.orm import Session, sessionmaker

from services.core.db import transaction
from services.core.models import ExtractionV1, FactV1
from services.store.commitments import _observations
from services.store.diff import Claim, extend_history
from services.store.queries import Claim as ClaimView
from services.store.tables import StoreCommitment

from .builders import OCT_30, article, extraction, fact
from .ledger import LedgerHarness
from .test_ledger_properties import batches

KOREA = {"type": "supply", "subject": "nvidia", "counterparty": "korea", "gpu_model": "GB200"}
DAYS = [0, 1, 10, 20, 31, 32, 33, 41, 52, 63, 64]
SETTINGS = settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def at(f: FactV1, start: int) -> FactV1:
    """The same fact, further on in its article's text."""
    moved = f.evidence.model_copy(update={"start": start, "end": start + 5})
    return f.model_copy(update={"evidence": moved})


def said(slug: str, day: int, source: str, *facts: FactV1, version: str = "1.0.0") -> ExtractionV1:
    return extraction(
        article(slug, OCT_30 + timedelta(days=day), source=source), *facts, version=version
    )


ARRIVALS = [
    said("a0", 0, "a", fact(100_000), at(fact(100_000), 50), fact(260_000, **KOREA)),  # type: ignore[arg-type]
    said("b5", 5, "b", fact(120_000)),
    said("a10", 10, "a", fact(100_000), fact(260_000, **KOREA)),  # type: ignore[arg-type]
    said("b12", 12, "b", fact(120_000)),
    said("c12", 12, "c", fact(120_000), fact(270_000, **KOREA)),  # type: ignore[arg-type]
    said("d30", 30, "d", fact(130_000)),
    said("b40", 40, "b", fact(120_000), at(fact(120_000), 30)),
    said("d40", 40, "d", fact(130_000), fact(270_000, **KOREA)),  # type: ignore[arg-type]
    said("a44", 44, "a", fact(100_000)),
    said("b12", 12, "b", fact(125_000), version="1.1.0"),
    said("e75", 75, "e", fact(90_000), fact(260_000, **KOREA)),  # type: ignore[arg-type]
]  # fmt: skip


def dated(claims: list[Claim] | list[ClaimView] | tuple[Claim, ...]) -> list[tuple[object, ...]]:
    return [(c.quantity.value, tuple(c.sources), c.asserted_at) for c in claims]


def assert_as_derived(factory: sessionmaker[Session]) -> None:
    ledger = LedgerHarness(factory)
    with transaction(factory) as session:
        seen = _observations(session, true())
        stored = {r.key: r for r in session.execute(select(StoreCommitment.__table__))}
    rows = ledger.ledger()
    assert {r.key for r in rows} == set(seen)
    for r in rows:
        expected, head = extend_history(r.key, None, [s.observation for s in seen[r.key]])
        assert head is not None
        got = ledger.history(r.key)
        assert [(v.id, v.kind) for v in got] == [(v.id, v.kind) for v in expected]
        assert [dated(v.disputed) for v in got] == [dated(v.disputed) for v in expected]
        assert (r.state, dated(r.disputed)) == (expected[-1].after, dated(expected[-1].disputed))
        row = stored[r.key]
        assert row.versions == len(expected)
        assert row.effective_at == head.version.observation.effective_at
        assert (row.observed_until, row.asserted_until) == (head.seen_at, head.asserted_at)


async def deliver_checking(
    factory: sessionmaker[Session], groups: list[list[ExtractionV1]]
) -> None:
    ledger = LedgerHarness(factory)
    try:
        for group in groups:
            await ledger.deliver(*group)
            assert_as_derived(factory)
    finally:
        ledger.wipe()


@SETTINGS
@given(
    order=st.permutations(ARRIVALS),
    cuts=st.lists(st.booleans(), min_size=len(ARRIVALS), max_size=len(ARRIVALS)),
)
async def test_every_path_leaves_what_a_full_derive_gives(
    factory: sessionmaker[Session], order: list[ExtractionV1], cuts: list[bool]
) -> None:
    await deliver_checking(factory, batches(order, cuts))


ITEM = st.tuples(
    st.integers(0, 9),  # the article: a second sighting of one is its re-extraction
    st.sampled_from(DAYS),
    st.sampled_from("abcd"),
    st.lists(st.sampled_from([100_000, 120_000, 130_000]), max_size=2),
)


@SETTINGS
@given(
    items=st.lists(ITEM, min_size=1, max_size=12),
    cuts=st.lists(st.booleans(), min_size=12, max_size=12),
)
async def test_generated_arrivals_leave_what_a_full_derive_gives(
    factory: sessionmaker[Session], items: list[tuple[int, int, str, list[int]]], cuts: list[bool]
) -> None:
    versions: dict[int, int] = {}
    arrivals = []
    for slug, day, source, values in items:
        versions[slug] = versions.get(slug, -1) + 1
        figures = [at(fact(v), 10 * i) for i, v in enumerate(values)]
        arrivals.append(said(f"s{slug}", day, source, *figures, version=f"1.{versions[slug]}.0"))
    await deliver_checking(factory, batches(arrivals, cuts[: len(arrivals)]))


async def test_a_row_that_does_not_say_when_its_figure_was_asserted_is_worked_out(
    factory: sessionmaker[Session],
) -> None:
    """A row written before migration 0012 (or by the release before it) has no
    ``asserted_until``: the repeat after its version still dates the claim b's figure disputes."""
    ledger = LedgerHarness(factory)
    try:
        await ledger.deliver(said("a0", 0, "a", fact(100_000)))
        await ledger.deliver(said("a20", 20, "a", fact(100_000)))  # a repeats: no version
        with transaction(factory) as session:
            session.execute(update(StoreCommitment).values(asserted_until=None))
        [conflict] = await ledger.deliver(said("b40", 40, "b", fact(120_000)))
        [row] = ledger.ledger()
        assert conflict.kind == "conflict"
        assert dated(row.disputed) == [(100_000, ("a",), OCT_30 + timedelta(days=20))]
        assert await ledger.deliver(said("a45", 45, "a", fact(100_000))) == []  # a's side, again
        assert_as_derived(factory)
    finally:
        ledger.wipe()
