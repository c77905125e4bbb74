"""Async engine and sessions; SQLite file by default, PostgreSQL via DATABASE_URL."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.sql.expression import Executable
from sqlalchemy.util import await_only
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

# How long an SQLite connection waits for another writer's lock before "database is locked".
SQLITE_BUSY_SECONDS = 30.0

# SQLite reports an outage and a mistake alike as OperationalError: these messages are outages.
_SQLITE_OUTAGE = ("database is locked", "database is busy", "unable to open", "disk i/o error")
# PostgreSQL SQLSTATEs of an outage: connection exceptions (08…), the server shutting down or
# starting (57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now), too many
# connections (53300).
_POSTGRES_OUTAGE = ("08", "57P01", "57P02", "57P03", "53300")


def is_outage(error: BaseException) -> bool:
    """The database could not be reached, went away or was busy: trying the same unit of work again
    later may succeed. Never a domain error or a mistake in a statement (those fail again)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if _outage_here(current):
            return True
        current = current.__cause__ or current.__context__
    return False


def _outage_here(error: BaseException) -> bool:
    if isinstance(error, sa.exc.TimeoutError):  # no connection free in the pool in time
        return True
    if isinstance(error, sa.exc.DBAPIError):
        if error.connection_invalidated:
            return True
        if isinstance(error, sa.exc.IntegrityError):
            return False
        message = str(error.orig).lower()
        if any(marker in message for marker in _SQLITE_OUTAGE):
            return True
        if "sqlite" in type(error.orig).__module__:
            return False
        if isinstance(error, sa.exc.InterfaceError | sa.exc.OperationalError):
            return True
        state = str(
            getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", "") or ""
        )
        return state.startswith(_POSTGRES_OUTAGE)
    # asyncpg's own errors when SQLAlchemy did not wrap them (e.g. while connecting)
    state = str(getattr(error, "sqlstate", "") or "")
    if state and type(error).__module__.startswith("asyncpg"):
        return state.startswith(_POSTGRES_OUTAGE)
    if type(error).__module__.startswith("asyncpg") and "Connection" in type(error).__name__:
        return True
    return isinstance(error, ConnectionError)  # refused or reset while connecting


def create_engine(database_url: str, **kwargs: object) -> AsyncEngine:
    """Create the engine; SQLite gets WAL, foreign keys and a busy timeout. A database error's
    message never carries the statement's parameters (names, phone numbers: it may be logged)."""
    kwargs.setdefault("hide_parameters", True)
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(
            database_url, connect_args={"timeout": SQLITE_BUSY_SECONDS}, **kwargs
        )

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_SECONDS * 1000)}")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    if url.get_driver_name() == "asyncpg" and "prepared_statement_cache_size" not in url.query:
        # The bot runs a few hundred distinct statements; asyncpg's default keeps 100 prepared
        # per connection, so under a mixed load they were prepared again and again.
        url = url.update_query_dict({"prepared_statement_cache_size": "1000"})
    engine = create_async_engine(url, **kwargs)
    _ping_after_idle(engine)
    return engine


PING_AFTER_IDLE_SECONDS = 5.0


