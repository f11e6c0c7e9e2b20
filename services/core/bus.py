"""What services see of the message bus: plain message values and a publisher protocol.

The Kafka adapter (:mod:`services.core.kafka`) and the in-memory bus used by fast unit tests
(:class:`MemoryBus`) both satisfy :class:`Publisher`; service cores never import aiokafka.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from services.core.errors import MessageError, TerminalError


@dataclass(frozen=True)
class Message:
    """A consumed message."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = ()
    timestamp_ms: int = 0

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key == name:
                return value.decode("utf-8", "replace")
        return None

    @property
    def key_text(self) -> str | None:
        return None if self.key is None else self.key.decode("utf-8", "replace")

    def require_key(self, expected: str) -> None:
        """The key must be what the body says it is (it decides partition and order)."""
        if self.key_text != expected:
            raise WrongKey(
                f"{self.topic} message keyed {self.key_text!r} but its body is {expected!r}"
            )


class WrongKey(MessageError):
    """A message whose key does not match its body: dead-lettered, never processed."""


@dataclass(frozen=True)
class Outgoing:
    """A message to publish."""

    topic: str
    key: str
    value: bytes
    headers: Mapping[str, str] = field(default_factory=dict)


MAX_MESSAGE_BYTES = 8 * 1024 * 1024
"""The largest message the producers send and the topics take (``max.message.bytes``)."""


class MessageTooLarge(TerminalError):
    """A message larger than the broker takes: no retry can send it."""


def record_size(out: Outgoing) -> int:
    """An upper bound of ``out``'s size in a record batch, as the producer checks it."""
    headers = sum(len(k.encode()) + len(v.encode()) + 10 for k, v in out.headers.items())
    return len(out.key.encode()) + len(out.value) + headers + 128


def fits(out: Outgoing, limit: int = MAX_MESSAGE_BYTES) -> bool:
    """Whether the broker takes ``out``: its :func:`record_size` is within ``limit``."""
    return record_size(out) <= limit


def check_sizes(messages: Sequence[Outgoing], limit: int = MAX_MESSAGE_BYTES) -> None:
    """Raise :class:`MessageTooLarge` if one of ``messages`` is larger than ``limit``."""
    for out in messages:
        if not fits(out, limit):
            raise MessageTooLarge(
                f"a message to {out.topic} (key {out.key[:200]}) of {record_size(out)} bytes is "
                f"over the broker's limit of {limit}; none of its batch was sent"
            )


class Publisher(Protocol):
    async def publish_many(self, messages: Sequence[Outgoing]) -> None:
        """Publish all messages and return once every one is acknowledged."""


BatchHandler = Callable[[Sequence[Message]], Awaitable[None]]
"""Handles a batch of messages — from one partition, or from several for a consumer loop with
``whole_poll`` — and returns once their effects are durable."""


class MemoryBus:
    """An in-memory :class:`Publisher` for unit tests of service cores (never for integration);
    ``max_message_bytes`` under the default plays a topic made elsewhere with a lower limit."""

    def __init__(self, max_message_bytes: int = MAX_MESSAGE_BYTES) -> None:
        self.topics: dict[str, list[Message]] = defaultdict(list)
        self.max_message_bytes = max_message_bytes

    async def publish_many(self, messages: Sequence[Outgoing]) -> None:
        check_sizes(messages, self.max_message_bytes)
        for out in messages:
            log = self.topics[out.topic]
            log.append(
                Message(
                    topic=out.topic,
                    partition=0,
                    offset=len(log),
                    key=out.key.encode(),
                    value=out.value,
                    headers=tuple((k, v.encode()) for k, v in out.headers.items()),
                )
            )
