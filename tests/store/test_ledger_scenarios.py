"""The store's contract: named scenarios, each run on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from services.core.bus import MemoryBus
from services.core.db import transaction
from services.core.errors import MessageError
from services.core.migrate import downgrade, upgrade
from services.core.models import (
    ArticleV1,
    ChangeV1,
    CommitmentState,
    Evidence,
    ExtractionV1,
    FactV1,
)
from services.store import queries, service
from services.store.errors import InvalidExtraction
from services.store.repository import Applied

from .builders import OCT_30, article, extraction, fact, message
from .ledger import TOPICS, LedgerHarness

SAMSUNG_GPU = "gpu_commitment|samsung-electronics|nvidia|gpu|-"
KOREA_SUPPLY = "supply|nvidia|korea|gpu|-"


def korea_supply(value: float, qualifier: str) -> object:
    return fact(
        value,
        type="supply",
        subject="nvidia",
        counterparty="korea",
        qualifier=qualifier,
        gpu_model="GB200",
    )  # type: ignore[arg-type]


async def test_restated_not_changed(ledger: LedgerHarness) -> None:
    """Over, up to and plain 260,000 on one day: one commitment, never a quantity change."""
    day = [OCT_30 + timedelta(hours=h) for h in range(3)]
    changes = await ledger.deliver(
        extraction(article("a", day[0], source="yonhap"), korea_supply(260_000, "at_least")),
        extraction(article("b", day[1], source="zdnet"), korea_supply(260_000, "up_to")),
        extraction(
            article("c", day[2], source="reuters", lang="en"), korea_supply(260_000, "exact")
        ),
    )
    assert [c.kind for c in changes] == ["new", "revised", "revised"]
    assert all(c.delta is None for c in changes)
    [row] = ledger.ledger()
    assert row.key == KOREA_SUPPLY
    assert row.state.quantity is not None
    assert (row.state.quantity.value, row.state.quantity.qualifier) == (260_000, "exact")
    assert row.sources == ["yonhap", "zdnet", "reuters"]


async def test_increase_across_sources(ledger: LedgerHarness) -> None:
    await ledger.deliver(extraction(article("oct"), fact(50_000, mention="삼성전자")))
    [change] = await ledger.deliver(
        extraction(
            article("dec", OCT_30 + timedelta(days=60), source="reuters", lang="en"),
            fact(60_000, mention="Samsung"),
        )
    )
    assert (change.kind, change.key, change.notify) == ("increased", SAMSUNG_GPU, True)
    assert change.delta is not None
    assert change.delta.absolute == 10_000
    assert change.delta.relative == pytest.approx(0.2)
    assert change.before is not None and change.before.quantity is not None
    assert change.before.quantity.value == 50_000
    assert change.evidence.url.endswith("/dec") and change.evidence.source == "reuters"
    assert change.effective_at == OCT_30 + timedelta(days=60)
    [row] = ledger.ledger()
    assert row.state.quantity is not None and row.state.quantity.value == 60_000


async def test_reaffirmed_from_another_source_grows_corroboration_without_alert(
    ledger: LedgerHarness,
) -> None:
    await ledger.deliver(extraction(article("a"), fact(50_000)))
    later = OCT_30 + timedelta(hours=2)
    [change] = await ledger.deliver(
        extraction(article("b", later, source="hankyung"), fact(50_000))
    )
    assert (change.kind, change.notify) == ("reaffirmed", False)
    [row] = ledger.ledger()
    assert (row.corroboration, row.sources) == (2, ["zdnet", "hankyung"])


async def test_late_arriving_older_article(ledger: LedgerHarness) -> None:
    november = extraction(article("nov", OCT_30 + timedelta(days=40), source="b"), fact(50_000))
    october = extraction(article("oct", OCT_30, source="a"), fact(40_000))
    await ledger.deliver(november)
    late = await ledger.deliver(october, replay="backfill-1")
    assert [(c.kind, c.evidence.url.rsplit("/", 1)[1]) for c in late] == [
        ("new", "oct"),
        ("increased", "nov"),
    ]
    assert all(c.replay_id == "backfill-1" and not c.notify for c in late)
    [row] = ledger.ledger()
    assert row.state.quantity is not None and row.state.quantity.value == 50_000
    assert row.effective_at == OCT_30 + timedelta(days=40)
    assert [v.kind for v in ledger.history(SAMSUNG_GPU)] == ["new", "increased"]
    assert [v.effective_at for v in ledger.history(SAMSUNG_GPU)] == [
        OCT_30,
        OCT_30 + timedelta(days=40),
    ]


async def test_conflicting_same_month(ledger: LedgerHarness) -> None:
    first = extraction(article("a", source="a"), fact(15_000))
    second = extraction(article("b", OCT_30 + timedelta(days=12), source="b"), fact(24_000))
    changes = await ledger.deliver(first, second)
    assert [c.kind for c in changes] == ["new", "conflict"]
    [row] = ledger.ledger()
    assert row.last_kind == "conflict"
    assert row.state.quantity is not None and row.state.quantity.value == 24_000
    [claim] = row.disputed
    assert (claim.quantity.value, claim.sources) == (15_000, ["a"])


def said(name: str, day: int, source: str, value: float) -> ExtractionV1:
    return extraction(article(name, OCT_30 + timedelta(days=day), source=source), fact(value))


async def test_a_figure_repeated_keeps_a_later_other_figure_a_conflict(
    ledger: LedgerHarness,
) -> None:
    """A says 100,000 on day 0 and again on day 30; B's 120,000 on day 40 disputes it."""
    for name, day, source, value in [("a0", 0, "a", 100_000), ("a30", 30, "a", 100_000)]:
        await ledger.deliver(said(name, day, source, value))
    [change] = await ledger.deliver(said("b40", 40, "b", 120_000))
    assert change.kind == "conflict"
    [row] = ledger.ledger()
    [claim] = row.disputed
    assert (claim.quantity.value, claim.sources) == (100_000, ["a"])


async def test_a_late_figure_is_weighed_against_the_repeat_before_it(
    ledger: LedgerHarness,
) -> None:
    """The late fact's fold starts after a repeat that added no version: it still counts."""
    for name, day in [("a0", 0), ("a30", 30), ("a60", 60)]:
        await ledger.deliver(said(name, day, "a", 100_000))
    late = await ledger.deliver(said("b40", 40, "b", 120_000))
    assert [c.kind for c in late] == ["conflict"]
    assert [v.kind for v in ledger.history(SAMSUNG_GPU)] == ["new", "conflict"]


