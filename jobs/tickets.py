"""Ticket service levels: escalate overdue tickets once per level; auto-confirm unconfirmed fixes."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlmodel import col, select

from core.db import unit_of_work
from core.runtime import Runtime
from models import OPEN_STATUSES, Compound, Ticket, TicketStatus
from services import tickets
from services.outbox import quiet_hours
from views.tickets import event_payload, staff_alert_payload

log = logging.getLogger(__name__)


async def escalate_overdue(runtime: Runtime) -> int:
    """Level 1 (liaison) when the response or handling target is missed; level 2 (quality
    supervisor) past the second threshold. The level is stored, so each happens exactly once."""
    now = runtime.clock.now()
    quiet = quiet_hours(runtime.settings)
    escalated = 0
    async with unit_of_work(runtime.sessions) as session:
        rows = (
            await session.exec(
                select(Ticket, Compound)
                .join(Compound, Compound.id == Ticket.compound_id)
                .where(col(Ticket.status).in_(OPEN_STATUSES))
                .where(Ticket.escalation_level < 2)
                .order_by(Ticket.id)
            )
        ).all()
        for ticket, compound in rows:
            level = _due_level(ticket, compound, now)
            while ticket.escalation_level < level:
                ticket.escalation_level += 1
                await tickets.alert(
                    session,
                    ticket,
                    level=ticket.escalation_level,
                    now=now,
                    quiet=quiet,
                    render=staff_alert_payload,
                )
                escalated += 1
    if escalated:
        log.info("escalated %s overdue tickets", escalated)
        runtime.wake_outbox()
    return escalated


def _due_level(ticket: Ticket, compound: Compound, now) -> int:  # type: ignore[no-untyped-def]
    response_due = ticket.created_at + timedelta(minutes=compound.sla_response_minutes)
    handling_due = ticket.created_at + timedelta(hours=compound.sla_handling_hours)
    supervisor_due = ticket.created_at + timedelta(hours=compound.sla_supervisor_hours)
    if now >= supervisor_due:
        return 2
    if now >= handling_due or (ticket.acknowledged_at is None and now >= response_due):
        return 1
    return 0


async def auto_confirm(runtime: Runtime) -> int:
    """A fix nobody confirmed or reopened within the compound's days counts as confirmed."""
    now = runtime.clock.now()
    confirmed = 0
    async with unit_of_work(runtime.sessions) as session:
        rows = (
            await session.exec(
                select(Ticket, Compound)
                .join(Compound, Compound.id == Ticket.compound_id)
                .where(Ticket.status == TicketStatus.DONE)
                .order_by(Ticket.id)
            )
        ).all()
        for ticket, compound in rows:
            if ticket.done_at is not None and now >= ticket.done_at + timedelta(
                days=compound.auto_confirm_days
            ):
                change = await tickets.move(
                    session, ticket, tickets.TicketAction.AUTO_CONFIRM, actor_id=None, now=now
                )
                await tickets.notify(
                    session,
                    change,
                    now=now,
                    quiet=quiet_hours(runtime.settings),
                    render=event_payload,
                )
                confirmed += 1
    return confirmed
