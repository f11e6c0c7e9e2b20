"""The root of every service's exception tree.

Each service derives its own ``<Service>Error`` from :class:`InfraledgerError` and splits it into
a retryable and a terminal branch.  Consumers act on that split alone: a retryable error leaves
the message uncommitted and is tried again after a backoff; a terminal one sends the message to
the consumer's dead-letter topic with the reason and moves on.
"""

from __future__ import annotations


class InfraledgerError(Exception):
    """Base of all errors raised on purpose by infraledger."""


class RetryableError(InfraledgerError):
    """A transient failure (broker or database unavailable, timeout): try the same work again."""


class TerminalError(InfraledgerError):
    """The input itself is bad: retrying cannot help; dead-letter it with the reason."""


class ConfigError(InfraledgerError):
    """The configuration is invalid; raised once at start-up with the variable's name."""


class MessageError(TerminalError):
    """A Kafka message that does not parse or does not satisfy its contract."""
