"""Working on tickets (报事报修): each move of the lifecycle by staff or by the reporter, the
answers a button asks for (a reject reason, a note, the after-photo, a rating's comment),
assigning, rating, and the scheduler's auto-confirm. Every change is a ticket event and an audit
record, and the people it concerns are told with it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_
from models import OPEN_STATUSES, Compound, Resident, Role, Ticket, TicketEvent, TicketPhoto
from models import TicketStatus as S
from services import audit, drafts, ticket_alerts
from services.actors import Actor
from services.drafts import Draft
from services.errors import DomainError, NotAllowed
from services.policy import Permission, authorize, holders, rule
from services.ticket_alerts import Change
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
MAX_NOTE = 1000
MAX_REASON = 500


class InputStep(StrEnum):
    """What a person's next message answers, after a button on a ticket asked for it."""

    REJECT = "reject"  # the reason, which the resident sees
    NOTE_PUBLIC = "note_pub"
    NOTE_INTERNAL = "note_int"
    AFTER_PHOTO = "done"  # a photo of the fixed state, or Skip
    COMMENT = "comment"  # a comment on the rating, or No comment


class TicketInput(Draft, flow="ticket_input"):
    """The ticket the awaited answer is for."""

    ticket_id: int


@dataclass(frozen=True)
class Asked:
    ticket: Ticket
    step: InputStep


async def _record(
    session: AsyncSession,
    ticket: Ticket,
    action: TicketAction,
    *,
    actor_id: int | None,
    now: datetime,
    note: str | None = None,
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
) -> Change:
    await _may(session, actor, ticket, SIDE[action])
    change = await _record(session, ticket, action, actor_id=actor.resident_id, now=now, note=note)
    await ticket_alerts.tell_residents(session, change, now=now, exclude=actor.resident_id)
    if action == A.REOPEN:
        await ticket_alerts.alert_reopened(session, change, now=now)
    return change


async def act(
    session: AsyncSession, actor: Actor, ticket_id: int, action: str, *, now: datetime
) -> TicketCard:
    """A move that needs nothing more: acknowledge, start (staff); confirm, reopen, cancel (the
    reporter). Rejecting and finishing ask for a reason or a photo first (`ask`)."""
    try:
        move = TicketAction(action)
    except ValueError:
        raise DomainError(drafts.STALE) from None
    ticket = await visible_ticket(session, actor, ticket_id)
    if move == A.REJECT:
        await _may(session, actor, ticket, Side.STAFF)
        raise DomainError(N_("Please give the reason for rejecting it."))
    await _move(session, actor, ticket, move, now=now)
    return await card_of(session, actor, ticket, now=now)


async def ask(
    session: AsyncSession, actor: Actor, ticket_id: int, step: str, *, now: datetime
) -> Asked:
    """Staff pressed reject, a note or done: their next message is the reason, note or photo."""
    try:
        wanted = InputStep(step)
    except ValueError:
        raise DomainError(drafts.STALE) from None
    ticket = await visible_ticket(session, actor, ticket_id)
    await authorize(session, actor, Permission.TICKET_WORK, ticket.compound_id)
    if wanted == InputStep.REJECT:
        next_status(ticket.status, A.REJECT)
    elif wanted == InputStep.AFTER_PHOTO:
        next_status(ticket.status, A.DONE)
    elif wanted == InputStep.COMMENT:
        raise DomainError(drafts.STALE)
    assert ticket.id is not None
    await drafts.begin(session, actor, TicketInput(step=wanted, ticket_id=ticket.id), now=now)
    return Asked(ticket, wanted)


async def _answered(
    session: AsyncSession, actor: Actor, step: InputStep, ticket_id: int | None = None
) -> Ticket:
    """The ticket the awaited answer is for; the draft is done with (unless the use case fails)."""
    draft = await drafts.load(session, actor, TicketInput, step)
    if ticket_id is not None and ticket_id != draft.ticket_id:
        raise DomainError(drafts.STALE)
    await drafts.finish(session, actor, TicketInput)
    return await visible_ticket(session, actor, draft.ticket_id)


async def reject(session: AsyncSession, actor: Actor, reason: str, *, now: datetime) -> TicketCard:
    """The reason a ticket is rejected (the resident reads it)."""
    ticket = await _answered(session, actor, InputStep.REJECT)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(N_("Please give the reason for rejecting it."))
    await _move(session, actor, ticket, A.REJECT, now=now, note=reason)
    return await card_of(session, actor, ticket, now=now)


async def note(
    session: AsyncSession, actor: Actor, step: str, text: str, *, now: datetime
) -> TicketCard:
    """A note for the resident (they are told) or an internal one (staff only)."""
    if step not in (InputStep.NOTE_PUBLIC, InputStep.NOTE_INTERNAL):
        raise DomainError(drafts.STALE)
    ticket = await _answered(session, actor, InputStep(step))
    assert ticket.id is not None
    await authorize(session, actor, Permission.TICKET_WORK, ticket.compound_id)
    text = (text or "").strip()
    if not text:
        raise DomainError(N_("Please write the note as text."))
    event = TicketEvent(
        ticket_id=ticket.id,
        at=now,
        actor_id=actor.resident_id,
        kind="note",
        note=text[:MAX_NOTE],
        visible=step == InputStep.NOTE_PUBLIC,
    )
    session.add(event)
    await session.flush()
    await ticket_alerts.tell_residents(
        session, Change(ticket, event), now=now, exclude=actor.resident_id
    )
    return await card_of(session, actor, ticket, now=now)


async def finish_work(
    session: AsyncSession,
    actor: Actor,
    *,
    photo: str | None,
    now: datetime,
    ticket_id: int | None = None,
) -> TicketCard:
    """Done, with a photo of the fixed state (a Telegram file id) or without one (Skip)."""
    ticket = await _answered(session, actor, InputStep.AFTER_PHOTO, ticket_id)
    assert ticket.id is not None
    await authorize(session, actor, Permission.TICKET_WORK, ticket.compound_id)
    if photo:
        session.add(
            TicketPhoto(
                ticket_id=ticket.id, file_id=photo, after=True, added_by=actor.resident_id, at=now
            )
        )
        session.add(
            TicketEvent(
                ticket_id=ticket.id, at=now, actor_id=actor.resident_id, kind="photo", visible=True
            )
        )
    await _move(session, actor, ticket, A.DONE, now=now)
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
    if ticket.status not in OPEN_STATUSES:
        raise DomainError(N_("That ticket is already closed."))
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
    ticket = await _answered(session, actor, InputStep.COMMENT, ticket_id)
    await _may(session, actor, ticket, Side.REPORTER)
    if ticket.rating is None:
        raise NotAllowed(rule(Permission.TICKET_CONFIRM).refusal)
    if text is None:
        return False
    ticket.rating_comment = text.strip()[:500] or None
    return True


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
