"""Topic names: one per hop, plus one dead-letter topic per consumer."""

from __future__ import annotations

from dataclasses import dataclass

ARTICLES = "articles.v1"
FACTS = "facts.v1"
CHANGES = "ledger.changes.v1"

# Headers every service understands.
HEADER_REPLAY_ID = "infraledger-replay-id"
HEADER_REPLAY_ALERTS = "infraledger-replay-alerts"
HEADER_EFFECTIVE_AT = "infraledger-effective-at"
"""On ``articles.v1`` and ``facts.v1``: the article's effective time (publication, else fetch)
in epoch milliseconds, the order of the store's histories; the extractor's and the store's
consumers take their polls in it (:mod:`services.core.polling`)."""


@dataclass(frozen=True)
class Topics:
    """The concrete topic names for one deployment (a prefix isolates test runs)."""

    prefix: str = ""

    def name(self, base: str) -> str:
        return f"{self.prefix}{base}"

    @property
    def articles(self) -> str:
        return self.name(ARTICLES)

    @property
    def facts(self) -> str:
        return self.name(FACTS)

    @property
    def changes(self) -> str:
        return self.name(CHANGES)

    def dead_letter(self, consumer: str) -> str:
        """The dead-letter topic of one consumer service, e.g. ``extractor.dlq.v1``."""
        return self.name(f"{consumer}.dlq.v1")

    def all(self, consumers: tuple[str, ...] = ("extractor", "store", "alerts")) -> list[str]:
        return [self.articles, self.facts, self.changes] + [
            self.dead_letter(c) for c in consumers
        ]
