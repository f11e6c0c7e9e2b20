"""Message keys must match their bodies: a wrong key is a terminal error (dead letter)."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.core.bus import MemoryBus, Message, Outgoing, WrongKey
from services.core.errors import TerminalError
from services.core.topics import Topics
from services.extractor.service import make_handler
from services.replay.sources import read_path

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def test_a_key_that_is_not_the_bodys_is_a_terminal_error() -> None:
    message = Message("articles.v1", 0, 7, b"someone-else", b"{}")
    with pytest.raises(WrongKey, match="keyed 'someone-else'") as raised:
        message.require_key("abc")
    assert isinstance(raised.value, TerminalError)
    Message("articles.v1", 0, 7, b"abc", b"{}").require_key("abc")


async def test_the_extractor_refuses_an_article_under_another_articles_key() -> None:
    (record,) = list(read_path(SEEDS))
    assert record.article is not None
    bus, topics = MemoryBus(), Topics()
    await bus.publish_many(
        [Outgoing(topics.articles, "wrong", record.article.model_dump_json().encode())]
    )
    handle = make_handler(bus, topics)

    with pytest.raises(WrongKey):
        await handle(bus.topics[topics.articles])
    assert bus.topics[topics.facts] == []
