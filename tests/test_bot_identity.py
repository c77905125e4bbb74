"""The bot's username, recorded by each process of the bot at its start (services/bot_identity.py).
A bot's processes start together (`bot.py receive` and its `bot.py work` workers): each records
the username, and none may fail its start because another recorded it first."""

from __future__ import annotations

import asyncio

from core.runtime import Runtime
from core.settings import Settings
from services.bot_identity import recorded_username, remember_username


async def test_processes_starting_together_each_record_the_username(database_url):
    runtimes = [
        Runtime.create(Settings(DATABASE_URL=database_url, _env_file=None)) for _ in range(4)
    ]
    try:
        await asyncio.gather(*(remember_username(r, "RedPropertyBot") for r in runtimes))
        assert await recorded_username(runtimes[0]) == "RedPropertyBot"
        await remember_username(runtimes[1], "RenamedBot")  # a later start after a rename
        assert await recorded_username(runtimes[2]) == "RenamedBot"
    finally:
        for runtime in runtimes:
            await runtime.close()
