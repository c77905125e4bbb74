"""People over time: home sales (过户) recorded ahead of their date are applied on it, each once.

A transfer marks itself applied in the same transaction that ends the seller's memberships and
records whom to tell, so a tick that runs twice, or again after a restart, changes nothing."""

from __future__ import annotations

import logging

from core.db import unit_of_work
from core.runtime import Runtime
from models import HouseholdTransfer
from services import transfers

log = logging.getLogger(__name__)


async def apply_transfers(runtime: Runtime) -> int:
    """Every transfer whose date has come, each in its own transaction."""
    now = runtime.clock.now()
    async with unit_of_work(runtime.sessions) as session:
        due = await transfers.due_transfers(session, now=now)
    applied = 0
    for transfer_id in due:
        async with unit_of_work(runtime.sessions) as session:
            transfer = await session.get(HouseholdTransfer, transfer_id)
            if transfer is not None and await transfers.apply_transfer(session, transfer, now=now):
                applied += 1
    if applied:
        log.info("home transfers applied: %s", applied)
        runtime.wake_outbox()
    return applied
