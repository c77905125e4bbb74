"""The mixed benchmark at a tiny size, so it cannot rot: residents report, vote and open /bills,
all at once and then paced, and every step is answered without an apology. (Timing:
benchmarks/mixed.py.)"""

from __future__ import annotations

from benchmarks.help_start import TOKEN
from benchmarks.mixed import measure
from emulator import BotApiEmulator


async def test_mixed_workload_is_answered_all_at_once_and_paced(database_url):
    async with BotApiEmulator(token=TOKEN, bot_username="BenchBot") as emulator:
        users = [
            emulator.add_user(first_name=f"业主{i}", language_code="zh-hans") for i in range(8)
        ]
        figures = await measure(emulator, users, database_url, seconds=2, rate=10, paced_seconds=2)
    assert figures.ours.requests >= 8
    assert figures.ours_paced.requests == 20
    # The same bot as `bot.py run` serves it (through the inbox), and the floor's reference.
    assert figures.inbox is not None and figures.inbox.requests >= 8
    assert figures.inbox_paced is not None and figures.inbox_paced.requests == 20
    assert figures.floor is not None and figures.floor.requests >= 8
    assert figures.echo_paced.requests == 20
    assert figures.unanswered == [], figures.unanswered[:5]
    assert figures.sorry == 0
    assert "of the echo bot" in figures.text(10) and "of the floor" in figures.text(10)
