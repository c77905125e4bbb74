"""What a ticket's people add while it is worked on: a resident's comment or photo, an urge
(催单) on an overdue ticket once a day, staff's question (need more information) and the
resident's answer, and the satisfaction follow-up a day after an auto-confirmation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_
from models import Ticket, TicketEvent
from models import TicketStatus as S
from services import notify, ticket_notices
from services.actors import Actor
from services.errors import BadInput, DomainError
from services.notify import Recipient
from services.policy import Permission, authorize
from services.ticket_inputs import (
    InputStep,
    answered_ticket,
    last_question,
    resident_may_follow_up,
    said,
    still_open,
    text_or_photo,
)
from services.ticket_reading import TicketCard, card_of, overdue, reachable, visible_ticket

ASKED_ALREADY = N_(
    "You have asked the resident exactly this already and they have not answered yet; the "
    "question is in their chat. Their answer will come to you in the bot."
)
RATE_AGAIN_AFTER = timedelta(days=1)
RATE_AGAIN_WITHIN = timedelta(days=7)  # an auto-confirmation older than this is left alone


@dataclass(frozen=True)
class Urged:
    ticket: Ticket
    told: int  # how many people who handle it were told


def _event(
    ticket: Ticket, actor: Actor, kind: str, note: str | None, photo: str | None, now: datetime
) -> TicketEvent:
    assert ticket.id is not None
    return TicketEvent(
        ticket_id=ticket.id,
        at=now,
        actor_id=actor.resident_id,
        kind=kind,
        note=note or None,
        data={"photo": photo} if photo else {},
    )


async def remark(
    session: AsyncSession,
    actor: Actor,
    text: str | None,
    *,
    now: datetime,
    photo: str | None = None,
) -> TicketCard:
    """A resident's comment or photo (its caption kept) on an open ticket; whoever handles it
    is told."""
    ticket = await answered_ticket(session, actor, InputStep.REMARK)
    await resident_may_follow_up(session, actor, ticket)
    missing = N_("Please send a comment or a photo.")
    note = text_or_photo(session, ticket, actor, text, photo, now=now, missing=missing)
    event = _event(ticket, actor, "remark", note, photo, now)
    session.add(event)
    await session.flush()
    await ticket_notices.tell_handlers(session, ticket_notices.REMARK, ticket, event, now=now)
    return await card_of(session, actor, ticket, now=now)


def _today(now: datetime, tz: ZoneInfo) -> tuple[datetime, str]:
    """The start of the local day (in UTC) and its date."""
    local = now.astimezone(tz)
    start = datetime.combine(local.date(), time(0), tzinfo=tz).astimezone(UTC)
    return start, local.date().isoformat()


async def urge(session: AsyncSession, actor: Actor, ticket_id: int, *, now: datetime) -> Urged:
    """催单: a resident presses an overdue ticket once a (local) day; whoever handles it hears."""
    ticket = await visible_ticket(session, actor, ticket_id)
    await resident_may_follow_up(session, actor, ticket)
    if not await overdue(session, ticket, now):
        raise DomainError(N_("Ticket #{id} is still within its handling time."), id=ticket.id)
    start, day = _today(now, session.info.get(notify.ZONE) or ZoneInfo("Asia/Shanghai"))
    earlier = (
        await session.exec(
            select(col(TicketEvent.id))
            .where(col(TicketEvent.ticket_id) == ticket.id)
            .where(col(TicketEvent.kind) == "urge")
            .where(col(TicketEvent.at) >= start)
        )
    ).first()
    if earlier is not None:
        raise DomainError(
            N_("Ticket #{id} was already urged today; you can urge it again tomorrow."),
            id=ticket.id,
        )
    event = _event(ticket, actor, "urge", None, None, now)
    session.add(event)
    await session.flush()
    people = await ticket_notices.handlers_of(session, ticket)
    notify.tell(
        session,
        f"ticket:{ticket.id}:urge:{day}",
        ticket_notices.URGED,
        people,
        now=now,
        emergency=ticket.urgent,
        ticket=ticket,
        event=event,
    )
    return Urged(ticket, len(people))


async def question(session: AsyncSession, actor: Actor, text: str, *, now: datetime) -> TicketCard:
    """Need more information: staff's question goes to the resident, who can reply in the chat."""
    ticket = await answered_ticket(session, actor, InputStep.QUESTION)
    return await _question(session, actor, ticket, text, now=now)


