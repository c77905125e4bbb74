"""The monthly report to subscribers: on the 1st at 08:00 (an APScheduler cron job, and once at
start-up to catch up after downtime) each subscriber gets last month's report of their place —
text, chart and workbook — exactly once per month and place, recorded in kpi_delivery in the
same transaction as the queued messages."""

from __future__ import annotations

import logging

from core.db import unit_of_work
from core.runtime import Runtime
from services import kpi_viewers
from services.kpi_viewers import SEND_AT

__all__ = ["SEND_AT", "deliver_monthly"]
log = logging.getLogger(__name__)


async def deliver_monthly(runtime: Runtime) -> int:
    """Last month's report to every subscriber not served yet; nothing before the 1st at 08:00."""
    now = runtime.clock.now()
    async with unit_of_work(runtime.sessions) as session:
        served = await kpi_viewers.deliver_monthly(session, now=now, tz=runtime.settings.tz)
    if served:
        log.info("monthly report queued for %s subscribers", served)
        runtime.wake_outbox()
    return served
