"""Reads asked several times in one unit of work, kept for the rest of it (a vote step asks
which voter the person is four times); forgotten as soon as the unit writes a table they read."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session
from sqlmodel.ext.asyncio.session import AsyncSession

T = TypeVar("T")
_KEY = "unit_reads"


async def remembered(
    session: AsyncSession,
    tables: frozenset[str],
    key: Hashable,
    read: Callable[[], Awaitable[T]],
) -> T:
    """`read()` once per unit of work for `key`, until the unit writes one of `tables`."""
    memo: dict[Hashable, tuple[frozenset[str], Any]] = session.sync_session.info.setdefault(
        _KEY, {}
    )
    if key in memo:
        return memo[key][1]
    value = await read()
    memo[key] = (tables, value)
    return value


def forget(session: AsyncSession | Session, tables: set[str] | None = None) -> None:
    """Drop what was read from `tables` (all of it when None): they are being written."""
    sync = session.sync_session if isinstance(session, AsyncSession) else session
    memo = sync.info.get(_KEY)
    if not memo:
        return
    for key in [k for k, (read, _) in memo.items() if tables is None or read & tables]:
        del memo[key]


@event.listens_for(Session, "before_flush")
def _on_flush(session: Session, _context: object, _instances: object) -> None:
    if session.info.get(_KEY):
        written = {
            getattr(obj, "__tablename__", "")
            for obj in (*session.new, *session.dirty, *session.deleted)
        }
        forget(session, written)


@event.listens_for(Session, "do_orm_execute")
def _on_execute(state: ORMExecuteState) -> None:
    if (state.is_insert or state.is_update or state.is_delete) and state.session.info.get(_KEY):
        table = getattr(state.statement, "table", None)
        forget(state.session, {table.name} if table is not None else None)
