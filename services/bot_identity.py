"""The bot's username, as Telegram's getMe gives it, recorded for the command line.

Invite links are `https://t.me/<username>?start=<code>`; a username typed into a setting can be
wrong (and then every printed card opens somebody else's bot), so the running bot records the
one getMe returned at each start, and the CLI asks getMe itself when it has the token. With
several bots (services.bots) each records its own; the default bot's stays in system_value.
"""

from __future__ import annotations

from core.db import unit_of_work, upsert
from core.runtime import Runtime
from models import SystemValue
from services import bots

USERNAME_KEY = bots.DEFAULT_USERNAME_KEY


async def remember_username(
    runtime: Runtime, username: str | None, bot_id: int | None = None
) -> None:
    """Record what getMe said: on the bot's row when it is a recorded bot, and as the default
    bot's username when the runtime runs the default bot."""
    runtime.bot_username = username or runtime.bot_username
    if not username:
        return
    async with unit_of_work(runtime.sessions) as session:
        now = runtime.clock.now()
        if bot_id is not None:
            await bots.record_username(session, bot_id, username, now=now)
        if runtime.bot_account is not None:
            return
        # One statement: processes of one bot starting together (`bot.py receive` and its
        # workers) each record it, and a read-then-insert let the second fail its start.
        await upsert(
            session, SystemValue, {"key": USERNAME_KEY, "value": username, "updated_at": now}
        )


async def recorded_username(runtime: Runtime) -> str | None:
    """The username the bot recorded at its last start, or None if it never started here."""
    async with runtime.sessions() as session:
        row = await session.get(SystemValue, USERNAME_KEY)
        return row.value if row is not None else None