async def ask_resident(
    session: AsyncSession, actor: Actor, ticket_id: int, text: str, *, now: datetime
) -> TicketCard:
    """Need more information in one step (the office console's form), as `question`: the
    resident is sent the question and answers it in the chat, to the one who asked."""
    ticket = await visible_ticket(session, actor, ticket_id)
    return await _question(session, actor, ticket, text, now=now)


async def _question(
    session: AsyncSession, actor: Actor, ticket: Ticket, text: str, *, now: datetime
) -> TicketCard:
    await authorize(session, actor, Permission.TICKET_WORK, ticket.compound_id)
    still_open(ticket)  # the bot's button checks it when pressed; a form checks it here
    asked = said(text)
    if not asked:
        raise BadInput("question", N_("Please write the question as text."))
    if await _waiting(session, ticket, actor, asked):  # a double click, a form sent twice
        raise BadInput("question", ASKED_ALREADY)
    event = _event(ticket, actor, "question", asked, None, now)
    session.add(event)
    await session.flush()
    await ticket_notices.tell_residents(session, ticket_notices.QUESTION, ticket, event, now=now)
    return await card_of(session, actor, ticket, now=now)


async def _waiting(session: AsyncSession, ticket: Ticket, actor: Actor, asked: str) -> bool:
    """Whether this person's last question on the ticket is this one, still unanswered."""
    last = await last_question(session, ticket)
    if last is None or last.actor_id != actor.resident_id or last.note != asked:
        return False
    answered = (
        await session.exec(
            select(col(TicketEvent.id))
            .where(col(TicketEvent.ticket_id) == ticket.id)
            .where(col(TicketEvent.kind) == "answer")
            .where(col(TicketEvent.id) > last.id)
        )
    ).first()
    return answered is None


async def answer(
    session: AsyncSession,
    actor: Actor,
    text: str | None,
    *,
    now: datetime,
    photo: str | None = None,
) -> TicketCard:
    """The resident's answer: into the history, and to the staff member who asked (or, if they
    cannot be reached, whoever handles the ticket)."""
    ticket = await answered_ticket(session, actor, InputStep.ANSWER)
    await resident_may_follow_up(session, actor, ticket, InputStep.ANSWER)
    missing = N_("Please send your answer as text or a photo.")
    note = text_or_photo(session, ticket, actor, text, photo, now=now, missing=missing)
    asked = await last_question(session, ticket)
    event = _event(ticket, actor, "answer", note, photo, now)
    if asked is not None:
        event.data = {**event.data, "question": asked.note or ""}
    session.add(event)
    await session.flush()
    to: list[Recipient] | None = None
    if asked is not None and asked.actor_id is not None:
        found = await reachable(session, {asked.actor_id})
        to = [Recipient.of(p) for p in found] or None
    await ticket_notices.tell_handlers(
        session, ticket_notices.ANSWER, ticket, event, now=now, to=to
    )
    return await card_of(session, actor, ticket, now=now)


async def offer_rating_again(session: AsyncSession, *, now: datetime) -> int:
    """A day after a fix confirmed itself, its reporter is offered the rating once more (once:
    the purpose key; a rating given meanwhile ends it)."""
    rows = (
        await session.exec(
            select(Ticket, TicketEvent)
            .join(TicketEvent, col(TicketEvent.ticket_id) == col(Ticket.id))
            .where(col(TicketEvent.kind) == "auto_confirm")
            .where(col(TicketEvent.at) <= now - RATE_AGAIN_AFTER)
            .where(col(TicketEvent.at) > now - RATE_AGAIN_WITHIN)
            .where(col(Ticket.status) == S.CONFIRMED)
            .where(col(Ticket.rating).is_(None))
            .order_by(col(Ticket.id))
        )
    ).all()
    offered = 0
    for ticket, event in rows:
        people = [
            Recipient.of(p, ticket.household_id)
            for p in await reachable(session, {ticket.reporter_id})
        ]
        notify.tell(
            session,
            f"ticket:{ticket.id}:rate_again",
            ticket_notices.RATE_AGAIN,
            people,
            now=now,
            ticket=ticket,
            event=event,
        )
        offered += 1
    return offered