async def test_conflict_window_is_configurable(factory: sessionmaker[Session]) -> None:
    ledger = LedgerHarness(factory)
    ledger.handle = service.make_handler(factory, TOPICS, window=timedelta(days=7))
    changes = await ledger.deliver(
        extraction(article("a", source="a"), fact(15_000)),
        extraction(article("b", OCT_30 + timedelta(days=12), source="b"), fact(24_000)),
    )
    assert [c.kind for c in changes] == ["new", "increased"]


async def test_retraction(ledger: LedgerHarness) -> None:
    await ledger.deliver(extraction(article("a"), fact(50_000)))
    [change] = await ledger.deliver(
        extraction(
            article("b", OCT_30 + timedelta(days=5), source="b"), fact(50_000, status="cancelled")
        )
    )
    assert (change.kind, change.after.status) == ("retracted", "cancelled")
    assert ledger.ledger()[0].state.status == "cancelled"


async def test_re_extraction_replaces_facts(ledger: LedgerHarness) -> None:
    news = article("apec")
    spurious = fact(4, type="investment", unit="USD", subject="hyundai-motor-group")
    first = await ledger.deliver(extraction(news, fact(50_000), spurious, version="1.0.0"))
    assert len(first) == 2
    hynix = fact(type="supply", subject="sk-hynix", quantity=False, products=("HBM4",))
    second = await ledger.deliver(extraction(news, fact(50_000), hynix, version="1.1.0"))
    assert [(c.kind, c.key) for c in second] == [
        ("new", "supply|sk-hynix|nvidia|HBM|-"),
        ("withdrawn", "investment|hyundai-motor-group|nvidia|USD|-"),
    ]
    assert {row.key for row in ledger.ledger()} == {SAMSUNG_GPU, "supply|sk-hynix|nvidia|HBM|-"}
    with transaction(ledger.factory) as session:
        facts = queries.article_facts(session, url=news.url)
    assert facts is not None
    assert [f.fact.extractor.version for f in facts.facts] == ["1.1.0", "1.1.0"]
    assert facts.article.extractor_version == "1.1.0"
    # the older extractor's message, replayed later, changes nothing
    assert await ledger.deliver(extraction(news, fact(5_000), version="1.0.0")) == []
    assert len(ledger.ledger()) == 2


async def test_re_extracting_an_article_with_two_figures_of_one_commitment_alerts_once(
    ledger: LedgerHarness,
) -> None:
    """The article's facts fold in the order of its text, whatever ids a version gives them."""
    news = article("plan")
    this_year = fact(10_000, sentence="삼성전자는 올해 엔비디아 GPU 1만 장을 도입한다.")
    later = fact(50_000, sentence="삼성전자는 2027년까지 엔비디아 GPU 5만 장을 도입할 계획이다.")
    later = later.model_copy(
        update={"evidence": later.evidence.model_copy(update={"start": 40, "end": 80})}
    )
    first = await ledger.deliver(extraction(news, this_year, later, version="1.0.0"))
    assert [(c.kind, c.after.quantity and c.after.quantity.value) for c in first] == [
        ("new", 10_000),
        ("increased", 50_000),
    ]
    for version in ("1.1.0", "1.2.0", "1.3.0"):
        assert await ledger.deliver(extraction(news, this_year, later, version=version)) == []
        [row] = ledger.ledger()
        assert row.state.quantity is not None and row.state.quantity.value == 50_000


async def test_two_figures_of_one_sentence_keep_their_written_order_through_a_re_extraction(
    ledger: LedgerHarness,
) -> None:
    sentence = "메타는 올해 엔비디아 GPU 5만 장을, 내년에는 10만 장을 구매한다."
    def written_at(value: float, written: str) -> FactV1:
        at = sentence.index(written)
        spans = {"quantity": (at, at + len(written))}
        evidence = Evidence(sentence=sentence, start=0, end=len(sentence), spans=spans)
        return fact(value, sentence=sentence).model_copy(update={"evidence": evidence})

    figures = [written_at(100_000, "10만 장"), written_at(50_000, "5만 장")]  # out of order
    news = article("meta")
    first = await ledger.deliver(extraction(news, *figures, version="1.0.0"))
    assert [c.kind for c in first] == ["new", "increased"]
    assert await ledger.deliver(extraction(news, *reversed(figures), version="1.1.0")) == []
    [row] = ledger.ledger()
    assert row.state.quantity is not None and row.state.quantity.value == 100_000


async def test_duplicate_delivery_no_op(ledger: LedgerHarness) -> None:
    messages = ledger.messages(
        extraction(article("a"), fact(50_000)), extraction(article("b", source="b"), fact(60_000))
    )
    assert len(await ledger.deliver_messages(messages)) == 2
    counts = ledger.counts()
    assert await ledger.deliver_messages(messages) == []
    assert await ledger.deliver_messages(messages[1:] + messages) == []
    # the same extraction at a new offset (a replay) is recognised too
    assert await ledger.deliver(extraction(article("a"), fact(50_000)), replay="r1") == []
    assert ledger.counts() == counts


async def test_crash_between_db_and_kafka(ledger: LedgerHarness) -> None:
    """Neither a crash before the commit nor one after the broker's ack loses or duplicates."""
    messages = ledger.messages(
        extraction(article("a"), fact(50_000)),
        extraction(article("b", source="b"), fact(60_000, scope="phase 2")),
    )

    class Crash(Exception):
        pass

    apply_batch = service.apply_batch

    def apply_then_crash(*args: object, **kwargs: object) -> Applied:
        apply_batch(*args, **kwargs)  # type: ignore[arg-type]
        raise Crash  # the process dies after writing, before the commit

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(service, "apply_batch", apply_then_crash)
        with pytest.raises(Crash):
            await ledger.deliver_messages(messages)
    assert ledger.counts() == (0, 0, 0)
    changes = await ledger.deliver_messages(messages)  # the loop redelivers the batch
    assert len(changes) == 2

    bus = MemoryBus()

    class AckThenCrash:
        async def publish_many(self, outgoing: object) -> None:
            await bus.publish_many(outgoing)  # type: ignore[arg-type]
            raise Crash  # the broker acknowledged, the process died before marking

    with pytest.raises(Crash):
        await service.relay_once(ledger.factory, AckThenCrash(), TOPICS)
    assert await service.relay_once(ledger.factory, bus, TOPICS) == 2  # the restart re-publishes
    assert await service.relay_once(ledger.factory, bus, TOPICS) == 0
    published = bus.topics[TOPICS.changes]
    assert len(published) == 4
    assert {m.value for m in published} == {c.model_dump_json().encode() for c in changes}
    assert len({ChangeV1.model_validate_json(m.value).id for m in published}) == 2


