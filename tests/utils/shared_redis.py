"""The Redis the tests share (127.0.0.1:6379, started by .ci/run): each test gets its own key
prefix and removes only its own keys, never the whole database."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from redis.asyncio import Redis

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@asynccontextmanager
async def redis_keys() -> AsyncIterator[str]:
    """A fresh key prefix on the shared Redis; the test is skipped when no Redis answers."""
    client = Redis.from_url(REDIS_URL, socket_connect_timeout=1.0)
    try:
        await client.ping()
    except Exception:  # refused, timed out, not Redis at all
        await client.aclose()
        if os.environ.get("REQUIRE_REDIS"):
            pytest.fail(f"no Redis at {REDIS_URL}, and REQUIRE_REDIS is set")
        pytest.skip(f"no Redis at {REDIS_URL} (.ci/run starts one)")
    prefix = f"rp-test-{uuid.uuid4().hex[:12]}"
    try:
        yield prefix
    finally:
        keys = [key async for key in client.scan_iter(match=f"{prefix}:*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()
