"""The store's exception tree (see :mod:`services.core.errors`)."""

from __future__ import annotations

from services.core.errors import InfraledgerError, MessageError, RetryableError, TerminalError


class StoreError(InfraledgerError):
    """Base of errors raised on purpose by the store."""


class StoreRetryable(StoreError, RetryableError):
    """A transient failure (a concurrent writer won a race, the database was away): retry."""


class StoreTerminal(StoreError, TerminalError):
    """Input the store can never apply: dead-letter it with the reason."""


class InvalidExtraction(StoreTerminal, MessageError):
    """A ``facts.v1`` message that is not JSON or does not satisfy :class:`ExtractionV1`."""