async def test_replay_headers_travel_with_the_change(ledger: LedgerHarness) -> None:
    [change] = await ledger.deliver(extraction(article("a"), fact(1)), replay="r7", alerts=True)
    assert (change.replay_id, change.notify) == ("r7", True)
    bus = MemoryBus()
    await service.relay_once(ledger.factory, bus, TOPICS)
    [published] = bus.topics[TOPICS.changes]
    assert published.header("infraledger-replay-id") == "r7"
    assert published.header("infraledger-replay-alerts") == "true"
    assert published.key == change.key.encode()


async def test_malformed_messages_are_terminal(ledger: LedgerHarness) -> None:
    for value in (b"not json", b'{"article": {}}'):
        with pytest.raises(InvalidExtraction) as caught:
            await ledger.handle([message(value, 0)])
        assert isinstance(caught.value, MessageError)


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400"])
async def test_a_quantity_json_cannot_hold_is_terminal_and_stores_nothing(
    ledger: LedgerHarness, number: str
) -> None:
    valid = extraction(article("a"), fact(50_000)).model_dump_json()
    assert '"value":50000.0' in valid
    value = valid.replace('"value":50000.0', f'"value":{number}').encode()
    with pytest.raises(InvalidExtraction, match="finite"):
        await ledger.handle([message(value, 0)])
    assert ledger.counts() == (0, 0, 0)


async def test_a_re_extraction_that_no_longer_reads_a_commitment_withdraws_it(
    ledger: LedgerHarness,
) -> None:
    """An analyst alerted to a commitment hears when the ledger stops holding it."""
    news = article("apec")
    [new] = await ledger.deliver(extraction(news, fact(50_000), version="1.0.0"))
    [gone] = await ledger.deliver(extraction(news, version="1.1.0"))
    assert (gone.kind, gone.key, gone.after) == ("withdrawn", SAMSUNG_GPU, None)
    assert gone.before == new.after
    assert (gone.evidence, gone.effective_at) == (new.evidence, new.effective_at)
    assert (gone.subject, gone.counterparty, gone.type) == (new.subject, new.counterparty, new.type)
    assert gone.notify
    assert ledger.ledger() == []
    # redelivered, or re-extracted once more to the same reading: nothing more to say
    assert await ledger.deliver(extraction(news, version="1.1.0")) == []
    assert await ledger.deliver(extraction(news, version="1.2.0")) == []


async def test_a_withdrawn_increase_takes_the_ledger_back_to_the_figure_before_it(
    ledger: LedgerHarness,
) -> None:
    await ledger.deliver(extraction(article("oct"), fact(50_000)))
    later = article("dec", OCT_30 + timedelta(days=60), source="reuters", lang="en")
    [increase] = await ledger.deliver(extraction(later, fact(60_000), version="1.0.0"))
    assert increase.kind == "increased"
    [gone] = await ledger.deliver(extraction(later, version="1.1.0"))
    assert gone.kind == "withdrawn"
    assert gone.before is not None and gone.before.quantity is not None
    assert gone.after is not None and gone.after.quantity is not None
    assert (gone.before.quantity.value, gone.after.quantity.value) == (60_000, 50_000)
    [row] = ledger.ledger()
    assert row.state.quantity is not None and row.state.quantity.value == 50_000


def figures(changes: list[ChangeV1]) -> list[tuple[str, float | None, float | None]]:
    """Each change's kind and the figures before and after it, by kind."""

    def value(state: CommitmentState | None) -> float | None:
        return state.quantity.value if state and state.quantity else None

    return sorted((c.kind, value(c.before), value(c.after)) for c in changes)


def told(changes: list[ChangeV1]) -> list[tuple[str, bool]]:
    return [(c.kind, c.notify) for c in changes]


async def a_dispute(ledger: LedgerHarness) -> ArticleV1:
    """Source a's 50,000, then source b's 60,000 five days later (a conflict): a's article."""
    first = article("a", source="a")
    await ledger.deliver(extraction(first, fact(50_000), version="1.0.0"))
    [conflict] = await ledger.deliver(said("b", 5, "b", 60_000))
    assert conflict.kind == "conflict"
    return first


async def test_a_figure_read_again_differently_says_what_it_was_reported_as(
    ledger: LedgerHarness,
) -> None:
    """The new reading's version compares with the figure before it in the history; the
    analyst was told 60,000, so the withdrawal of that reading says where the ledger stands."""
    await ledger.deliver(extraction(article("oct"), fact(50_000)))
    later = article("dec", OCT_30 + timedelta(days=60), source="reuters", lang="en")
    await ledger.deliver(extraction(later, fact(60_000), version="1.0.0"))
    changes = await ledger.deliver(extraction(later, fact(55_000), version="1.1.0"))
    assert figures(changes) == [("increased", 50_000, 55_000), ("withdrawn", 60_000, 55_000)]
    assert [c.kind for c in changes] == ["increased", "withdrawn"]  # it leaves what they reach
    assert all(c.notify for c in changes)


async def test_a_figure_read_again_as_the_one_before_it_withdraws_the_increase(
    ledger: LedgerHarness,
) -> None:
    """The ledger falls back to 50,000: a reaffirmation (which nobody is told of) would hide it."""
    await ledger.deliver(extraction(article("oct"), fact(50_000)))
    later = article("dec", OCT_30 + timedelta(days=60), source="reuters", lang="en")
    await ledger.deliver(extraction(later, fact(60_000), version="1.0.0"))
    changes = await ledger.deliver(extraction(later, fact(50_000), version="1.1.0"))
    assert figures(changes) == [("reaffirmed", 50_000, 50_000), ("withdrawn", 60_000, 50_000)]
    [gone] = [c for c in changes if c.kind == "withdrawn"]
    assert gone.notify


async def test_the_only_article_read_again_differently_is_told_as_a_withdrawal_alone(
    ledger: LedgerHarness,
) -> None:
    """The re-derived history begins with its own first sighting, which is no news to analysts
    told of the commitment already: the withdrawal says what the ledger now holds."""
    news = article("oct")
    await ledger.deliver(extraction(news, fact(50_000), version="1.0.0"))
    changes = await ledger.deliver(extraction(news, fact(55_000), version="1.1.0"))
    assert figures(changes) == [("new", None, 55_000), ("withdrawn", 50_000, 55_000)]
    assert [(c.kind, c.notify) for c in changes] == [("new", False), ("withdrawn", True)]
    assert [v.kind for v in ledger.history(SAMSUNG_GPU)] == ["new"]


