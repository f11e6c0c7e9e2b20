"""Publishing claimed articles to ``articles.v1``, each once.

A claim stays ``pending`` in the crawler's database until its article is on the broker, so a
crash between the two leaves it pending and :meth:`Publication.republish_pending` sends it at
the next start or the next end of a poll.  A republish may read a claim that a running poll is
about to publish itself, or has just published: both paths therefore take one lock, publish only
what the database still says is pending, and mark it published before letting go.  Whichever
takes the lock first sends the article; the other finds it no longer pending.  (The crawler
runs as one instance: the lock is the process's.)
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from services.core.bus import Outgoing, Publisher
from services.core.models import ArticleV1
from services.core.polling import effective_at_header
from services.core.topics import Topics
from services.crawler.state import CrawlState


class Publication:
    """The crawler's one way onto ``articles.v1``."""

    def __init__(self, publisher: Publisher, state: CrawlState, topics: Topics) -> None:
        self.publisher = publisher
        self.state = state
        self.topics = topics
        self._lock = asyncio.Lock()

    async def publish(self, articles: Sequence[ArticleV1]) -> int:
        """Publish those of ``articles`` whose claims are still pending, then mark them
        published; how many went out.  On a failure the claims stay pending."""
        if not articles:
            return 0
        async with self._lock:
            pending = await asyncio.to_thread(self.state.still_pending, [a.id for a in articles])
            due = [a for a in articles if a.id in pending]
            if due:
                await self.publisher.publish_many(
                    [
                        Outgoing(
                            topic=self.topics.articles,
                            key=a.id,
                            value=a.model_dump_json().encode(),
                            headers=effective_at_header(a),
                        )
                        for a in due
                    ]
                )
                await asyncio.to_thread(self.state.mark_published, [a.id for a in due])
        return len(due)

    async def republish_pending(self) -> int:
        """Publish the claims left pending (by a crash, or a failed publish); how many."""
        return await self.publish(await asyncio.to_thread(self.state.pending))
