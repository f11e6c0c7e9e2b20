"""Drives the store the way the consumer loop does and reads the results back."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from services.core.bus import Message
from services.core.db import Base, transaction
from services.core.models import ChangeV1, ExtractionV1
from services.core.topics import Topics
from services.store import queries
from services.store.service import make_handler
from services.store.tables import StoreChange, StoreFact, StoreOutbox

from .builders import message

TOPICS = Topics("test.")


class LedgerHarness:
    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory
        self.handle = make_handler(factory, TOPICS)
        self._offsets = itertools.count()

    def messages(
        self, *items: ExtractionV1, replay: str | None = None, alerts: bool = False
    ) -> list[Message]:
        return [
            message(item, next(self._offsets), topic=TOPICS.facts, replay=replay, alerts=alerts)
            for item in items
        ]

    async def deliver(
        self, *items: ExtractionV1, replay: str | None = None, alerts: bool = False
    ) -> list[ChangeV1]:
        """Deliver one message per extraction, as one batch; return the changes it caused."""
        return await self.deliver_messages(self.messages(*items, replay=replay, alerts=alerts))

    async def deliver_messages(self, messages: Sequence[Message]) -> list[ChangeV1]:
        known = len(self.changes())
        await self.handle(messages)
        return self.changes()[known:]

    def changes(self) -> list[ChangeV1]:
        with transaction(self.factory) as session:
            return queries.all_pages(lambda cursor: queries.changes(session, cursor=cursor))

    def ledger(self) -> list[queries.Commitment]:
        with transaction(self.factory) as session:
            return queries.commitments(session).items

    def history(self, key: str) -> list[queries.Version]:
        with transaction(self.factory) as session:
            return queries.history(session, key=key)

    def wipe(self) -> None:
        with transaction(self.factory) as session:
            for table in reversed(Base.metadata.sorted_tables):
                if table.name.startswith("store_"):
                    session.execute(table.delete())

    def counts(self) -> tuple[int, int, int]:
        """Rows in the change log, the outbox and the facts table."""
        with transaction(self.factory) as session:
            return tuple(  # type: ignore[return-value]
                session.scalar(select(func.count()).select_from(t)) or 0
                for t in (StoreChange, StoreOutbox, StoreFact)
            )