async def test_a_late_older_article_is_told_as_the_history_s_new_first_sighting(
    ledger: LedgerHarness,
) -> None:
    """Unlike a re-read article, a late one is news: nobody was told of it."""
    await ledger.deliver(extraction(article("nov", OCT_30 + timedelta(days=40)), fact(50_000)))
    late = await ledger.deliver(extraction(article("oct", source="b"), fact(40_000)))
    assert [(c.kind, c.notify) for c in late] == [("new", True), ("increased", True)]


async def test_a_re_extraction_that_loses_the_first_article_tells_nothing_new(
    ledger: LedgerHarness,
) -> None:
    """The ledger still holds the figure it reported: the history's new start is logged only."""
    first = article("oct")
    await ledger.deliver(extraction(first, fact(50_000), version="1.0.0"))
    later = article("dec", OCT_30 + timedelta(days=60), source="reuters", lang="en")
    await ledger.deliver(extraction(later, fact(60_000)))
    changes = await ledger.deliver(extraction(first, version="1.1.0"))
    assert [(c.kind, c.notify) for c in changes] == [("new", False)]
    [row] = ledger.ledger()
    assert row.state.quantity is not None and row.state.quantity.value == 60_000


async def test_a_re_extraction_that_drops_one_side_of_a_dispute_withdraws_the_conflict(
    ledger: LedgerHarness,
) -> None:
    """The ledger told of 60,000 disputed by 50,000; with the 50,000 no longer read it holds
    60,000 alone, and the withdrawal of the conflict says so."""
    first = await a_dispute(ledger)
    changes = await ledger.deliver(extraction(first, version="1.1.0"))
    assert [(c.kind, c.notify) for c in changes] == [("new", False), ("withdrawn", True)]
    assert figures(changes)[1] == ("withdrawn", 60_000, 60_000)
    [row] = ledger.ledger()
    assert row.disputed == [] and row.last_kind == "new"
    # another figure a day later disputes the one left
    later = await ledger.deliver(said("c", 6, "c", 70_000))
    assert figures(later) == [("conflict", 60_000, 70_000)]


async def test_a_dispute_ended_under_a_reaffirmation_is_withdrawn(ledger: LedgerHarness) -> None:
    """The version the ledger reported last keeps its id (ids leave the claims out) but no
    longer holds the dispute it was reported with."""
    first = await a_dispute(ledger)
    [reaffirmed] = await ledger.deliver(said("c", 6, "c", 60_000))
    assert reaffirmed.kind == "reaffirmed"
    changes = await ledger.deliver(extraction(first, version="1.1.0"))
    assert told(changes) == [("new", False), ("withdrawn", True)]
    [row] = ledger.ledger()
    assert row.disputed == []


async def test_one_of_two_disputed_figures_no_longer_read_is_withdrawn(
    ledger: LedgerHarness,
) -> None:
    first = await a_dispute(ledger)
    [second] = await ledger.deliver(said("c", 6, "c", 70_000))
    assert second.kind == "conflict"
    changes = await ledger.deliver(extraction(first, version="1.1.0"))
    assert [c.kind for c in changes if c.notify] == ["withdrawn"]
    [row] = ledger.ledger()
    assert [c.quantity.value for c in row.disputed] == [60_000]


async def test_the_other_side_of_a_dispute_read_again_as_the_figure_reported_is_withdrawn(
    ledger: LedgerHarness,
) -> None:
    """A reaffirmation notifies nobody: it cannot be the change that ends the dispute."""
    first = await a_dispute(ledger)
    changes = await ledger.deliver(extraction(first, fact(60_000), version="1.1.0"))
    assert told(changes) == [("new", False), ("reaffirmed", False), ("withdrawn", True)]
    [row] = ledger.ledger()
    assert row.disputed == []


async def test_a_late_article_is_news_whatever_batch_a_re_extraction_of_its_key_comes_in(
    ledger: LedgerHarness,
) -> None:
    async def run(together: bool) -> list[tuple[str, bool]]:
        ledger.wipe()
        await ledger.deliver(said("b", 10, "b", 60_000))
        later = article("a", OCT_30 + timedelta(days=50), source="a")
        await ledger.deliver(extraction(later, fact(70_000), version="1.0.0"))
        again = extraction(later, fact(70_000), version="1.1.0")  # the same reading
        late = said("c", -40, "c", 50_000)  # nobody was told of it
        if together:
            return told(await ledger.deliver(again, late))
        return told(await ledger.deliver(again) + await ledger.deliver(late))

    assert await run(False) == await run(True) == [("new", True), ("increased", True)]


async def test_a_repeat_that_becomes_the_first_version_is_no_news(ledger: LedgerHarness) -> None:
    """The history held the repeat as a fact folded in, not as a version of its own."""
    first = article("a0", source="a")
    await ledger.deliver(extraction(first, fact(50_000), version="1.0.0"))
    assert await ledger.deliver(said("a1", 1, "a", 50_000)) == []
    assert told(await ledger.deliver(extraction(first, version="1.1.0"))) == [("new", False)]


async def test_a_repeat_read_again_as_the_first_article_is_dropped_is_no_news_in_any_batch(
    ledger: LedgerHarness,
) -> None:
    async def run(together: bool) -> list[tuple[str, bool]]:
        ledger.wipe()
        first = article("a0", source="a")
        await ledger.deliver(extraction(first, fact(50_000), version="1.0.0"))
        assert await ledger.deliver(said("a1", 1, "a", 50_000)) == []  # a repeat: no version
        repeat = article("a1", OCT_30 + timedelta(days=1), source="a")
        x = extraction(first, version="1.1.0")
        y = extraction(repeat, fact(50_000), version="1.1.0")  # read the same again
        if together:
            return told(await ledger.deliver(x, y))
        return told(await ledger.deliver(x) + await ledger.deliver(y))

    assert await run(False) == await run(True) == [("new", False)]


async def test_re_extractions_of_both_sides_of_a_dispute_tell_the_same_in_one_batch_or_two(
    ledger: LedgerHarness,
) -> None:
    async def run(together: bool) -> list[tuple[str, bool]]:
        ledger.wipe()
        a, b = article("a", source="a"), article("b", OCT_30 + timedelta(days=5), source="b")
        await ledger.deliver(extraction(a, fact(50_000), version="1.0.0"))
        await ledger.deliver(extraction(b, fact(60_000), version="1.0.0"))
        assert await ledger.deliver(said("a6", 6, "a", 50_000)) == []  # a restates its side
        x, y = extraction(a, version="1.1.0"), extraction(b, version="1.1.0")
        if together:
            return told(await ledger.deliver(x, y))
        return told(await ledger.deliver(x) + await ledger.deliver(y))

    for together in (False, True):
        assert ("new", True) not in await run(together)


