"""Scheduled notices: a tick queues every notice whose time has come (exactly once)."""

from __future__ import annotations

import logging

from core.db import unit_of_work
from core.runtime import Runtime
from services import notices

log = logging.getLogger(__name__)


async def dispatch_scheduled(runtime: Runtime) -> int:
    async with unit_of_work(runtime.sessions) as session:
        count = await notices.dispatch_due(session, now=runtime.clock.now())
    if count:
        log.info("queued %s scheduled notices", count)
        runtime.wake_outbox()
    return count
