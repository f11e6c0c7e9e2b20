"""The replay tool's exception tree."""

from __future__ import annotations

from services.core.errors import InfraledgerError, RetryableError, TerminalError


class ReplayError(InfraledgerError):
    """Base of replay errors."""


class ReplayRetryable(ReplayError, RetryableError):
    """The broker or database was briefly unavailable."""


class ReplayTerminal(ReplayError, TerminalError):
    """The request cannot be carried out as given (unknown group, bad time, …)."""