async def test_a_conflict_that_tells_where_the_ledger_stands_needs_no_withdrawal(
    ledger: LedgerHarness,
) -> None:
    """Whether an untold reaffirmation followed the conflict reported makes no difference."""

    async def run(with_reaffirmation: bool) -> list[tuple[str, bool]]:
        ledger.wipe()
        first = await a_dispute(ledger)
        if with_reaffirmation:
            [again] = await ledger.deliver(said("c", 6, "c", 60_000))
            assert (again.kind, again.notify) == ("reaffirmed", False)
        return told(await ledger.deliver(extraction(first, fact(40_000), version="1.1.0")))

    assert await run(False) == await run(True) == [("new", False), ("conflict", True)]


async def test_a_restated_side_read_again_as_the_figure_reported_settles_the_dispute(
    ledger: LedgerHarness,
) -> None:
    await a_dispute(ledger)
    restated = article("a6", OCT_30 + timedelta(days=6), source="a")
    assert await ledger.deliver(extraction(restated, fact(50_000), version="1.0.0")) == []
    changes = await ledger.deliver(extraction(restated, fact(60_000), version="1.1.0"))
    assert [c.kind for c in changes if c.notify] == ["settled"]
    [row] = ledger.ledger()
    assert row.disputed == []


async def test_a_commitment_withdrawn_to_nothing_and_read_again_is_new_again(
    ledger: LedgerHarness,
) -> None:
    news = article("apec")
    await ledger.deliver(extraction(news, fact(50_000), version="1.0.0"))
    await ledger.deliver(extraction(news, version="1.1.0"))
    [again] = await ledger.deliver(extraction(news, fact(50_000), version="1.2.0"))
    assert (again.kind, again.notify) == ("new", True)


async def test_a_withdrawn_reaffirmation_says_nothing(ledger: LedgerHarness) -> None:
    """Nobody was told of it, and the ledger holds the same figure."""
    await ledger.deliver(extraction(article("a", source="a"), fact(50_000)))
    again = article("b", OCT_30 + timedelta(days=1), source="b")
    [reaffirmed] = await ledger.deliver(extraction(again, fact(50_000), version="1.0.0"))
    assert reaffirmed.kind == "reaffirmed"
    assert await ledger.deliver(extraction(again, version="1.1.0")) == []


async def test_a_reading_dropped_read_again_and_dropped_again_is_told_each_time(
    ledger: LedgerHarness,
) -> None:
    """Each turn is news: a change the log holds already, made again, takes an id of its own."""
    await ledger.deliver(extraction(article("oct"), fact(50_000)))
    later = article("dec", OCT_30 + timedelta(days=60), source="reuters", lang="en")
    turns = [
        await ledger.deliver(extraction(later, *facts, version=version))
        for version, facts in [("1.0.0", [fact(60_000)]), ("1.1.0", []),
                               ("1.2.0", [fact(60_000)]), ("1.3.0", [])]
    ]  # fmt: skip
    assert [figures(t) for t in turns] == [
        [("increased", 50_000, 60_000)],
        [("withdrawn", 60_000, 50_000)],
        [("increased", 50_000, 60_000)],
        [("withdrawn", 60_000, 50_000)],
    ]
    ids = [c.id for t in turns for c in t]
    assert len(set(ids)) == 4
    # the same message again, and the same reading under a newer version: nothing more
    assert await ledger.deliver(extraction(later, version="1.3.0")) == []
    assert await ledger.deliver(extraction(later, version="1.4.0")) == []


async def test_an_earlier_version_lost_from_the_middle_of_a_history_withdraws_nothing(
    ledger: LedgerHarness,
) -> None:
    """The ledger still holds the figure it reported last; the version after the lost one now
    compares with the figure before it, and that comparison is the change."""
    middle = article("nov", OCT_30 + timedelta(days=30), source="b")
    await ledger.deliver(extraction(article("oct"), fact(50_000)))
    await ledger.deliver(extraction(middle, fact(60_000), version="1.0.0"))
    await ledger.deliver(
        extraction(article("dec", OCT_30 + timedelta(days=60), source="c"), fact(70_000))
    )
    [change] = await ledger.deliver(extraction(middle, version="1.1.0"))
    assert change.kind == "increased" and change.delta is not None
    assert change.delta.absolute == 20_000
    [row] = ledger.ledger()
    assert row.state.quantity is not None and row.state.quantity.value == 70_000


async def test_a_replay_without_alerts_logs_a_withdrawal_without_notifying(
    ledger: LedgerHarness,
) -> None:
    news = article("apec")
    await ledger.deliver(extraction(news, fact(50_000), version="1.0.0"))
    [gone] = await ledger.deliver(extraction(news, version="1.1.0"), replay="r-1")
    assert (gone.kind, gone.replay_id, gone.notify) == ("withdrawn", "r-1", False)


async def test_an_article_dropped_from_the_middle_and_read_again_tells_nothing_again(
    ledger: LedgerHarness,
) -> None:
    """October's 50,000, then December's 60,000: analysts were told both.  A reading that drops
    October tells nothing (December's figure stands); the next reading, which reads October
    again, puts back the changes they were told, and tells none of them again."""
    october = article("oct")
    await ledger.deliver(extraction(october, fact(50_000), version="1.0.0"))
    [increased] = await ledger.deliver(said("dec", 60, "b", 60_000))
    assert told([increased]) == [("increased", True)]
    assert told(await ledger.deliver(extraction(october, version="1.1.0"))) == [("new", False)]
    back = await ledger.deliver(extraction(october, fact(50_000), version="1.2.0"))
    assert told(back) == [("new", False), ("increased", False)]
    assert [v.kind for v in ledger.history(SAMSUNG_GPU)] == ["new", "increased"]


async def test_an_article_dropped_and_read_again_differently_is_news(
    ledger: LedgerHarness,
) -> None:
    """The same drop, then a reading of October as 40,000: a figure nobody was told of."""
    october = article("oct")
    await ledger.deliver(extraction(october, fact(50_000), version="1.0.0"))
    await ledger.deliver(said("dec", 60, "b", 60_000))
    await ledger.deliver(extraction(october, version="1.1.0"))
    back = await ledger.deliver(extraction(october, fact(40_000), version="1.2.0"))
    assert told(back) == [("new", True), ("increased", True)]


