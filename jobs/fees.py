"""Fees on the scheduler: each tick generates the bills that are due (idempotent: one bill per
household, schedule and period) and queues the reminders whose day has come (each bill and
offset handled once, recorded in fee_reminder in the same transaction)."""

from __future__ import annotations

import logging

from core.db import unit_of_work
from core.runtime import Runtime
from services import billing, fee_reminders

log = logging.getLogger(__name__)


async def generate_bills(runtime: Runtime) -> int:
    now = runtime.clock.now()
    async with unit_of_work(runtime.sessions) as session:
        created = await billing.generate_bills(
            session, today=now.astimezone(runtime.settings.tz).date(), now=now
        )
    if created:
        log.info("generated %s bills", created)
    return created


async def remind(runtime: Runtime) -> int:
    now = runtime.clock.now()
    tz = runtime.settings.tz
    async with unit_of_work(runtime.sessions) as session:
        queued = await fee_reminders.queue_reminders(
            session,
            today=now.astimezone(tz).date(),
            now=now,
            tz=tz,
            offsets=runtime.settings.fee_reminders,
        )
    if queued:
        log.info("queued %s fee reminders", queued)
        runtime.wake_outbox()
    return queued


async def tick(runtime: Runtime) -> tuple[int, int]:
    """Bills first, so a bill due today is reminded about in the same tick."""
    return await generate_bills(runtime), await remind(runtime)
