"""The alerts service's exception tree."""

from __future__ import annotations

from services.core.errors import InfraledgerError, RetryableError, TerminalError


class AlertsError(InfraledgerError):
    """Base of the alerts service's own errors."""


class AlertsRetryable(AlertsError, RetryableError):
    """Try again later (a concurrent insert of the same delivery, a busy database)."""


class AlertsTerminal(AlertsError, TerminalError):
    """Retrying cannot help: a malformed change, an invalid subscription."""


class BadChange(AlertsTerminal):
    """A ``ledger.changes.v1`` message that is not a valid ``ChangeV1``."""


class InvalidSubscription(AlertsTerminal):
    """A webhook URL, kind list or filter that cannot be accepted."""


class NotFound(AlertsTerminal):
    """No endpoint or delivery with that id."""


class EndpointDisabled(AlertsTerminal):
    """The operation needs an enabled endpoint."""


class RotationInProgress(AlertsTerminal):
    """A gentle rotation would end a previous secret that still signs; the receiver may use it."""