async def test_an_article_read_again_after_its_withdrawal_is_told_again(
    ledger: LedgerHarness,
) -> None:
    """December's increase withdrawn (the ledger went back to 50,000), then read again: the
    increase is news once more, though the log holds it."""
    await ledger.deliver(extraction(article("oct"), fact(50_000)))
    december = article("dec", OCT_30 + timedelta(days=60), source="b")
    await ledger.deliver(extraction(december, fact(60_000), version="1.0.0"))
    [gone] = await ledger.deliver(extraction(december, version="1.1.0"))
    assert told([gone]) == [("withdrawn", True)]
    [back] = await ledger.deliver(extraction(december, fact(60_000), version="1.2.0"))
    assert told([back]) == [("increased", True)]


async def test_an_article_dropped_from_the_middle_and_read_again_after_its_drop_was_told_is_news(
    ledger: LedgerHarness,
) -> None:
    """October 50,000, November 60,000, December 70,000.  Dropping November tells December as
    an increase from 50,000; reading November again puts back 50,000 → 60,000 → 70,000, which
    analysts' last word (+20,000 from 50,000) no longer says: news."""
    november = article("nov", OCT_30 + timedelta(days=40), source="b")
    await ledger.deliver(extraction(article("oct"), fact(50_000)))
    await ledger.deliver(extraction(november, fact(60_000), version="1.0.0"))
    await ledger.deliver(said("dec", 80, "c", 70_000))
    dropped = await ledger.deliver(extraction(november, version="1.1.0"))
    assert figures(dropped) == [("increased", 50_000, 70_000)]
    back = await ledger.deliver(extraction(november, fact(60_000), version="1.2.0"))
    assert told(back) == [("increased", True), ("increased", True)]


async def test_an_article_read_back_to_a_figure_analysts_heard_replaced_is_news(
    ledger: LedgerHarness,
) -> None:
    """October 50,000, December 60,000; October re-read as 40,000 (told: December +20,000),
    then dropped (nothing told), then read as 50,000 again: their last word was +20,000."""
    october = article("oct")
    await ledger.deliver(extraction(october, fact(50_000), version="1.0.0"))
    await ledger.deliver(said("dec", 60, "b", 60_000))
    await ledger.deliver(extraction(october, fact(40_000), version="1.1.0"))
    assert told(await ledger.deliver(extraction(october, version="1.2.0"))) == [("new", False)]
    back = await ledger.deliver(extraction(october, fact(50_000), version="1.3.0"))
    assert [kind for kind, notify in told(back) if notify] == ["new", "increased"]


@pytest.mark.parametrize("together", [False, True], ids=["two batches", "one batch"])
async def test_what_an_article_read_again_puts_back_does_not_depend_on_the_batch(
    ledger: LedgerHarness, together: bool
) -> None:
    """October dropped and read again beside December's re-extraction (the same reading) and a
    new source's reaffirmation: nothing is told, whether they come in one batch or apart."""
    october = article("oct")
    december = article("dec", OCT_30 + timedelta(days=60), source="b")
    await ledger.deliver(extraction(october, fact(50_000), version="1.0.0"))
    await ledger.deliver(extraction(december, fact(60_000), version="1.0.0"))
    await ledger.deliver(extraction(october, version="1.1.0"))
    batch = [
        extraction(october, fact(50_000), version="1.2.0"),
        extraction(december, fact(60_000), version="1.2.0"),
        said("feb", 120, "c", 60_000),
    ]
    if together:
        changes = await ledger.deliver(*batch)
    else:
        changes = [c for each in batch for c in await ledger.deliver(each)]
    assert sorted(told(changes)) == [("increased", False), ("new", False), ("reaffirmed", False)]


async def test_articles_read_again_under_a_change_told_since_are_told_again(
    ledger: LedgerHarness,
) -> None:
    """October and November dropped from under December and January, then read again, October
    with a figure of another commitment: analysts' last word (January's increase) is not what
    the batch ends at, so what comes back is told again — a repeat, never a miss."""
    october, november = article("oct", source="a"), article(
        "nov", OCT_30 + timedelta(days=40), source="b"
    )
    await ledger.deliver(extraction(october, fact(50_000), version="1.0.0"))
    await ledger.deliver(extraction(november, fact(60_000), version="1.0.0"))
    await ledger.deliver(said("dec", 80, "c", 60_000))
    await ledger.deliver(said("jan", 100, "d", 70_000))
    await ledger.deliver(
        extraction(october, version="1.1.0"), extraction(november, version="1.1.0")
    )
    back = await ledger.deliver(
        extraction(october, fact(50_000), fact(9_000, subject="sk-hynix"), version="1.2.0"),
        extraction(november, fact(60_000), version="1.2.0"),
    )
    assert [(c.key == SAMSUNG_GPU, c.kind, c.notify) for c in back] == [
        (False, "new", True),
        (True, "new", True),
        (True, "increased", True),
        (True, "reaffirmed", False),
    ]


@pytest.mark.parametrize("together", [False, True], ids=["two batches", "one batch"])
async def test_an_article_read_again_after_another_change_was_told_is_news(
    ledger: LedgerHarness, together: bool
) -> None:
    """November dropped (told: December +20,000 from 50,000), then February's 80,000 told, then
    November read again: analysts' last word was something else — told, in one batch or two."""
    november = article("nov", OCT_30 + timedelta(days=40), source="b")
    await ledger.deliver(extraction(article("oct"), fact(50_000)))
    await ledger.deliver(extraction(november, fact(60_000), version="1.0.0"))
    await ledger.deliver(said("dec", 80, "c", 70_000))
    await ledger.deliver(extraction(november, version="1.1.0"))
    batch = [said("feb", 120, "d", 80_000), extraction(november, fact(60_000), version="1.2.0")]
    if together:
        changes = await ledger.deliver(*batch)
    else:
        changes = [c for each in batch for c in await ledger.deliver(each)]
    assert sorted(told(changes)) == [("increased", True)] * 3


