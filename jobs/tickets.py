"""Ticket service levels on the scheduler: overdue tickets escalate (each level once, the level
is stored on the ticket), unacknowledged urgent tickets are alerted again, unconfirmed fixes
confirm themselves, and a day later their reporter is offered the rating again; the rules are in
services."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from core.db import unit_of_work
from core.runtime import Runtime
from services import ticket_alerts, ticket_emergencies, ticket_followups, tickets

log = logging.getLogger(__name__)


async def _sweep(
    runtime: Runtime,
    use_case: Callable[..., Awaitable[int]],
    done: str | None = None,
) -> int:
    """One scheduled use case in one unit of work; when it queued anything, `done` (with the
    count) is logged and the outbox woken. The count."""
    async with unit_of_work(runtime.sessions) as session:
        count: int = await use_case(session, now=runtime.clock.now())
    if count:
        if done:
            log.info(done, count)
        runtime.wake_outbox()
    return count


async def escalate_overdue(runtime: Runtime) -> int:
    """Level 1 (the liaison) when a target is missed; level 2 (the quality supervisor) past the
    second threshold."""
    return await _sweep(runtime, ticket_alerts.escalate_overdue, "escalated %s overdue tickets")


async def auto_confirm(runtime: Runtime) -> int:
    """A fix nobody confirmed or reopened within the compound's days counts as confirmed."""
    return await _sweep(runtime, tickets.auto_confirm_due, "auto-confirmed %s tickets")


async def repeat_urgent(runtime: Runtime) -> int:
    """An urgent ticket nobody has acknowledged is alerted again at the compound's interval."""
    return await _sweep(
        runtime,
        ticket_emergencies.repeat_unacknowledged,
        "repeated the alerts of %s unacknowledged urgent tickets",
    )


async def offer_rating_again(runtime: Runtime) -> int:
    """A day after an auto-confirmation the reporter may rate the fix (once; restart-safe: the
    message's purpose key is sent once)."""
    return await _sweep(runtime, ticket_followups.offer_rating_again)
