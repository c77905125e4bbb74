"""The bot's username as the running bot records it (from getMe) for the command line."""

from __future__ import annotations

from core.runtime import Runtime
from core.settings import Settings
from services.bot_identity import remember_username


async def bot_has_started(database_url: str, username: str = "RedPropertyBot") -> None:
    """What `bot.py run` does at start: record the username getMe gave."""
    runtime = Runtime.create(Settings(DATABASE_URL=database_url, _env_file=None))
    try:
        await remember_username(runtime, username)
    finally:
        await runtime.close()
