"""Who hears of what a ticket's residents do: a reopening with its reason, a cancellation, a
comment, an urge (催单) and an answer reach whoever handles the ticket — its assignee, or
without one the compound's staff; a question from staff reaches the resident; an assignment
reaches the colleague it was given to."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from models import Resident, Role, Ticket, TicketEvent
from services import notify, ticket_alerts
from services.notify import Recipient
from services.policy import Permission, holders
from services.ticket_reading import reachable

REOPENED = "ticket.reopened"  # to the handlers: the resident's reason (and photo)
CANCELLED = "ticket.cancelled"  # to the handlers
REMARK = "ticket.remark"  # to the handlers: a resident's comment or photo on an open ticket
URGED = "ticket.urged"  # to the handlers: 催单 on an overdue ticket
QUESTION = "ticket.question"  # to the reporter (and filer): staff need more information
ANSWER = "ticket.answer"  # to the staff member who asked
ASSIGNED = "ticket.assigned"  # to the colleague a ticket was assigned to
RATE_AGAIN = "ticket.rate_again"  # to the reporter, a day after an auto-confirmation


def _people(found: list[Resident]) -> list[Recipient]:
    return [Recipient.of(p) for p in found if p.telegram_id is not None]


async def handlers_of(session: AsyncSession, ticket: Ticket) -> list[Recipient]:
    """The ticket's assignee when they can be reached, otherwise the compound's staff."""
    if ticket.assignee_id is not None:
        assignee = await reachable(session, {ticket.assignee_id})
        if assignee:
            return _people(assignee)
    return _people(await holders(session, Permission.TICKET_WORK, ticket.compound_id, {Role.STAFF}))


async def _handlers(session: AsyncSession, ticket: Ticket, *, now: datetime) -> list[Recipient]:
    """An urgent ticket's follow-ups go where its alerts go (the staff on duty, the assignee and
    the liaison); an ordinary one's to its handlers."""
    if ticket.urgent:
        return await ticket_alerts.alerted(session, ticket, now=now)
    return await handlers_of(session, ticket)


async def tell_handlers(
    session: AsyncSession,
    kind: str,
    ticket: Ticket,
    event: TicketEvent,
    *,
    now: datetime,
    to: list[Recipient] | None = None,
) -> None:
    """One message per event to the ticket's handlers (or `to`), urgent ones at night too."""
    notify.tell(
        session,
        f"ticket:{ticket.id}:{kind}:{event.id}",
        kind,
        to if to is not None else await _handlers(session, ticket, now=now),
        now=now,
        emergency=ticket.urgent,
        ticket=ticket,
        event=event,
    )


async def tell_residents(
    session: AsyncSession, kind: str, ticket: Ticket, event: TicketEvent, *, now: datetime
) -> None:
    """The reporter and the liaison who filed it (a question is for them to answer)."""
    ids = {ticket.reporter_id} | ({ticket.filed_by_id} if ticket.filed_by_id else set())
    people = [Recipient.of(p, ticket.household_id) for p in await reachable(session, ids)]
    notify.tell(
        session,
        f"ticket:{ticket.id}:{kind}:{event.id}",
        kind,
        people,
        now=now,
        emergency=ticket.urgent,
        ticket=ticket,
        event=event,
    )
