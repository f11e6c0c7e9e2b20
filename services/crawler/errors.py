"""The crawler's exception tree."""

from __future__ import annotations

from services.core.errors import InfraledgerError, RetryableError, TerminalError


class CrawlerError(InfraledgerError):
    """Base of the crawler's own errors."""

    kind = "crawler"


class CrawlerRetryable(CrawlerError, RetryableError):
    """Try again later (server error, rate limit, robots.txt unavailable)."""

    kind = "retryable"


class CrawlerTerminal(CrawlerError, TerminalError):
    """Retrying the same input cannot help (bad configuration, forbidden by robots.txt)."""

    kind = "terminal"


class SourcesError(CrawlerTerminal):
    """``sources.yaml`` is invalid."""

    kind = "sources"


class RobotsDisallowed(CrawlerTerminal):
    kind = "robots"


class ParseTimeout(CrawlerRetryable):
    """A page's parse ran past its deadline (``INFRALEDGER_PARSE_TIMEOUT``): its worker was
    replaced.  A busy moment may have done it, or the bytes, which would hold the next worker
    as long: the page is tried again when listed again, until
    ``INFRALEDGER_PARSE_TIMEOUT_ATTEMPTS`` parses have run past the deadline."""

    kind = "parse_timeout"


class HttpStatusError(CrawlerRetryable):
    """The server answered with an error status."""

    kind = "http_status"

    def __init__(self, message: str, status: int, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class HostDeferred(CrawlerRetryable):
    """The host asked us (Retry-After) or its errors told us to stay away for longer than a poll
    may wait; the URL is tried again on a later poll."""

    kind = "host_deferred"
