"""Publishing claimed articles to ``articles.v1``, each once.

A claim stays ``pending`` in the crawler's database until its article is on the broker, so a
crash between the two leaves it pending and :meth:`Publication.republish_pending` sends it at
the next start or the next end of a poll.  A republish may read a claim that a running poll is
about to publish itself, or has just published: both paths therefore take one lock and publish
only what the database still says is pending.  Whichever takes the lock first sends the article;
the other finds it no longer pending.  (The crawler runs as one instance per database: the lock
is the process's.)

Articles the broker acknowledged are remembered until the database has marked them published:
a mark that failed (the database away) or was cancelled is made again before anything else is
published, and at the crawler's stop (:meth:`Publication.close`); they are not sent a second
time meanwhile, and a publish whose mark failed still counts them as published (the broker
has them).  Only a process that dies between the broker's acknowledgement and the mark, or
a batch the broker acknowledged in part, sends an article twice (with the same key and id:
downstream is idempotent by article id).  An article whose message is larger than the broker
takes (a hostile page's giant canonical URL, say), or that the topic refuses, is set aside as
``too_large`` with an error in the log, so that it cannot hold back the others for ever.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from services.core.bus import MAX_MESSAGE_BYTES, MessageTooLarge, Outgoing, Publisher
from services.core.models import ArticleV1
from services.core.polling import article_outgoing
from services.core.topics import Topics
from services.crawler.state import CrawlState

log = logging.getLogger("infraledger.crawler")

REPUBLISH_BATCH = 500
"""Pending claims republished per batch (one read of their payloads, one of their states, one
send, one mark): a backlog is never held in memory whole."""


@dataclass(frozen=True)
class Outcome:
    """What one publish (or a whole republish) did."""

    published: int = 0
    """Articles the broker acknowledged."""
    too_large: int = 0
    """Articles set aside as ``too_large``."""

    def __add__(self, other: Outcome) -> Outcome:
        return Outcome(self.published + other.published, self.too_large + other.too_large)


class Publication:
    """The crawler's one way onto ``articles.v1``."""

    def __init__(self, publisher: Publisher, state: CrawlState, topics: Topics) -> None:
        self.publisher = publisher
        self.state = state
        self.topics = topics
        self._lock = asyncio.Lock()
        self._sent: set[str] = set()
        """Ids the broker acknowledged that the database has not yet marked published."""

    async def publish(self, articles: Sequence[ArticleV1]) -> Outcome:
        """Publish those of ``articles`` whose claims are still pending, then mark them
        published.  A failure before the broker has them raises (the database's, for a mark
        owed from before or the claims' states, or the broker's), leaving the claims pending.
        A failure to record what the broker took is logged, not raised: a mark is made again
        later (see the module's account), and a claim not set aside is found by a republish."""
        if not articles:
            return Outcome()
        async with self._lock:
            await self._mark_sent()
            pending = await asyncio.to_thread(self.state.still_pending, [a.id for a in articles])
            topic = self.topics.articles
            due = [(a.id, article_outgoing(topic, a)) for a in articles if a.id in pending]
            refused = await self._send(due)
            self._sent.update(id_ for id_, _ in due if id_ not in refused)
            set_aside = await self._set_aside(refused)
            try:
                await self._mark_sent()
            except Exception as exc:  # the database away: made again before the next send
                log.warning("marking %d published articles failed: %r", len(self._sent), exc)
        return Outcome(len(due) - len(refused), set_aside)

    async def republish_pending(self) -> Outcome:
        """Publish the claims left pending (by a crash, or a failed send), a batch at a time."""
        outcome, after = Outcome(), ""
        while batch := await asyncio.to_thread(self.state.pending, after, REPUBLISH_BATCH):
            outcome += await self.publish(batch)
            after = batch[-1].id
        return outcome

    async def close(self) -> None:
        """Make the marks still owed (a failed or cancelled one): at the crawler's stop."""
        async with self._lock:
            await self._mark_sent()

    async def _send(self, due: Sequence[tuple[str, Outgoing]]) -> list[str]:
        """Send ``due``; the ids refused as too large (over the limit, or over a lower one of a
        topic made elsewhere), found by sending the batch again one message at a time."""
        if not due:
            return []
        try:
            await self.publisher.publish_many([out for _, out in due])
        except MessageTooLarge:
            if len(due) == 1:
                return [due[0][0]]
            return [id_ for one in due for id_ in await self._send([one])]
        return []

    async def _set_aside(self, ids: Sequence[str]) -> int:
        """Set the claims of ``ids`` aside as ``too_large``; how many: 0 when the database
        fails (they stay pending, and a republish finds them too large again)."""
        if not ids:
            return 0
        try:
            await asyncio.to_thread(self.state.set_aside, ids, "too_large")
        except Exception as exc:  # the database away
            log.warning("setting aside %d articles too large for the broker failed: %r",
                        len(ids), exc)  # fmt: skip
            return 0
        log.error(
            "articles too large for the broker (over %d bytes), set aside as too_large: %s",
            MAX_MESSAGE_BYTES, ", ".join(ids),
        )  # fmt: skip
        return len(ids)

    async def _mark_sent(self) -> None:
        if self._sent:
            await asyncio.to_thread(self.state.mark_published, sorted(self._sent))
            self._sent.clear()
