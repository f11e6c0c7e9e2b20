"""The extractor's exception tree (see :mod:`services.core.errors`)."""

from __future__ import annotations

from services.core.errors import InfraledgerError, RetryableError, TerminalError


class ExtractorError(InfraledgerError):
    """Base of errors raised on purpose by the extractor."""


class ExtractorRetryable(ExtractorError, RetryableError):
    """A transient failure around extraction: try the same message again."""


class ExtractorTerminal(ExtractorError, TerminalError):
    """An input the extractor cannot handle: dead-letter it with the reason."""