@pytest.mark.parametrize("alerts", [False, True], ids=["live", "replay with alerts"])
async def test_a_change_only_ever_replayed_silently_is_news_when_it_comes_back(
    ledger: LedgerHarness, alerts: bool
) -> None:
    """December's increase came in a replay without alerts and left in another: read again live,
    or by a replay with alerts, it is news, though the change log holds it."""
    december = article("dec", OCT_30 + timedelta(days=60), source="b")
    await ledger.deliver(extraction(article("oct"), fact(50_000)))
    [silent] = await ledger.deliver(extraction(december, fact(70_000), version="1.0.0"),
                                    replay="backfill")  # fmt: skip
    assert told([silent]) == [("increased", False)]
    await ledger.deliver(extraction(december, version="1.1.0"), replay="re-extract")
    again = extraction(december, fact(70_000), version="1.2.0")
    if alerts:
        back = await ledger.deliver(again, replay="re-extract-2", alerts=True)
    else:
        back = await ledger.deliver(again)
    assert told(back) == [("increased", True)]


async def test_a_claim_back_in_a_three_way_dispute_is_news(ledger: LedgerHarness) -> None:
    """a 50,000, b 60,000 (a conflict), c 70,000 (a conflict: 50,000 and 60,000 disputed).  a
    read again as 60,000 tells that 50,000 left the dispute; read again as 50,000, the claim is
    back in it: analysts hear so, though every change of the batch is one the log holds."""
    a = article("a", source="a")
    await ledger.deliver(extraction(a, fact(50_000), version="1.0.0"))
    await ledger.deliver(said("b", 5, "b", 60_000))
    await ledger.deliver(said("c", 10, "c", 70_000))
    moved = await ledger.deliver(extraction(a, fact(60_000), version="1.1.0"))
    assert ("withdrawn", True) in told(moved)
    back = await ledger.deliver(extraction(a, fact(50_000), version="1.2.0"))
    [row] = ledger.ledger()
    assert sorted(c.quantity.value for c in row.disputed) == [50_000, 60_000]
    assert any(notify for _, notify in told(back))


async def test_a_reading_told_withdrawn_that_comes_back_is_news(ledger: LedgerHarness) -> None:
    """b's 80,000 told, then withdrawn; c's 70,000 and e's 50,000 told; c dropped (nothing told:
    e's 50,000 still ends the history).  One batch reads b and c again: b's 80,000 is back."""
    b = article("b", OCT_30 + timedelta(days=40), source="b")
    c = article("c", OCT_30 + timedelta(days=120), source="c")
    await ledger.deliver(said("a", 0, "a", 50_000))
    await ledger.deliver(extraction(b, fact(80_000), version="1.0.0"))
    assert told(await ledger.deliver(extraction(b, version="1.1.0"))) == [("withdrawn", True)]
    await ledger.deliver(extraction(c, fact(70_000), version="1.0.0"))
    await ledger.deliver(said("e", 160, "e", 50_000))
    await ledger.deliver(extraction(c, version="1.1.0"))
    back = await ledger.deliver(
        extraction(b, fact(80_000), version="1.2.0"), extraction(c, fact(70_000), version="1.2.0")
    )
    assert [(c.kind, c.notify) for c in back if c.evidence.url.endswith("/b")] == [
        ("increased", True)
    ]


async def test_a_second_claim_back_in_a_dispute_is_news(ledger: LedgerHarness) -> None:
    """a 50,000, f 45,000, b 60,000 (both disputed), then a and f come round to 60,000 (f's
    settles the dispute) and c says 70,000 (only 60,000 disputed).  a's coming round dropped
    tells 50,000 is disputed again (f's coming round no longer settles it: a reaffirmation in
    its place, untold); f's dropped next tells 45,000 is too — a withdrawal between the same two
    versions (the same id), which differs from the one told last by its disputed figures
    alone."""
    came_round = [
        article("a2", OCT_30 + timedelta(days=7), source="a"),
        article("f2", OCT_30 + timedelta(days=7, hours=12), source="f"),
    ]
    await ledger.deliver(said("a", 0, "a", 50_000))
    await ledger.deliver(said("f", 2, "f", 45_000))
    await ledger.deliver(said("b", 5, "b", 60_000))
    for each in came_round:
        await ledger.deliver(extraction(each, fact(60_000), version="1.0.0"))
    await ledger.deliver(said("c", 10, "c", 70_000))
    turns = [await ledger.deliver(extraction(each, version="1.1.0")) for each in came_round]
    assert [told(turn) for turn in turns] == [
        [("reaffirmed", False), ("withdrawn", True)],
        [("withdrawn", True)],
    ]
    [row] = ledger.ledger()
    assert sorted(c.quantity.value for c in row.disputed) == [45_000, 50_000, 60_000]


# A late article re-folds the history from its cut on; where that history ends at a version the
# ledger held already (the last one, kept under its id with other figures disputed, or one before
# it), no new version says where the ledger now stands.


async def test_a_late_article_that_takes_a_claim_out_of_a_dispute_under_a_kept_conflict_is_told(
    ledger: LedgerHarness,
) -> None:
    """a 50,000, b 60,000 (a conflict), c 70,000 (a conflict: 60,000 and 50,000 disputed).  a's
    article of day 7, arriving late, comes round to 60,000: that settled a's and b's dispute on
    day 7, and c's conflict keeps its id with 50,000 out of the dispute: analysts hear both."""
    await a_dispute(ledger)
    [conflict] = await ledger.deliver(said("c", 10, "c", 70_000))
    assert told([conflict]) == [("conflict", True)]
    late = await ledger.deliver(said("a7", 7, "a", 60_000))
    assert told(late) == [("settled", True), ("withdrawn", True)]
    assert figures(late) == [("settled", 60_000, 60_000), ("withdrawn", 70_000, 70_000)]
    [row] = ledger.ledger()
    assert row.last_kind == "conflict"
    assert [(c.quantity.value, c.sources) for c in row.disputed] == [(60_000, ["b", "a"])]
    # delivered again, or read again the same way by a newer extractor: nothing more to say
    assert await ledger.deliver(said("a7", 7, "a", 60_000)) == []
    a7 = article("a7", OCT_30 + timedelta(days=7), source="a")
    assert await ledger.deliver(extraction(a7, fact(60_000), version="1.1.0")) == []
    assert ledger.counts()[:2] == (5, 5)  # new, conflict, conflict, settled, withdrawn


async def test_a_late_article_that_ends_a_dispute_under_a_kept_reaffirmation_is_told(
    ledger: LedgerHarness,
) -> None:
    """a 50,000, b 60,000 (a conflict), c 60,000 (a reaffirmation, 50,000 still disputed); a's
    late article of day 7 comes round to 60,000: the ledger holds 60,000 undisputed under c's
    reaffirmation, same id, and the settlement on day 7 is what analysts hear (nothing is
    withdrawn: the history leads from the state reported to where it ends)."""
    await a_dispute(ledger)
    [again] = await ledger.deliver(said("c", 10, "c", 60_000))
    assert told([again]) == [("reaffirmed", False)]
    late = await ledger.deliver(said("a7", 7, "a", 60_000))
    assert told(late) == [("settled", True)]
    [row] = ledger.ledger()
    assert (row.last_kind, row.disputed) == ("reaffirmed", [])
    assert await ledger.deliver(said("a7", 7, "a", 60_000)) == []


