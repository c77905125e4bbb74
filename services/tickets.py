"""Working on tickets (报事报修): each move of the lifecycle by staff or by the reporter (with
the answers some ask for: a reject reason, the after-photo, a reopening's reason, a rating's
comment; services.ticket_inputs holds the awaited answer), assigning, rating, and the scheduler's
auto-confirm. Every change is a ticket event and an audit record, and the people it concerns are
told with it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_
from models import Compound, Resident, Role, Ticket, TicketEvent
from models import TicketStatus as S
from services import audit, drafts, ticket_alerts, ticket_notices, ticket_templates
from services.actors import Actor
from services.errors import BadInput, DomainError, NotAllowed
from services.notify import Recipient
from services.policy import Permission, authorize, holders, rule
from services.ticket_alerts import Change
from services.ticket_inputs import (
    STAFF_STEPS,
    Asked,
    InputStep,
    TicketInput,
    add_photo,
    answered_ticket,
    resident_may_follow_up,
    said,
    still_open,
    text_or_photo,
)
from services.ticket_reading import TicketCard, card_of, visible_ticket
from services.ticket_rules import (
    CLOSED,
    PERMISSION,
    SIDE,
    Side,
    TicketAction,
    next_status,
)

A = TicketAction
MAX_REASON = 500


async def _record(
    session: AsyncSession,
    ticket: Ticket,
    action: TicketAction,
    *,
    actor_id: int | None,
    now: datetime,
    note: str | None = None,
    data: dict[str, Any] | None = None,
) -> Change:
    """The state machine applied: the new status, its times, the event and the audit record."""
    assert ticket.id is not None
    before = ticket.status
    ticket.status = next_status(before, action)
    if action in (A.ACKNOWLEDGE, A.START) and ticket.acknowledged_at is None:
        ticket.acknowledged_at = now
    if action == A.DONE:
        ticket.done_at = now
    if action == A.REOPEN:
        ticket.done_at = None
    if action == A.REJECT:
        ticket.reject_reason = (note or "")[:MAX_REASON]
    if ticket.status in CLOSED:
        ticket.closed_at = now
    event = TicketEvent(
        ticket_id=ticket.id,
        at=now,
        actor_id=actor_id,
        kind=action,
        from_status=before,
        to_status=ticket.status,
        note=note,
        data=data or {},
    )
    session.add(event)
    audit.record(
        session,
        at=now,
        actor_id=actor_id,
        action=f"ticket.{action}",
        subject_type="ticket",
        subject_id=ticket.id,
        from_status=before,
        to_status=ticket.status,
    )
    await session.flush()
    return Change(ticket, event)


async def _may(session: AsyncSession, actor: Actor, ticket: Ticket, side: Side) -> None:
    if side not in PERMISSION:  # the scheduler's own moves
        raise NotAllowed(rule(Permission.TICKET_WORK).refusal)
    await authorize(
        session,
        actor,
        PERMISSION[side],
        ticket.compound_id,
        owners=(ticket.reporter_id, ticket.filed_by_id),
    )


async def _move(
    session: AsyncSession,
    actor: Actor,
    ticket: Ticket,
    action: TicketAction,
    *,
    now: datetime,
    note: str | None = None,
    data: dict[str, Any] | None = None,
) -> Change:
    await _may(session, actor, ticket, SIDE[action])
    change = await _record(
        session, ticket, action, actor_id=actor.resident_id, now=now, note=note, data=data
    )
    await ticket_alerts.tell_residents(session, change, now=now, exclude=actor.resident_id)
    if action in NOTIFY_HANDLERS:  # the resident's moves reach whoever handles the ticket
        await ticket_notices.tell_handlers(
            session, NOTIFY_HANDLERS[action], ticket, change.event, now=now
        )
    return change


NOTIFY_HANDLERS = {A.REOPEN: ticket_notices.REOPENED, A.CANCEL: ticket_notices.CANCELLED}


async def act(
    session: AsyncSession, actor: Actor, ticket_id: int, action: str, *, now: datetime
) -> TicketCard:
    """A move that needs nothing more: acknowledge, start (staff); confirm, cancel (the reporter,
    once they said yes). Rejecting, finishing and reopening ask for a reason or a photo first
    (`ask`)."""
    try:
        move = TicketAction(action)
    except ValueError:
        raise DomainError(drafts.STALE) from None
    ticket = await visible_ticket(session, actor, ticket_id)
    if move == A.REJECT:
        await _may(session, actor, ticket, Side.STAFF)
        raise DomainError(N_("Please give the reason for rejecting it."))
    if move == A.REOPEN:
        await _may(session, actor, ticket, Side.REPORTER)
        raise DomainError(N_("Please tell us why it is not fixed."))
    await _move(session, actor, ticket, move, now=now)
    return await card_of(session, actor, ticket, now=now)


async def may_cancel(session: AsyncSession, actor: Actor, ticket_id: int) -> Ticket:
    """Cancel pressed: the reporter may cancel it now (they are asked to confirm)."""
    ticket = await visible_ticket(session, actor, ticket_id)
    await _may(session, actor, ticket, Side.REPORTER)
    next_status(ticket.status, A.CANCEL)
    return ticket


async def ask(
    session: AsyncSession, actor: Actor, ticket_id: int, step: str, *, now: datetime
) -> Asked:
    """A button that asks for an answer, the next message: staff pressed reject, a note, done or
    need more information; the resident pressed reopen, add a comment or reply."""
    try:
        wanted = InputStep(step)
    except ValueError:
        raise DomainError(drafts.STALE) from None
    ticket = await visible_ticket(session, actor, ticket_id)
    if wanted in STAFF_STEPS:
        await authorize(session, actor, Permission.TICKET_WORK, ticket.compound_id)
    if wanted == InputStep.REJECT:
        next_status(ticket.status, A.REJECT)
    elif wanted == InputStep.AFTER_PHOTO:
        next_status(ticket.status, A.DONE)
    elif wanted == InputStep.REOPEN:
        await _may(session, actor, ticket, Side.REPORTER)
        next_status(ticket.status, A.REOPEN)
    elif wanted in (InputStep.REMARK, InputStep.ANSWER):
        await resident_may_follow_up(session, actor, ticket, wanted)
    elif wanted == InputStep.QUESTION:
        still_open(ticket)
    elif wanted == InputStep.COMMENT:
        raise DomainError(drafts.STALE)
    assert ticket.id is not None
    templates = []
    if wanted == InputStep.NOTE_PUBLIC:
        templates = await ticket_templates.texts(session, ticket.compound_id)
    draft = TicketInput(step=wanted, ticket_id=ticket.id, templates=templates)
    await drafts.begin(session, actor, draft, now=now)
    return Asked(ticket, wanted, tuple(templates))


async def reject(session: AsyncSession, actor: Actor, reason: str, *, now: datetime) -> TicketCard:
    """The reason a ticket is rejected (the resident reads it)."""
    ticket = await answered_ticket(session, actor, InputStep.REJECT)
    return await _reject(session, actor, ticket, reason, now=now)


async def reject_ticket(
    session: AsyncSession, actor: Actor, ticket_id: int, reason: str, *, now: datetime
) -> TicketCard:
    """Reject a ticket with its reason in one step (the office console's form)."""
    ticket = await visible_ticket(session, actor, ticket_id)
    return await _reject(session, actor, ticket, reason, now=now)


async def _reject(
    session: AsyncSession, actor: Actor, ticket: Ticket, reason: str, *, now: datetime
) -> TicketCard:
    reason = (reason or "").strip()
    if not reason:
        await _may(session, actor, ticket, Side.STAFF)
        raise BadInput("reason", N_("Please give the reason for rejecting it."))
    await _move(session, actor, ticket, A.REJECT, now=now, note=reason)
    return await card_of(session, actor, ticket, now=now)


async def reopen(
    session: AsyncSession,
    actor: Actor,
    text: str | None,
    *,
    now: datetime,
    photo: str | None = None,
) -> TicketCard:
    """Not fixed: the resident's reason (text, or a photo with or without a caption) reopens
    the ticket, and whoever handles it hears the reason."""
    ticket = await answered_ticket(session, actor, InputStep.REOPEN)
    missing = N_("Please tell us why it is not fixed.")
    reason = text_or_photo(session, ticket, actor, text, photo, now=now, missing=missing)
    data = {"photo": photo} if photo else None
    await _move(session, actor, ticket, A.REOPEN, now=now, note=reason or None, data=data)
    return await card_of(session, actor, ticket, now=now)


async def finish_work(
    session: AsyncSession,
    actor: Actor,
    *,
    photo: str | None,
    now: datetime,
    ticket_id: int | None = None,
    caption: str | None = None,
) -> TicketCard:
    """Done, with a photo of the fixed state (a Telegram file id; its caption is a note the
    resident sees) or without one (Skip). The resident is sent the photo with "please check"."""
    ticket = await answered_ticket(session, actor, InputStep.AFTER_PHOTO, ticket_id)
    return await _finish(session, actor, ticket, photo=photo, caption=caption, now=now)


async def may_finish(session: AsyncSession, actor: Actor, ticket_id: int) -> Ticket:
    """Whether the person may mark the ticket done now (before a photo is uploaded for it)."""
    ticket = await visible_ticket(session, actor, ticket_id)
    await authorize(session, actor, Permission.TICKET_WORK, ticket.compound_id)
    next_status(ticket.status, A.DONE)
    return ticket


async def finish_ticket(
    session: AsyncSession,
    actor: Actor,
    ticket_id: int,
    *,
    photo: str | None,
    now: datetime,
    caption: str | None = None,
) -> TicketCard:
    """Done in one step (the office console's form), with the photo's Telegram file id or
    without one; the resident is told as after the bot's "Done"."""
    ticket = await visible_ticket(session, actor, ticket_id)
    return await _finish(session, actor, ticket, photo=photo, caption=caption, now=now)


async def _finish(
    session: AsyncSession,
    actor: Actor,
    ticket: Ticket,
    *,
    photo: str | None,
    caption: str | None,
    now: datetime,
) -> TicketCard:
    assert ticket.id is not None
    await authorize(session, actor, Permission.TICKET_WORK, ticket.compound_id)
    next_status(ticket.status, A.DONE)  # refused before the photo is kept
    if photo:
        add_photo(session, ticket, actor, photo, now=now, after=True)
        session.add(
            TicketEvent(
                ticket_id=ticket.id,
                at=now,
                actor_id=actor.resident_id,
                kind="photo",
                visible=True,
                note=said(caption) or None,
            )
        )
    data = {"photo": photo[:200]} if photo else None
    await _move(session, actor, ticket, A.DONE, now=now, data=data)
    return await card_of(session, actor, ticket, now=now)


async def colleagues(
    session: AsyncSession, actor: Actor, ticket_id: int
) -> tuple[Ticket, list[Resident]]:
    """The staff of the ticket's compound, to assign it to."""
    ticket = await visible_ticket(session, actor, ticket_id)
    await authorize(session, actor, Permission.TICKET_WORK, ticket.compound_id)
    return ticket, await holders(session, Permission.TICKET_WORK, ticket.compound_id, {Role.STAFF})


async def assign(
    session: AsyncSession, actor: Actor, ticket_id: int, assignee_id: int, *, now: datetime
) -> Ticket:
    ticket, staff = await colleagues(session, actor, ticket_id)
    assert ticket.id is not None
    if assignee_id not in {p.id for p in staff}:
        raise DomainError(N_("Choose a staff member of this compound."))
    still_open(ticket)
    ticket.assignee_id = assignee_id
    event = TicketEvent(
        ticket_id=ticket.id,
        at=now,
        actor_id=actor.resident_id,
        kind="assign",
        data={"assignee": assignee_id},
    )
    session.add(event)
    audit.record(
        session,
        at=now,
        actor_id=actor.resident_id,
        action="ticket.assign",
        subject_type="ticket",
        subject_id=ticket.id,
        assignee=assignee_id,
    )
    await session.flush()
    await ticket_alerts.tell_residents(
        session, Change(ticket, event), now=now, exclude=actor.resident_id
    )
    if assignee_id != actor.resident_id:  # the colleague hears it is theirs now
        chosen = [p for p in staff if p.id == assignee_id]
        await ticket_notices.tell_handlers(
            session,
            ticket_notices.ASSIGNED,
            ticket,
            event,
            now=now,
            to=[Recipient.of(p) for p in chosen],
        )
    return ticket


async def rate(
    session: AsyncSession, actor: Actor, ticket_id: int, stars: int, *, now: datetime
) -> Asked:
    """1–5 stars for a confirmed fix; a comment may follow."""
    ticket = await visible_ticket(session, actor, ticket_id)
    await _may(session, actor, ticket, Side.REPORTER)
    if ticket.status != S.CONFIRMED:
        raise DomainError(N_("A ticket can be rated once it is confirmed."))
    if not 1 <= stars <= 5:
        raise DomainError(N_("Please choose from 1 to 5 stars."))
    ticket.rating = stars
    assert ticket.id is not None
    session.add(  # the rating in the history (its comment, if one follows, is added to it)
        TicketEvent(
            ticket_id=ticket.id,
            at=now,
            actor_id=actor.resident_id,
            kind="rate",
            note=star_text(stars),
            data={"stars": stars},
        )
    )
    audit.record(
        session,
        at=now,
        actor_id=actor.resident_id,
        action="ticket.rate",
        subject_type="ticket",
        subject_id=ticket.id,
        stars=stars,
    )
    assert ticket.id is not None
    draft = TicketInput(step=InputStep.COMMENT, ticket_id=ticket.id)
    await drafts.begin(session, actor, draft, now=now)
    return Asked(ticket, InputStep.COMMENT)


async def comment(
    session: AsyncSession,
    actor: Actor,
    text: str | None,
    *,
    ticket_id: int | None = None,
) -> bool:
    """The comment on a rating (None: No comment). Whether a comment was kept."""
    ticket = await answered_ticket(session, actor, InputStep.COMMENT, ticket_id)
    await _may(session, actor, ticket, Side.REPORTER)
    if ticket.rating is None:
        raise NotAllowed(rule(Permission.TICKET_CONFIRM).refusal)
    if text is None:
        return False
    ticket.rating_comment = text.strip()[:500] or None
    rating = (
        await session.exec(
            select(TicketEvent)
            .where(col(TicketEvent.ticket_id) == ticket.id)
            .where(col(TicketEvent.kind) == "rate")
            .order_by(col(TicketEvent.id).desc())
        )
    ).first()
    if rating is not None and ticket.rating_comment:
        rating.note = f"{star_text(ticket.rating)} {ticket.rating_comment}"
    return True


def star_text(stars: int) -> str:
    """`★★★★☆`"""
    stars = max(0, min(stars, 5))
    return "★" * stars + "☆" * (5 - stars)


async def auto_confirm_due(session: AsyncSession, *, now: datetime) -> int:
    """A fix nobody confirmed or reopened within the compound's days counts as confirmed."""
    rows = (
        await session.exec(
            select(Ticket, Compound)
            .join(Compound, col(Compound.id) == col(Ticket.compound_id))
            .where(col(Ticket.status) == S.DONE)
            .order_by(col(Ticket.id))
        )
    ).all()
    confirmed = 0
    for ticket, compound in rows:
        if ticket.done_at is None or now < ticket.done_at + timedelta(
            days=compound.auto_confirm_days
        ):
            continue
        change = await _record(session, ticket, A.AUTO_CONFIRM, actor_id=None, now=now)
        await ticket_alerts.tell_residents(session, change, now=now)
        confirmed += 1
    return confirmed
