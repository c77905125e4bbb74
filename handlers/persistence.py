"""Conversation states in the database, written with the update that changes them."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from sqlalchemy import bindparam, delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import ConversationDict, ConversationKey

from core.db import WriteTracker, dialect
from core.runtime import Runtime
from handlers.context import active_unit
from models import ConversationState

log = logging.getLogger(__name__)


def _key_text(key: ConversationKey) -> str:
    """Matches services.residents.conversation_key for private chats."""
    return json.dumps(list(key))


def _upsert(insert: Any) -> Any:
    statement = insert(ConversationState).values(
        name=bindparam("name"),
        key=bindparam("key"),
        state=bindparam("state"),
        updated_at=bindparam("updated_at"),
    )
    return statement.on_conflict_do_update(
        index_elements=["name", "key"],
        set_={"state": statement.excluded.state, "updated_at": statement.excluded.updated_at},
    )


# Written after most updates: built once (building them per update cost more than sending them).
_UPSERT = {"postgresql": _upsert(pg_insert), "sqlite": _upsert(sqlite_insert)}
_DELETE = (
    delete(ConversationState)
    .where(col(ConversationState.name) == bindparam("name"))
    .where(col(ConversationState.key) == bindparam("key"))
)


class DatabasePersistence(BasePersistence[dict, dict, dict]):
    """Only conversations are persisted; domain state lives in its own tables.

    A state change made while handling an update is written in that update's own transaction
    (the unit of work takes it with `take` before committing), so the step and the state it
    leads to are saved together, with one commit. Changes made outside an update (PTB's own
    flushes, a change of another user's key seen meanwhile) are written in a transaction of
    their own.
    """

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(
            store_data=PersistenceInput(
                bot_data=False, chat_data=False, user_data=False, callback_data=False
            ),
            update_interval=5,
        )
        self.runtime = runtime
        self.pending: dict[tuple[str, str], object | None] = {}  # (name, key) -> state or None
        # Keys with an update in hand: their changes wait for that update's own transaction
        # (`take`), even when PTB's periodic run hands them over first. Written alone instead,
        # the update could commit (its inbox row done) before its state, and a worker in another
        # process would take the person's next update in the old state.
        self.busy: dict[str, int] = {}
        self._flusher: asyncio.Task | None = None

    async def get_conversations(self, name: str) -> ConversationDict:
        async with self.runtime.sessions() as session:
            rows = await session.exec(
                select(ConversationState).where(col(ConversationState.name) == name)
            )
            return {tuple(json.loads(row.key)): row.state for row in rows}

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        text = _key_text(key)
        self.pending[(name, text)] = new_state
        if active_unit() is None and text not in self.busy:
            # Not while PTB holds its persistence lock: updates waiting for that lock hold
            # database connections, so waiting here for one could deadlock.
            self._schedule_flush()

    def _schedule_flush(self) -> None:
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self.flush_pending())
            self._flusher.add_done_callback(self._flushed)

    def _flushed(self, task: asyncio.Task) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("could not save conversation states", exc_info=task.exception())
        if any(key not in self.busy for _, key in self.pending):  # arrived meanwhile
            self._schedule_flush()

    def enter(self, key: ConversationKey) -> None:
        """An update of this key is being handled: its changes are written with it."""
        text = _key_text(key)
        self.busy[text] = self.busy.get(text, 0) + 1

    def leave(self, key: ConversationKey) -> None:
        """The update is over; a change it did not take (none normally) is written alone."""
        text = _key_text(key)
        left = self.busy.get(text, 0) - 1
        if left > 0:
            self.busy[text] = left
            return
        self.busy.pop(text, None)
        if any(k == text for _, k in self.pending):
            self._schedule_flush()

    def take(self, key: ConversationKey) -> list[tuple[str, str, object | None]]:
        """The pending changes of one conversation key (any handler), removed from the queue."""
        text = _key_text(key)
        return [
            (name, k, self.pending.pop((name, k))) for name, k in list(self.pending) if k == text
        ]

    async def write(
        self, session: AsyncSession, changes: list[tuple[str, str, object | None]]
    ) -> None:
        """Upsert or delete (name, key text, state) rows in the given session."""
        now = self.runtime.clock.now()
        upsert = _UPSERT[dialect(session)]
        for name, key, state in changes:
            if state is None:
                await session.exec(_DELETE, params={"name": name, "key": key})
                continue
            await session.exec(
                upsert, params={"name": name, "key": key, "state": state, "updated_at": now}
            )

    async def flush_pending(self) -> None:
        """Write every pending change in a transaction of its own."""
        changes = [
            (name, key, state)
            for (name, key), state in self.pending.items()
            if key not in self.busy
        ]
        if not changes:
            return
        for name, key, _ in changes:
            del self.pending[(name, key)]
        try:
            await self._write_alone(changes)
        except BaseException:
            for name, key, state in changes:  # keep them for the next attempt
                self.pending.setdefault((name, key), state)
            raise

    async def _write_alone(self, changes: list[tuple[str, str, object | None]]) -> None:
        async with self.runtime.sessions() as session:
            # Like a unit of work: hold a connection first, then take the SQLite write gate at
            # the first write (the other order can deadlock against a full pool).
            await session.connection()
            writes = WriteTracker(session, self.runtime.write_gate)
            try:
                await self.write(session, changes)
                await session.commit()
            finally:
                writes.release()

    # Nothing else is persisted: PTB requires these methods to exist.
    async def get_user_data(self) -> dict[int, Any]:
        return {}

    async def get_chat_data(self) -> dict[int, Any]:
        return {}

    async def get_bot_data(self) -> dict:
        return {}

    async def get_callback_data(self) -> None:
        return None

    async def update_user_data(self, user_id: int, data: Any) -> None:
        pass

    async def update_chat_data(self, chat_id: int, data: Any) -> None:
        pass

    async def update_bot_data(self, data: Any) -> None:
        pass

    async def update_callback_data(self, data: Any) -> None:
        pass

    async def drop_chat_data(self, chat_id: int) -> None:
        pass

    async def drop_user_data(self, user_id: int) -> None:
        pass

    async def refresh_user_data(self, user_id: int, user_data: Any) -> None:
        pass

    async def refresh_chat_data(self, chat_id: int, chat_data: Any) -> None:
        pass

    async def refresh_bot_data(self, bot_data: Any) -> None:
        pass

    async def flush(self) -> None:
        if self._flusher is not None:
            await asyncio.gather(self._flusher, return_exceptions=True)
        await self.flush_pending()