async def test_a_source_coming_round_after_the_last_version_is_told_as_it_is_appended(
    ledger: LedgerHarness,
) -> None:
    """b repeats itself on day 20, so a's day-10 article takes the late path, though it comes
    after the last version: its settlement of the dispute ends the history, told as it would be
    appended."""

    async def run(late: bool) -> list[tuple[str, bool]]:
        ledger.wipe()
        await a_dispute(ledger)
        if late:
            assert await ledger.deliver(said("b20", 20, "b", 60_000)) == []
        changes = await ledger.deliver(said("a10", 10, "a", 60_000))
        [row] = ledger.ledger()
        assert row.disputed == []
        return told(changes)

    assert await run(False) == await run(True) == [("settled", True)]


async def test_a_rollback_to_the_release_before_reads_a_settled_dispute_as_a_reaffirmation(
    ledger: LedgerHarness, db_url: str
) -> None:
    """The release before knows no ``settled``: migration 0017's downgrade rewrites it as the
    reaffirmation that release folds, in the history, the commitment and the change log."""
    await a_dispute(ledger)
    [settled] = await ledger.deliver(said("a10", 10, "a", 60_000))
    assert settled.kind == "settled"
    downgrade(db_url, "0016")
    assert [v.kind for v in ledger.history(SAMSUNG_GPU)] == ["new", "conflict", "reaffirmed"]
    [row] = ledger.ledger()
    assert row.last_kind == "reaffirmed"
    assert [(c.id, c.kind) for c in ledger.changes()][-1] == (settled.id, "reaffirmed")
    upgrade(db_url)  # forward again: nothing to redo, the reaffirmation stays
    assert [c.kind for c in ledger.changes()] == ["new", "conflict", "reaffirmed"]


async def test_a_late_article_ending_a_claim_is_told_alike_in_one_batch_or_two(
    ledger: LedgerHarness,
) -> None:
    """a 50,000, b 60,000, c 70,000 (a conflict, 60,000 and 50,000 disputed); a's late day-7
    article comes round to 60,000 and d says 70,000 on day 12.  Whether the two come in one
    batch or two, analysts are told once that a's and b's dispute was settled on day 7, and
    once that 50,000 left c's."""

    async def run(together: bool) -> list[tuple[str, bool]]:
        ledger.wipe()
        await a_dispute(ledger)
        await ledger.deliver(said("c", 10, "c", 70_000))
        late, newer = said("a7", 7, "a", 60_000), said("d", 12, "d", 70_000)
        if together:
            changes = await ledger.deliver(late, newer)
        else:
            changes = await ledger.deliver(late) + await ledger.deliver(newer)
        [row] = ledger.ledger()
        assert [claim.quantity.value for claim in row.disputed] == [60_000]
        return sorted(t for t in told(changes) if t[1])

    assert await run(False) == await run(True) == [("settled", True), ("withdrawn", True)]


async def test_a_late_restatement_that_keeps_a_claim_in_a_dispute_is_told(
    ledger: LedgerHarness,
) -> None:
    """a 50,000, b 60,000 on day 5 (a conflict, a's claim dated day 0), c 60,000 on day 34: a's
    claim is past the window, c's reaffirmation holds 60,000 undisputed.  a's late restatement
    of day 4 dates its claim day 4: c's reaffirmation, same id, keeps 50,000 disputed."""
    await a_dispute(ledger)
    await ledger.deliver(said("c", 34, "c", 60_000))
    [row] = ledger.ledger()
    assert row.disputed == []
    late = await ledger.deliver(said("a4", 4, "a", 50_000))
    assert told(late) == [("withdrawn", True)]
    [row] = ledger.ledger()
    assert [c.quantity.value for c in row.disputed] == [50_000]


async def test_a_late_restatement_that_takes_the_last_version_away_is_told(
    ledger: LedgerHarness,
) -> None:
    """a 50,000, b 60,000 on day 5 (a conflict), a 50,000 again on day 34 (a's claim, dated day
    0, past the window: a conflict back to 50,000, told).  a's late restatement of day 4 keeps
    its claim alive to day 34, where a restates its side: the ledger is back at b's 60,000
    disputed by 50,000, a version it held already, and analysts hear it."""
    await a_dispute(ledger)
    [back] = await ledger.deliver(said("a34", 34, "a", 50_000))
    assert figures([back]) == [("conflict", 60_000, 50_000)]
    late = await ledger.deliver(said("a4", 4, "a", 50_000))
    assert figures(late) == [("withdrawn", 50_000, 60_000)]
    assert told(late) == [("withdrawn", True)]
    [row] = ledger.ledger()
    assert row.state.quantity is not None and row.state.quantity.value == 60_000
    assert [c.quantity.value for c in row.disputed] == [50_000]


async def test_two_late_articles_taking_claims_out_under_one_kept_conflict_are_each_told(
    ledger: LedgerHarness,
) -> None:
    """a 50,000, f 45,000, b 60,000, c 70,000 (each a conflict); a's and then f's late articles
    come round to 60,000.  Each ends the re-fold at c's conflict, kept: two withdrawals between
    the same two versions (one id), each told under an id of its own."""
    for name, day, source, value in [("a", 0, "a", 50_000), ("f", 2, "f", 45_000),
                                     ("b", 5, "b", 60_000), ("c", 10, "c", 70_000)]:  # fmt: skip
        await ledger.deliver(said(name, day, source, value))
    first = await ledger.deliver(said("a7", 7, "a", 60_000))
    second = await ledger.deliver(said("f8", 8, "f", 60_000))
    assert told(first) == [("reaffirmed", False), ("withdrawn", True)]  # f still disputes
    assert told(second) == [("settled", True), ("withdrawn", True)]
    [one] = [c for c in first if c.kind == "withdrawn"]
    [two] = [c for c in second if c.kind == "withdrawn"]
    assert one.id != two.id
    [row] = ledger.ledger()
    assert [(c.quantity.value, c.sources) for c in row.disputed] == [(60_000, ["b", "a", "f"])]
    assert await ledger.deliver(said("f8", 8, "f", 60_000)) == []
