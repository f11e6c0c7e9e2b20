"""Dead-letter records (the original, or where it is when too large to copy) and re-driving them
(``infraledger dlq retry``): originals back to their topics."""

from __future__ import annotations

import base64

import pytest

from services.core.bus import (
    MAX_MESSAGE_BYTES,
    MemoryBus,
    Message,
    MessageTooLarge,
    Outgoing,
    record_size,
)
from services.core.kafka import dead_letter, dead_letter_message
from services.core.models import DeadLetterV1
from services.dlq.reader import HEADER_DLQ_RETRY, DeadLetterEntry, retry


def entry(ref: str, message: Message) -> DeadLetterEntry:
    """``message``'s dead letter as read back from its topic."""
    record = dead_letter(message, "extractor", ValueError("cannot parse"))
    raw = dead_letter_message("t.extractor.dlq.v1", record).value
    return DeadLetterEntry(ref, DeadLetterV1.model_validate_json(raw), raw)


async def test_retry_sends_each_original_back_and_leaves_out_one_too_large_to_copy() -> None:
    small = Message("t.articles.v1", 0, 7, b"k1", b"not json", (("trace", b"abc"),))
    huge = Message("t.articles.v1", 1, 9, b"k2", b"x" * (7 * 1024 * 1024))
    bus = MemoryBus()
    entries = [entry("t.extractor.dlq.v1:0:0", small), entry("t.extractor.dlq.v1:0:1", huge)]
    assert await retry([*entries, DeadLetterEntry("t.extractor.dlq.v1:0:2", None, b"?")], bus) == 1
    (sent,) = bus.topics["t.articles.v1"]
    assert (sent.key, sent.value) == (b"k1", b"not json")
    assert dict(sent.headers) == {"trace": b"abc", HEADER_DLQ_RETRY: b"t.extractor.dlq.v1:0:0"}


def test_a_dead_letter_too_large_to_carry_its_original_points_to_it_instead() -> None:
    huge = Message("t.articles.v1", 3, 41, b"k" * 100, b"x" * (7 * 1024 * 1024), (("h", b"v"),))
    failed = dead_letter(huge, "extractor", MessageTooLarge("its facts are over the limit"))
    out = dead_letter_message("t.extractor.dlq.v1", failed)
    record = DeadLetterV1.model_validate_json(out.value)
    assert record.original_omitted and record.value_b64 == "" and record.headers == {}
    assert record.key_b64 is None and out.key == ""
    assert (record.topic, record.partition, record.offset) == ("t.articles.v1", 3, 41)
    assert record.error.kind == "MessageTooLarge" and record_size(out) < 64 * 1024


def test_a_dead_letter_that_fits_carries_its_original_and_its_key() -> None:
    large = Message("t.articles.v1", 0, 1, b"k1", b"x" * (5 * 1024 * 1024), (("h", b"v"),))
    out = dead_letter_message("t.extractor.dlq.v1", dead_letter(large, "extractor", ValueError()))
    record = DeadLetterV1.model_validate_json(out.value)
    assert not record.original_omitted and base64.b64decode(record.value_b64) == large.value
    assert out.key == "k1" and record.headers == {"h": "v"}
    assert record_size(out) <= MAX_MESSAGE_BYTES


async def test_the_memory_bus_refuses_what_the_broker_would() -> None:
    bus = MemoryBus()
    too_large = Outgoing("t", "k", b"x" * MAX_MESSAGE_BYTES)
    with pytest.raises(MessageTooLarge):
        await bus.publish_many([Outgoing("t", "a", b"fine"), too_large])
    assert not bus.topics["t"]