def _ping_after_idle(engine: AsyncEngine) -> None:
    """SQLAlchemy's `pool_pre_ping` asks the server on every checkout (three round trips on
    asyncpg: BEGIN, a query, ROLLBACK), and an update checks out a connection four or five times.
    A connection given back moments ago is alive, so only one idle for a while is pinged; a dead
    one is replaced before use. One that died in between fails its first statement, which the
    unit of work treats as an outage and tries again (SQLAlchemy then drops the pool's other
    connections of before the failure)."""

    @event.listens_for(engine.sync_engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info["checked_in"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        last = record.info.get("checked_in")
        if last is not None and time.monotonic() - last < PING_AFTER_IDLE_SECONDS:
            return
        try:
            dbapi_connection.ping()
        except Exception as error:
            raise exc.DisconnectionError("the connection was closed while idle") from error


def session_factory(
    engine: AsyncEngine, info: dict[str, Any] | None = None
) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep their objects after commit; `info` is copied into every session
    (the deployment's quiet hours and default language, for what is queued at commit)."""
    return async_sessionmaker(
        engine, class_=AsyncSession, expire_on_commit=False, info=dict(info or {})
    )


def dialect(session: AsyncSession) -> str:
    """ "sqlite" or "postgresql": the database this session talks to."""
    bind = session.bind
    assert bind is not None
    return bind.dialect.name


async def rows(session: AsyncSession, statement: Executable) -> Sequence[Any]:
    """The rows of a Core SELECT in the session's transaction (for more columns than
    sqlmodel's select() is typed for)."""
    connection = await session.connection()
    return (await connection.execute(statement)).all()


BeforeCommit = Callable[[AsyncSession], Awaitable[object]]
_HOOKS = "before_commit"


def before_commit(session: AsyncSession, hook: BeforeCommit) -> None:
    """Run `hook` (once) when this session's work is committed, before the commit: what a use case
    recorded to be told becomes outbox rows in the same transaction as the change."""
    hooks: list[BeforeCommit] = session.info.setdefault(_HOOKS, [])
    if hook not in hooks:
        hooks.append(hook)


async def commit(session: AsyncSession) -> None:
    """The one way a unit of work commits: the before-commit hooks first, then COMMIT."""
    for hook in session.info.pop(_HOOKS, []):
        await hook(session)
    await session.commit()


def discard_pending(session: AsyncSession) -> None:
    """A rolled-back unit forgets what it was going to tell anyone."""
    session.info.pop(_HOOKS, None)


@asynccontextmanager
async def unit_of_work(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One transaction: commit on success, roll back on any exception."""
    async with sessions() as session:
        try:
            yield session
            await commit(session)
        except BaseException:
            discard_pending(session)
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
    statement = (pg_insert if dialect(session) == "postgresql" else sqlite_insert)(model)
    if skip_conflicts_on is not None:
        statement = statement.on_conflict_do_nothing(index_elements=skip_conflicts_on)
    key = next(iter(sa.inspect(model).primary_key))
    connection = await session.connection()
    result = await connection.execute(statement.returning(key), rows)
    return len(result.all())


async def upsert(session: AsyncSession, model: type[SQLModel], row: dict[str, Any]) -> None:
    """Insert the row, or update the existing one with the same primary key, in one statement
    (safe when several processes write it at once)."""
    key = [column.name for column in sa.inspect(model).primary_key]
    statement = (pg_insert if dialect(session) == "postgresql" else sqlite_insert)(model).values(
        row
    )
    changed = {name: statement.excluded[name] for name in row if name not in key}
    await session.exec(statement.on_conflict_do_update(index_elements=key, set_=changed))


_TRACKERS = "write_trackers"
_KEPT = "kept_rows"


@event.listens_for(Session, "do_orm_execute")
def _tracked_execute(state: ORMExecuteState) -> None:
    for tracker in state.session.info.get(_TRACKERS, ()):
        tracker._on_execute(state)


@event.listens_for(Session, "before_flush")
def _tracked_flush(session: Session, context: object, instances: object) -> None:
    for tracker in session.info.get(_TRACKERS, ()):
        tracker._on_flush(session, context, instances)


@event.listens_for(Session, "loaded_as_persistent")
def _kept_loaded(session: Session, instance: object) -> None:
    kept = session.info.get(_KEPT)
    if kept is not None:
        kept.append(instance)


def keep_loaded(session: AsyncSession) -> None:
    """Hold every row the session loads until it ends. SQLAlchemy's identity map holds objects
    weakly: a row one service read and let go of (a draft, a compound) was read again by the
    next service's session.get in the same update."""
    session.sync_session.info.setdefault(_KEPT, [])


class WriteTracker:
    """Notices the first write of a unit; on SQLite, also takes the process's write gate then.

    SQLite allows one writer at a time and makes the others sleep and retry; queueing writers on
    an asyncio lock instead keeps concurrent updates fast, while readers still run in parallel.
    """

    def __init__(self, session: AsyncSession, gate: asyncio.Lock | None) -> None:
        self.happened = False
        self.gate = gate
        self.holding = False
        # Found by the listeners below, registered once for every Session: listening on each
        # session instead cost about 50 µs of CPU per update.
        session.sync_session.info.setdefault(_TRACKERS, []).append(self)

    def _on_execute(self, state: ORMExecuteState) -> None:
        if state.is_insert or state.is_update or state.is_delete:
            self._begin_write()

    def _on_flush(self, _session: Session, _context: object, _instances: object) -> None:
        self._begin_write()

    def _begin_write(self) -> None:
        self.happened = True
        if self.gate is not None and not self.holding:
            await_only(self.gate.acquire())  # we are inside SQLAlchemy's greenlet here
            self.holding = True

    def release(self) -> None:
        if self.holding and self.gate is not None:
            self.holding = False
            self.gate.release()


@asynccontextmanager
async def gated_unit_of_work(
    sessions: async_sessionmaker[AsyncSession], gate: asyncio.Lock | None
) -> AsyncIterator[AsyncSession]:
    """`unit_of_work` for writers outside the bot's updates (the office console): on SQLite the
    first write takes the process's write gate, as an update's does, until the end."""
    async with sessions() as session:
        writes = WriteTracker(session, gate)
        try:
            yield session
            await commit(session)
        except BaseException:
            discard_pending(session)
            await session.rollback()
            raise
        finally:
            writes.release()
