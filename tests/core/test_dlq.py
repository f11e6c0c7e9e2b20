"""Re-driving dead letters (``infraledger dlq retry``): originals back to their topics."""

from __future__ import annotations

from services.core.bus import MemoryBus, Message
from services.core.kafka import dead_letter
from services.dlq.reader import HEADER_DLQ_RETRY, DeadLetterEntry, retry


def entry(ref: str, message: Message) -> DeadLetterEntry:
    record = dead_letter(message, "extractor", ValueError("cannot parse"))
    return DeadLetterEntry(ref, record, record.model_dump_json().encode())


async def test_retry_sends_each_original_back_and_leaves_out_one_too_large_to_copy() -> None:
    small = Message("t.articles.v1", 0, 7, b"k1", b"not json", (("trace", b"abc"),))
    huge = Message("t.articles.v1", 1, 9, b"k2", b"x" * (7 * 1024 * 1024))
    bus = MemoryBus()
    entries = [entry("t.extractor.dlq.v1:0:0", small), entry("t.extractor.dlq.v1:0:1", huge)]
    assert await retry([*entries, DeadLetterEntry("t.extractor.dlq.v1:0:2", None, b"?")], bus) == 1
    (sent,) = bus.topics["t.articles.v1"]
    assert (sent.key, sent.value) == (b"k1", b"not json")
    assert dict(sent.headers) == {"trace": b"abc", HEADER_DLQ_RETRY: b"t.extractor.dlq.v1:0:0"}
