"""The extractor service: ``articles.v1`` in, one ``facts.v1`` extraction per article out.

The batch handler parses each article, runs the pure :func:`extract_article`, and publishes the
extractions (keyed by article id, replay headers passed on, the article's effective time in a
header) before the consumer loop commits the batch's offsets.  A redelivered article yields the
same extraction, which the store ignores.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from pydantic import ValidationError

from services.core.bus import BatchHandler, Message, Outgoing, Publisher
from services.core.errors import MessageError
from services.core.models import ArticleV1, ExtractionV1, FactV1
from services.core.polling import effective_at_header
from services.core.topics import HEADER_REPLAY_ALERTS, HEADER_REPLAY_ID, Topics
from services.extractor.extract import extract_article
from services.extractor.lexicon import default_lexicon
from services.extractor.version import EXTRACTOR_VERSION

PASSED_ON_HEADERS = (HEADER_REPLAY_ID, HEADER_REPLAY_ALERTS)


class InvalidArticleMessage(MessageError):
    """An ``articles.v1`` message that is not valid JSON or breaks the contract."""


def parse_article(message: Message) -> ArticleV1:
    try:
        article = ArticleV1.model_validate_json(message.value)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "message"
        raise InvalidArticleMessage(
            f"{message.topic} value violates article.v1 at {where}: {first['msg']}"
        ) from None
    message.require_key(article.id)
    return article


def passed_on(message: Message) -> dict[str, str]:
    """The replay headers a downstream message inherits from ``message``."""
    headers = {}
    for name in PASSED_ON_HEADERS:
        value = message.header(name)
        if value is not None:
            headers[name] = value
    return headers


def in_news_time(outgoing: Sequence[tuple[datetime, Outgoing]]) -> list[Outgoing]:
    """The extractions of a batch in their articles' time, not partition after partition:
    the producer sends each partition's batches as they fill, and the store reads what has
    arrived of each.  Extractions of one article keep their order (the store keeps the last):
    each goes at the time of the article's last one."""
    last = {out.key: at for at, out in outgoing}
    return [out for _, out in sorted(outgoing, key=lambda pair: last[pair[1].key])]


def make_handler(
    publisher: Publisher,
    topics: Topics,
    extract: Callable[[ArticleV1], list[FactV1]] = extract_article,
    version: str = EXTRACTOR_VERSION,
) -> BatchHandler:
    default_lexicon()  # read (and check) the data files now, not on the first article

    async def handle(batch: Sequence[Message]) -> None:
        outgoing: list[tuple[datetime, Outgoing]] = []
        for message in batch:
            article = parse_article(message)
            extraction = ExtractionV1(
                article=article,
                extractor_version=version,
                facts=tuple(extract(article)),
                extracted_at=datetime.now(UTC),
            )
            headers = {**passed_on(message), **effective_at_header(article)}
            value = extraction.model_dump_json().encode()
            message_out = Outgoing(topics.facts, article.id, value, headers)
            outgoing.append((article.effective_at, message_out))
        await publisher.publish_many(in_news_time(outgoing))

    return handle
