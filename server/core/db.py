"""Database engine, sessions and the column types shared by every domain.

SQLite is set up for concurrent use: WAL, a busy timeout, foreign keys on, and write
transactions that take the write lock up front (``BEGIN IMMEDIATE``) so two writers queue
on the busy timeout instead of one failing with "database is locked" half-way through.
Reads use a plain deferred ``BEGIN`` and never block, thanks to WAL.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, DateTime, MetaData, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

from server.core.config import DatabaseSettings

# Stable constraint names, so Alembic batch mode on SQLite can find and alter them.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every model."""

    metadata = MetaData(naming_convention=NAMING)


JSONType = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive UTC text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(dt.timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)


def utcnow() -> dt.datetime:
    """Now, timezone-aware in UTC."""
    return dt.datetime.now(dt.timezone.utc)


def new_uuid() -> uuid.UUID:
    return uuid.uuid4()


def _make_engine(settings: DatabaseSettings, *, immediate: bool) -> AsyncEngine:
    kwargs: dict[str, Any] = {"echo": settings.echo}
    if settings.is_sqlite:
        kwargs["connect_args"] = {"timeout": settings.sqlite_busy_timeout_ms / 1000}
    else:
        kwargs.update(pool_size=settings.pool_size, max_overflow=settings.pool_size, pool_pre_ping=True)
        # No JIT: at city scale (2M inspections) the planner's estimates for a month's scores
        # cross PostgreSQL's JIT thresholds and compiling took 2 s of a 2.3 s query; the app's
        # queries are short and many, which is what JIT does not pay off for.
        kwargs["connect_args"] = {"server_settings": {"jit": "off"}}
    engine = create_async_engine(settings.url, **kwargs)
    if settings.is_sqlite:
        _configure_sqlite(engine, settings.sqlite_busy_timeout_ms, immediate=immediate)
    return engine


def _configure_sqlite(engine: AsyncEngine, busy_timeout_ms: int, *, immediate: bool) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when a transaction begins (see _on_begin).
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA recursive_triggers=ON")  # else INSERT OR REPLACE deletes past the append-only triggers
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@dataclass
class Database:
    """A reader engine and a writer engine over the same database.

    On PostgreSQL the two differ only in name; on SQLite the writer's transactions take
    the write lock when they begin.
    """

    settings: DatabaseSettings
    reader: AsyncEngine
    writer: AsyncEngine

    @classmethod
    def connect(cls, settings: DatabaseSettings) -> Database:
        writer = _make_engine(settings, immediate=True)
        reader = _make_engine(settings, immediate=False) if settings.is_sqlite else writer
        return cls(settings=settings, reader=reader, writer=writer)

    def __post_init__(self) -> None:
        self._makers = {
            True: async_sessionmaker(self.writer, expire_on_commit=False),
            False: async_sessionmaker(self.reader, expire_on_commit=False),
        }

    def sessionmaker(self, *, write: bool) -> async_sessionmaker[AsyncSession]:
        return self._makers[write]

    @asynccontextmanager
    async def session(self, *, write: bool = True) -> AsyncIterator[AsyncSession]:
        """A session whose transaction commits when the block ends without error."""
        async with self.sessionmaker(write=write)() as session:
            async with session.begin():
                yield session

    async def dispose(self) -> None:
        await self.writer.dispose()
        if self.reader is not self.writer:
            await self.reader.dispose()
