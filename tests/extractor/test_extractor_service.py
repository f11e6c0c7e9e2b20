"""The extractor service's messages: each extraction, with the headers downstream reads."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import yaml

from services.core.bus import MemoryBus, Message, Outgoing
from services.core.models import ArticleV1, ExtractionV1
from services.core.polling import header_time
from services.core.topics import HEADER_EFFECTIVE_AT, HEADER_REPLAY_ID, Topics
from services.extractor.service import make_handler
from services.replay.sources import read_path

ROOT = Path(__file__).resolve().parents[2]


def seed() -> ArticleV1:
    (record,) = list(read_path(ROOT / "seeds"))
    assert record.article is not None
    return record.article


def other(article: ArticleV1, letter: str, **update: object) -> ArticleV1:
    return article.model_copy(
        update={"id": letter * 32, "url": f"https://news.example.kr/{letter}", **update}
    )


async def extract(*articles: ArticleV1) -> list[Message]:
    """The ``facts.v1`` messages of one batch of ``articles`` (replay id ``r9``)."""
    bus, topics = MemoryBus(), Topics()
    await bus.publish_many(
        [
            Outgoing(topics.articles, a.id, a.model_dump_json().encode(), {HEADER_REPLAY_ID: "r9"})
            for a in articles
        ]
    )
    await make_handler(bus, topics)(bus.topics[topics.articles])
    return bus.topics[topics.facts]


async def test_an_extraction_carries_its_articles_effective_time_and_the_replay_headers() -> None:
    published = seed()
    unpublished = other(published, "b", published_at=None)

    first, second = await extract(published, unpublished)

    assert header_time(first) == 1761906600000  # 2025-10-31 10:30 UTC, its publication
    assert header_time(second) == 1761908400000  # 11:00, when it was fetched
    assert first.header(HEADER_REPLAY_ID) == second.header(HEADER_REPLAY_ID) == "r9"
    assert ExtractionV1.model_validate_json(first.value).facts  # the seed's facts


async def test_a_batch_is_published_in_its_articles_time() -> None:
    """Partition after partition the articles of a batch come out of order; their extractions
    go in the news' time, and two extractions of one article keep theirs (the store keeps the
    last)."""
    early = seed()
    late = other(early, "c", published_at=early.effective_at + timedelta(days=2))
    twice = other(early, "d", published_at=early.effective_at + timedelta(days=1))
    twice_again = twice.model_copy(update={"published_at": None})  # now at its fetch: earlier

    published = await extract(late, twice, early, twice_again)

    assert [m.key_text for m in published] == [early.id, twice.id, twice.id, late.id]
    assert [ExtractionV1.model_validate_json(m.value).article for m in published[1:3]] == [
        twice,
        twice_again,
    ]


def test_the_effective_time_header_is_in_the_contract_of_articles_and_extractions() -> None:
    spec = yaml.safe_load((ROOT / "schemas" / "asyncapi.yaml").read_text(encoding="utf-8"))
    for message in ("article", "extraction"):
        ref = spec["components"]["messages"][message]["headers"]["$ref"]
        headers = spec["components"]["schemas"][ref.rsplit("/", 1)[-1]]
        assert set(headers["properties"]) == {HEADER_EFFECTIVE_AT}
