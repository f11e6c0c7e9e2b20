"""The extractor service's messages: each extraction, with the headers downstream reads."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import yaml

from services.core.bus import MemoryBus, Outgoing
from services.core.models import ExtractionV1
from services.core.polling import header_time
from services.core.topics import HEADER_EFFECTIVE_AT, HEADER_REPLAY_ID, Topics
from services.extractor.service import make_handler
from services.replay.sources import read_path

ROOT = Path(__file__).resolve().parents[2]


async def test_an_extraction_carries_its_articles_effective_time_and_the_replay_headers() -> None:
    (record,) = list(read_path(ROOT / "seeds"))
    assert record.article is not None
    published = record.article
    unpublished = published.model_copy(
        update={"id": "b" * 32, "url": "https://news.example.kr/b", "published_at": None}
    )
    bus, topics = MemoryBus(), Topics()
    await bus.publish_many(
        [
            Outgoing(topics.articles, a.id, a.model_dump_json().encode(), {HEADER_REPLAY_ID: "r9"})
            for a in (published, unpublished)
        ]
    )

    await make_handler(bus, topics)(bus.topics[topics.articles])

    event_time = header_time(HEADER_EFFECTIVE_AT)
    first, second = bus.topics[topics.facts]
    assert event_time(first) == int(datetime(2025, 10, 31, 10, 30, tzinfo=UTC).timestamp() * 1000)
    assert event_time(second) == int(unpublished.fetched_at.timestamp() * 1000)
    assert first.header(HEADER_REPLAY_ID) == second.header(HEADER_REPLAY_ID) == "r9"
    assert ExtractionV1.model_validate_json(first.value).facts  # the seed's facts


def test_the_effective_time_header_is_in_the_contract_of_articles_and_extractions() -> None:
    spec = yaml.safe_load((ROOT / "schemas" / "asyncapi.yaml").read_text(encoding="utf-8"))
    for message in ("article", "extraction"):
        ref = spec["components"]["messages"][message]["headers"]["$ref"]
        headers = spec["components"]["schemas"][ref.rsplit("/", 1)[-1]]
        assert set(headers["properties"]) == {HEADER_EFFECTIVE_AT}
