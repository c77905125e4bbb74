"""The mixed benchmark at a tiny size, so it cannot rot: residents report, vote and open /bills,
all at once and then paced, and every step is answered without an apology. (Timing:
benchmarks/mixed.py.)"""

from __future__ import annotations

import pytest

from benchmarks.help_start import TOKEN
from benchmarks.mixed import measure, scaling_text, worker_scaling
from emulator import ApiLimits, BotApiEmulator
from tests.conftest import USE_POSTGRES


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


@pytest.mark.skipif(not USE_POSTGRES, reason="worker processes share a PostgreSQL inbox")
async def test_worker_scaling_runs_real_processes_with_telegram_s_round_trip(database_url):
    """The scaling series as the benchmark runs it with Telegram's distance: a real receiver and
    worker process, every call 50 ms away, two updates in hand; every step answered."""
    async with BotApiEmulator(
        token=TOKEN, bot_username="BenchBot", limits=ApiLimits(round_trip=0.05)
    ) as emulator:
        users = [
            emulator.add_user(first_name=f"业主{i}", language_code="zh-hans") for i in range(4)
        ]
        results, shares, unanswered = await worker_scaling(
            emulator, users, database_url, [1], 2, in_hand=2
        )
    assert len(results) == 1 and results[0].requests >= 4
    assert unanswered == [], unanswered[:5]
    assert results[0].label == "mixed, receive + 1 work"
    text = scaling_text(results, results[0], shares, "round trip")
    assert "workers' CPU per update" in text and "scaling: 1 work: 1.00x" in text
