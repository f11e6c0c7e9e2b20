"""Database session: one SQLAlchemy engine per process, SQLite by default, PostgreSQL in production.

Every service declares its tables on :class:`Base` (``services/<service>/tables.py``); the
Alembic migrations in ``services/core/migrations`` create them.  Sessions are synchronous: the
async service shells call repository functions through ``asyncio.to_thread``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import orjson
from pydantic import AfterValidator, AwareDatetime
from sqlalchemy import DateTime, Engine, create_engine, event
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from services.core.errors import RetryableError


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes stored as UTC on both SQLite and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return in_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def in_utc(value: datetime) -> datetime:
    """``value`` in UTC, or a ``ValueError`` if UTC has no such time (``0001-01-01T00:00+01:00``
    is before the year 1 there): what a :class:`UTCDateTime` column can hold."""
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError(f"{value.isoformat()} is out of range in UTC") from exc


StorableTime = Annotated[AwareDatetime, AfterValidator(in_utc)]
"""A time from a request, with its offset, that a :class:`UTCDateTime` column can hold."""


class Base(DeclarativeBase):
    """The declarative base shared by every service's tables."""

    type_annotation_map = {datetime: UTCDateTime()}  # noqa: RUF012


class DatabaseUnavailable(RetryableError):
    """The database could not be reached or dropped the connection; try again."""


def utcnow() -> datetime:
    return datetime.now(UTC)


def _json_text(value: Any) -> str:
    """A JSON column's text on SQLite, whose driver binds text: orjson's, as on PostgreSQL."""
    return orjson.dumps(value).decode()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite gets WAL, a busy timeout and foreign keys.

    JSON columns are written by orjson on both (psycopg's loads/dumps took most of the time
    spent in ``json``), so a column value may be pre-serialised JSON (:class:`orjson.Fragment`,
    see :mod:`services.store.jsontext`): a ``json_serializer`` given here must accept it.
    PostgreSQL's are read by orjson too; SQLite's by the standard library, which also reads
    what it wrote there before orjson did (``NaN`` included).
    """
    if url.startswith("sqlite"):
        kwargs.setdefault("json_serializer", _json_text)
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    kwargs.setdefault("json_serializer", orjson.dumps)
    kwargs.setdefault("json_deserializer", orjson.loads)
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 5)
    return create_engine(url, **kwargs)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on error.

    Connection-level failures become :class:`DatabaseUnavailable` so that consumers retry
    the message instead of dead-lettering it.
    """
    session = factory()
    try:
        yield session
        session.commit()
    except (OperationalError, DBAPIError) as exc:
        session.rollback()
        # ProgrammingError: the schema is not what the code expects (a migration not yet run) —
        # an environment problem to wait out, not a reason to dead-letter the message.
        if isinstance(exc, OperationalError | ProgrammingError) or exc.connection_invalidated:
            raise DatabaseUnavailable(str(exc.orig or exc)) from exc
        raise
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
