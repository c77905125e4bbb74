"""50 users at once for 10 seconds, a mix of what residents do: every step is answered, no
"database is locked", no apology. (Timing: benchmarks/load.py.)"""

from __future__ import annotations

from benchmarks.help_start import TOKEN
from benchmarks.load import mixed_load
from emulator import BotApiEmulator


async def test_fifty_users_at_once_are_all_answered(database_url):
    async with BotApiEmulator(token=TOKEN, bot_username="BenchBot") as emulator:
        users = [
            emulator.add_user(first_name=f"业主{i}", language_code="zh-hans") for i in range(50)
        ]
        load = await mixed_load(emulator, users, database_url, seconds=10)
    assert load.steps >= 50
    assert load.unanswered == [], load.unanswered[:5]
    assert load.locked == 0
    assert load.sorry == 0
