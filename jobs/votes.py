"""Votes: a tick opens what is due (taking the eligibility snapshot) and closes and tallies
what is due, each exactly once because the status changes in the same transaction."""

from __future__ import annotations

import logging

from core.db import unit_of_work
from core.runtime import Runtime
from services import votes

log = logging.getLogger(__name__)


async def open_and_close(runtime: Runtime) -> tuple[int, int]:
    now = runtime.clock.now()
    async with unit_of_work(runtime.sessions) as session:
        opened = await votes.open_due(session, now=now)
        closed = await votes.close_due(session, now=now)
    if opened or closed:
        log.info("opened %s and closed %s votes", len(opened), len(closed))
    return len(opened), len(closed)
