"""Ticket service levels on the scheduler: overdue tickets escalate (each level once, the level
is stored on the ticket), unacknowledged urgent tickets are alerted again, unconfirmed fixes
confirm themselves, and a day later their reporter is offered the rating again; the rules are in
services."""

from __future__ import annotations

import logging

from core.db import unit_of_work
from core.runtime import Runtime
from services import ticket_alerts, ticket_emergencies, ticket_followups, tickets

log = logging.getLogger(__name__)


async def escalate_overdue(runtime: Runtime) -> int:
    """Level 1 (the liaison) when a target is missed; level 2 (the quality supervisor) past the
    second threshold."""
    async with unit_of_work(runtime.sessions) as session:
        escalated = await ticket_alerts.escalate_overdue(session, now=runtime.clock.now())
    if escalated:
        log.info("escalated %s overdue tickets", escalated)
        runtime.wake_outbox()
    return escalated


async def auto_confirm(runtime: Runtime) -> int:
    """A fix nobody confirmed or reopened within the compound's days counts as confirmed."""
    async with unit_of_work(runtime.sessions) as session:
        confirmed = await tickets.auto_confirm_due(session, now=runtime.clock.now())
    if confirmed:
        log.info("auto-confirmed %s tickets", confirmed)
        runtime.wake_outbox()
    return confirmed


async def repeat_urgent(runtime: Runtime) -> int:
    """An urgent ticket nobody has acknowledged is alerted again at the compound's interval."""
    async with unit_of_work(runtime.sessions) as session:
        repeated = await ticket_emergencies.repeat_unacknowledged(session, now=runtime.clock.now())
    if repeated:
        log.info("repeated the alerts of %s unacknowledged urgent tickets", repeated)
        runtime.wake_outbox()
    return repeated


async def offer_rating_again(runtime: Runtime) -> int:
    """A day after an auto-confirmation the reporter may rate the fix (once; restart-safe: the
    message's purpose key is sent once)."""
    async with unit_of_work(runtime.sessions) as session:
        due = await ticket_followups.offer_rating_again(session, now=runtime.clock.now())
    if due:
        runtime.wake_outbox()
    return due
