"""A broadcast survives kill -9 of its sender: everyone is reached, duplicates stay bounded."""

from __future__ import annotations

import random

from benchmarks.broadcast import broadcast

BATCH = 100
# Claimed but not yet recorded when the process dies: the batch being sent, the prefetched
# next batch, and the previous batch whose outcomes are being written.
IN_FLIGHT_BOUND = 3 * BATCH


async def test_a_broadcast_killed_half_way_reaches_everyone_once_restarted(database_url):
    result = await broadcast(
        database_url, 2500, limit=1000, kill_at=0.5, lease=1, batch=BATCH, timeout=120
    )
    assert result.killed_at is not None and result.killed_at < result.recipients
    assert result.lost == 0, f"{result.lost} recipients never got the notice"
    assert result.delivered == 2500
    assert result.duplicates <= IN_FLIGHT_BOUND
    assert max(result.per_chat.values()) <= 2


async def test_a_broadcast_killed_twice_at_random_moments_reaches_everyone(database_url):
    rng = random.Random(22)  # seeded: the same moments every run
    kills = sorted(round(rng.uniform(0.1, 0.9), 2) for _ in range(2))
    result = await broadcast(
        database_url, 1000, limit=1000, kill_at=kills, lease=1, batch=BATCH, timeout=120
    )
    assert result.lost == 0, f"{result.lost} recipients never got the notice (kills at {kills})"
    assert result.delivered == 1000
    assert result.duplicates <= len(kills) * IN_FLIGHT_BOUND
    assert max(result.per_chat.values()) <= len(kills) + 1
