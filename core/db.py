"""Async engine and sessions; SQLite file by default, PostgreSQL via DATABASE_URL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession


def create_engine(database_url: str, **kwargs: object) -> AsyncEngine:
    """Create the engine; SQLite gets WAL, foreign keys and a busy timeout."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(database_url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    return create_async_engine(database_url, pool_pre_ping=True, **kwargs)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


@asynccontextmanager
async def unit_of_work(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One transaction: commit on success, roll back on any exception."""
    async with sessions() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


async def insert_many(
    session: AsyncSession,
    model: type[SQLModel],
    rows: list[dict[str, Any]],
    *,
    skip_conflicts_on: list[str] | None = None,
) -> int:
    """Insert many rows in one executemany (SQLAlchemy batches them into multi-row INSERTs, with
    one compiled statement), optionally skipping rows that clash with a unique constraint.
    Returns how many rows were inserted, on SQLite and PostgreSQL alike."""
    if not rows:
        return 0
    dialect = session.bind.dialect.name
    statement = (pg_insert if dialect == "postgresql" else sqlite_insert)(model)
    if skip_conflicts_on is not None:
        statement = statement.on_conflict_do_nothing(index_elements=skip_conflicts_on)
    key = next(iter(sa.inspect(model).primary_key))
    connection = await session.connection()
    result = await connection.execute(statement.returning(key), rows)
    return len(result.all())
