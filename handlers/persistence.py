"""Conversation states in the database, written at every change (not on PTB's 60 s flush)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import delete
from sqlmodel import select
from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import ConversationDict, ConversationKey

from core.runtime import Runtime
from handlers.context import WriteTracker
from models import ConversationState


def _key_text(key: ConversationKey) -> str:
    """Matches services.residents.conversation_key for private chats."""
    return json.dumps(list(key))


class DatabasePersistence(BasePersistence[dict, dict, dict]):
    """Only conversations are persisted; domain state lives in its own tables."""

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(
            store_data=PersistenceInput(
                bot_data=False, chat_data=False, user_data=False, callback_data=False
            ),
            update_interval=5,
        )
        self.runtime = runtime

    async def get_conversations(self, name: str) -> ConversationDict:
        async with self.runtime.sessions() as session:
            rows = await session.exec(
                select(ConversationState).where(ConversationState.name == name)
            )
            return {tuple(json.loads(row.key)): row.state for row in rows}

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        async with self.runtime.sessions() as session:
            # Like a unit of work: hold a connection first, then take the SQLite write gate at
            # the first write (the other order can deadlock against a full pool).
            await session.connection()
            writes = WriteTracker(session, self.runtime.write_gate)
            try:
                if new_state is None:
                    await session.exec(
                        delete(ConversationState)
                        .where(ConversationState.name == name)
                        .where(ConversationState.key == _key_text(key))
                    )
                else:
                    row = await session.get(ConversationState, (name, _key_text(key)))
                    if row is None:
                        row = ConversationState(name=name, key=_key_text(key))
                        session.add(row)
                    row.state = new_state
                    row.updated_at = self.runtime.clock.now()
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
        pass
