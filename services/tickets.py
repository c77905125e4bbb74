"""Tickets: the state machine, who may do what, duplicates, and notifications to residents."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_
from models import (
    OPEN_STATUSES,
    Building,
    Compound,
    Household,
    Resident,
    Role,
    RoleGrant,
    Ticket,
    TicketCategory,
    TicketEvent,
    TicketFollower,
    TicketPhoto,
    TicketStatus,
)
from services import audit, outbox
from services.actors import Actor
from services.errors import DomainError, NotAllowed, NotFound
from services.outbox import Outgoing, QuietHours
from services.places import compound_chain, compounds_for_roles

STAFF_ROLES = {Role.STAFF, Role.ADMIN}
FILING_ROLES = {Role.LIAISON}  # may file on behalf of a household (代办)
MAX_PHOTOS = 5
MAX_DESCRIPTION = 1000
DUPLICATE_WINDOW = timedelta(hours=24)


class TicketAction(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    START = "start"
    DONE = "done"
    CONFIRM = "confirm"
    REOPEN = "reopen"
    REJECT = "reject"
    CANCEL = "cancel"
    AUTO_CONFIRM = "auto_confirm"


S = TicketStatus
A = TicketAction
# (from, action) -> to. Anything else is refused.
TRANSITIONS: dict[tuple[str, str], str] = {
    (S.NEW, A.ACKNOWLEDGE): S.ACKNOWLEDGED,
    (S.REOPENED, A.ACKNOWLEDGE): S.ACKNOWLEDGED,
    (S.NEW, A.START): S.IN_PROGRESS,
    (S.ACKNOWLEDGED, A.START): S.IN_PROGRESS,
    (S.REOPENED, A.START): S.IN_PROGRESS,
    (S.ACKNOWLEDGED, A.DONE): S.DONE,
    (S.IN_PROGRESS, A.DONE): S.DONE,
    (S.REOPENED, A.DONE): S.DONE,
    (S.DONE, A.CONFIRM): S.CONFIRMED,
    (S.DONE, A.AUTO_CONFIRM): S.CONFIRMED,
    (S.DONE, A.REOPEN): S.REOPENED,
    (S.NEW, A.REJECT): S.REJECTED,
    (S.ACKNOWLEDGED, A.REJECT): S.REJECTED,
    (S.IN_PROGRESS, A.REJECT): S.REJECTED,
    (S.REOPENED, A.REJECT): S.REJECTED,
    (S.NEW, A.CANCEL): S.CANCELLED,
    (S.ACKNOWLEDGED, A.CANCEL): S.CANCELLED,
}
STAFF_ACTIONS = {A.ACKNOWLEDGE, A.START, A.DONE, A.REJECT}
REPORTER_ACTIONS = {A.CONFIRM, A.REOPEN, A.CANCEL}

STATUS_LABEL = {
    S.NEW: N_("new"),
    S.ACKNOWLEDGED: N_("acknowledged"),
    S.IN_PROGRESS: N_("in progress"),
    S.DONE: N_("done, waiting for your confirmation"),
    S.CONFIRMED: N_("confirmed"),
    S.REOPENED: N_("reopened"),
    S.REJECTED: N_("rejected"),
    S.CANCELLED: N_("cancelled"),
}
ACTION_LABEL = {
    A.ACKNOWLEDGE: N_("acknowledge"),
    A.START: N_("start work on"),
    A.DONE: N_("mark as done"),
    A.CONFIRM: N_("confirm"),
    A.REOPEN: N_("reopen"),
    A.REJECT: N_("reject"),
    A.CANCEL: N_("cancel"),
    A.AUTO_CONFIRM: N_("confirm"),
}


def next_status(status: str, action: str) -> str:
    """The state machine: the new status, or a DomainError naming what is not possible."""
    try:
        return TRANSITIONS[(TicketStatus(status), TicketAction(action))]
    except (KeyError, ValueError):
        raise DomainError(
            N_("A ticket that is {status} cannot be given the action “{action}”."),
            status=STATUS_LABEL.get(status, status),
            action=ACTION_LABEL.get(action, action),
        ) from None


async def staff_compound_ids(session: AsyncSession, actor: Actor) -> set[int]:
    grants = [(g.role, g.scope_kind, g.scope_id) for g in actor.roles]
    return {
        c.id for c in await compounds_for_roles(session, grants, {r.value for r in STAFF_ROLES})
    }


async def visible_ticket(session: AsyncSession, actor: Actor, ticket_id: int) -> Ticket:
    """A ticket the actor may see: their own, their household's, one they follow, or their compound's as staff."""
    ticket = await session.get(Ticket, ticket_id)
    if ticket is not None and actor.resident_id is not None:
        if ticket.reporter_id == actor.resident_id or ticket.filed_by_id == actor.resident_id:
            return ticket
        if ticket.household_id in {t.household_id for t in actor.households}:
            return ticket
        if ticket.compound_id in await staff_compound_ids(session, actor):
            return ticket
        follows = await session.exec(
            select(TicketFollower.id)
            .where(TicketFollower.ticket_id == ticket.id)
            .where(TicketFollower.resident_id == actor.resident_id)
        )
        if follows.first() is not None:
            return ticket
    raise NotFound(N_("That ticket does not exist."))


@dataclass
class Change:
    ticket: Ticket
    event: TicketEvent


async def act(
    session: AsyncSession,
    actor: Actor,
    ticket_id: int,
    action: str,
    *,
    now: datetime,
    reason: str | None = None,
) -> Change:
    """Apply one action as this actor: permission, state machine, audit, event."""
    action = TicketAction(action)
    ticket = await visible_ticket(session, actor, ticket_id)
    if action in STAFF_ACTIONS:
        if ticket.compound_id not in await staff_compound_ids(session, actor):
            raise NotAllowed(N_("Only property staff of this compound can do that."))
    elif action in REPORTER_ACTIONS:
        if actor.resident_id not in (ticket.reporter_id, ticket.filed_by_id):
            raise NotAllowed(N_("Only the resident who reported this can do that."))
    else:
        raise NotAllowed(N_("Only property staff of this compound can do that."))
    if action == A.REJECT and not (reason or "").strip():
        raise DomainError(N_("Please give the reason for rejecting it."))
    return await move(session, ticket, action, actor_id=actor.resident_id, now=now, note=reason)


async def move(
    session: AsyncSession,
    ticket: Ticket,
    action: TicketAction,
    *,
    actor_id: int | None,
    now: datetime,
    note: str | None = None,
) -> Change:
    before = ticket.status
    ticket.status = next_status(before, action)
    if action == A.ACKNOWLEDGE and ticket.acknowledged_at is None:
        ticket.acknowledged_at = now
    if action == A.START and ticket.acknowledged_at is None:
        ticket.acknowledged_at = now
    if action == A.DONE:
        ticket.done_at = now
    if action == A.REOPEN:
        ticket.done_at = None
    if action == A.REJECT:
        ticket.reject_reason = (note or "")[:500]
    if ticket.status in (S.CONFIRMED, S.REJECTED, S.CANCELLED):
        ticket.closed_at = now
    event = TicketEvent(ticket_id=ticket.id, at=now, actor_id=actor_id, kind=action, from_status=before,
                        to_status=ticket.status, note=note)  # fmt: skip
    session.add(event)
    audit.record(session, at=now, actor_id=actor_id, action=f"ticket.{action}", subject_type="ticket",
                 subject_id=ticket.id, from_status=before, to_status=ticket.status)  # fmt: skip
    await session.flush()
    return Change(ticket, event)


# --- notifications ------------------------------------------------------------------------
# render(ticket, event, language) -> outbox payload
EventRenderer = Callable[[Ticket, TicketEvent, str], dict[str, Any]]


async def residents_to_notify(session: AsyncSession, ticket: Ticket) -> list[Resident]:
    """The reporter, the liaison who filed it, and followers, if they can be reached."""
    ids = {ticket.reporter_id} | ({ticket.filed_by_id} if ticket.filed_by_id else set())
    ids |= set(
        (
            await session.exec(
                select(TicketFollower.resident_id).where(TicketFollower.ticket_id == ticket.id)
            )
        ).all()
    )
    rows = await session.exec(
        select(Resident)
        .where(col(Resident.id).in_(ids))
        .where(col(Resident.telegram_id).is_not(None))
    )
    return list(rows.all())


async def notify(
    session: AsyncSession,
    change: Change,
    *,
    now: datetime,
    quiet: QuietHours | None,
    render: EventRenderer,
    exclude: int | None = None,
) -> int:
    """Tell the resident side about a visible change, through the outbox, once per event."""
    if not change.event.visible:
        return 0
    people = [p for p in await residents_to_notify(session, change.ticket) if p.id != exclude]
    messages = [
        Outgoing(chat_id=p.telegram_id, payload=render(change.ticket, change.event, p.language or ""), resident_id=p.id,
                 household_id=change.ticket.household_id, recipient_key=str(p.id))
        for p in people
    ]  # fmt: skip
    return await outbox.enqueue(
        session, f"ticket:{change.ticket.id}:event:{change.event.id}", messages, now=now, quiet=quiet,
        emergency=change.ticket.urgent,
    )  # fmt: skip


# --- reading ------------------------------------------------------------------------------
async def my_tickets(session: AsyncSession, actor: Actor, limit: int = 10) -> list[Ticket]:
    """Tickets of the actor's households, their own and those they follow; newest first."""
    if actor.resident_id is None:
        return []
    households = [t.household_id for t in actor.households]
    followed = select(TicketFollower.ticket_id).where(
        TicketFollower.resident_id == actor.resident_id
    )
    statement = (
        select(Ticket)
        .where(
            (Ticket.reporter_id == actor.resident_id)
            | (col(Ticket.household_id).in_(households))
            | (col(Ticket.id).in_(followed))
        )
        .order_by(col(Ticket.id).desc())
        .limit(limit)
    )
    return list((await session.exec(statement)).all())


async def history(session: AsyncSession, actor: Actor, ticket: Ticket) -> list[TicketEvent]:
    """Events the actor may see: internal notes only for staff of the compound."""
    staff = ticket.compound_id in await staff_compound_ids(session, actor)
    statement = (
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)
    )
    if not staff:
        statement = statement.where(TicketEvent.visible)
    return list((await session.exec(statement)).all())


async def photos(session: AsyncSession, ticket_id: int) -> list[TicketPhoto]:
    return list(
        (
            await session.exec(
                select(TicketPhoto)
                .where(TicketPhoto.ticket_id == ticket_id)
                .order_by(TicketPhoto.id)
            )
        ).all()
    )


async def open_tickets(
    session: AsyncSession,
    actor: Actor,
    *,
    category: str | None = None,
    urgent_only: bool = False,
    limit: int = 20,
) -> list[Ticket]:
    """Staff queue: open tickets of their compounds, urgent first, then oldest first."""
    compounds = await staff_compound_ids(session, actor)
    if not compounds:
        raise NotAllowed(N_("Only property staff of this compound can do that."))
    statement = (
        select(Ticket)
        .where(col(Ticket.compound_id).in_(compounds))
        .where(col(Ticket.status).in_(OPEN_STATUSES))
        .order_by(col(Ticket.urgent).desc(), Ticket.created_at, Ticket.id)
        .limit(limit)
    )
    if category:
        statement = statement.where(Ticket.category == TicketCategory(category))
    if urgent_only:
        statement = statement.where(Ticket.urgent)
    return list((await session.exec(statement)).all())


async def place_names(session: AsyncSession, ticket: Ticket) -> tuple[str, str | None]:
    """(compound, building) names of a ticket."""
    compound = await session.get(Compound, ticket.compound_id)
    building = await session.get(Building, ticket.building_id) if ticket.building_id else None
    return compound.name if compound else "?", building.name if building else None


async def household_of(session: AsyncSession, household_id: int | None) -> Household | None:
    return await session.get(Household, household_id) if household_id else None


async def follow(session: AsyncSession, actor: Actor, ticket_id: int, *, now: datetime) -> bool:
    """+1: follow an open ticket of one's own compound instead of filing a duplicate."""
    ticket = await session.get(Ticket, ticket_id)
    if (
        ticket is None
        or actor.resident_id is None
        or ticket.compound_id not in {t.compound_id for t in actor.households}
    ):
        raise NotFound(N_("That ticket does not exist."))
    if ticket.status not in OPEN_STATUSES:
        raise DomainError(N_("That ticket is already closed; please report the problem again."))
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    result = await session.exec(
        insert(TicketFollower)
        .values(ticket_id=ticket.id, resident_id=actor.resident_id, at=now)
        .on_conflict_do_nothing(index_elements=["ticket_id", "resident_id"])
    )
    return bool(result.rowcount)


async def follower_count(session: AsyncSession, ticket_id: int) -> int:
    return (
        await session.exec(
            select(func.count())
            .select_from(TicketFollower)
            .where(TicketFollower.ticket_id == ticket_id)
        )
    ).one()


async def role_holders(session: AsyncSession, compound_id: int, roles: set[str]) -> list[Resident]:
    """Reachable people holding one of these roles over the compound (directly or above it)."""
    chain = await compound_chain(session, compound_id)
    rows = await session.exec(
        select(RoleGrant.scope_kind, RoleGrant.scope_id, Resident)
        .join(Resident, Resident.id == RoleGrant.resident_id)
        .where(col(RoleGrant.role).in_(roles))
        .where(col(Resident.telegram_id).is_not(None))
        .where(col(Resident.consent_at).is_not(None))
    )
    found = {
        r.id: r
        for kind, scope_id, r in rows
        if chain is not None and chain.contains(kind, scope_id)
    }
    return [found[k] for k in sorted(found)]


# render(ticket, language, place, level) -> payload
AlertRenderer = Callable[[Ticket, str, str, int], dict[str, Any]]


async def alert(
    session: AsyncSession,
    ticket: Ticket,
    *,
    level: int,
    now: datetime,
    quiet: QuietHours | None,
    render: AlertRenderer,
    key: str | None = None,
) -> int:
    """New ticket (level 0) to staff, and the liaison too when urgent; overdue (1) to the liaison,
    still overdue (2) to the quality supervisor. Once per ticket and level; urgent ignores quiet hours."""
    if level == 0:
        roles = {Role.STAFF} | ({Role.LIAISON} if ticket.urgent else set())
    elif level == 1:
        roles = {Role.LIAISON}
    else:
        roles = {Role.SUPERVISOR}
    compound, building = await place_names(session, ticket)
    place = " ".join(p for p in (compound, building) if p)
    people = await role_holders(session, ticket.compound_id, {r.value for r in roles})
    messages = [
        Outgoing(chat_id=p.telegram_id, payload=render(ticket, p.language or "", place, level), resident_id=p.id,
                 recipient_key=str(p.id))
        for p in people
    ]  # fmt: skip
    return await outbox.enqueue(
        session,
        f"ticket:{ticket.id}:alert:{level}",
        messages,
        now=now,
        quiet=quiet,
        emergency=ticket.urgent,
    )


async def colleagues(session: AsyncSession, actor: Actor, ticket_id: int) -> list[Resident]:
    ticket = await visible_ticket(session, actor, ticket_id)
    if ticket.compound_id not in await staff_compound_ids(session, actor):
        raise NotAllowed(N_("Only property staff of this compound can do that."))
    return await role_holders(session, ticket.compound_id, {Role.STAFF.value})


async def assign(
    session: AsyncSession, actor: Actor, ticket_id: int, assignee_id: int, *, now: datetime
) -> Change:
    ticket = await visible_ticket(session, actor, ticket_id)
    staff = {r.id for r in await colleagues(session, actor, ticket_id)}
    if assignee_id not in staff:
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
    audit.record(session, at=now, actor_id=actor.resident_id, action="ticket.assign", subject_type="ticket",
                 subject_id=ticket.id, assignee=assignee_id)  # fmt: skip
    await session.flush()
    return Change(ticket, event)


async def add_note(
    session: AsyncSession, actor: Actor, ticket_id: int, text: str, *, visible: bool, now: datetime
) -> Change:
    ticket = await visible_ticket(session, actor, ticket_id)
    if ticket.compound_id not in await staff_compound_ids(session, actor):
        raise NotAllowed(N_("Only property staff of this compound can do that."))
    text = (text or "").strip()
    if not text:
        raise DomainError(N_("Please write the note as text."))
    event = TicketEvent(
        ticket_id=ticket.id,
        at=now,
        actor_id=actor.resident_id,
        kind="note",
        note=text[:1000],
        visible=visible,
    )
    session.add(event)
    await session.flush()
    return Change(ticket, event)


async def add_after_photo(
    session: AsyncSession, actor: Actor, ticket_id: int, file_id: str, *, now: datetime
) -> None:
    ticket = await visible_ticket(session, actor, ticket_id)
    if ticket.compound_id not in await staff_compound_ids(session, actor):
        raise NotAllowed(N_("Only property staff of this compound can do that."))
    session.add(
        TicketPhoto(
            ticket_id=ticket.id, file_id=file_id, after=True, added_by=actor.resident_id, at=now
        )
    )
    session.add(
        TicketEvent(
            ticket_id=ticket.id, at=now, actor_id=actor.resident_id, kind="photo", visible=True
        )
    )


async def rate(
    session: AsyncSession, actor: Actor, ticket_id: int, stars: int, *, now: datetime
) -> Ticket:
    ticket = await visible_ticket(session, actor, ticket_id)
    if actor.resident_id not in (ticket.reporter_id, ticket.filed_by_id):
        raise NotAllowed(N_("Only the resident who reported this can do that."))
    if ticket.status != TicketStatus.CONFIRMED:
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
    return ticket


async def comment(session: AsyncSession, actor: Actor, ticket_id: int, text: str) -> Ticket:
    ticket = await visible_ticket(session, actor, ticket_id)
    if actor.resident_id not in (ticket.reporter_id, ticket.filed_by_id) or ticket.rating is None:
        raise NotAllowed(N_("Only the resident who reported this can do that."))
    ticket.rating_comment = (text or "").strip()[:500] or None
    return ticket


async def configure_service_levels(
    session: AsyncSession,
    compound_id: int,
    *,
    now: datetime,
    response_minutes: int | None = None,
    handling_hours: int | None = None,
    supervisor_hours: int | None = None,
    auto_confirm_days: int | None = None,
) -> Compound:
    """Per-compound targets; the quality supervisor's threshold must come after the handling one."""
    compound = await session.get(Compound, compound_id)
    if response_minutes is not None:
        compound.sla_response_minutes = response_minutes
    if handling_hours is not None:
        compound.sla_handling_hours = handling_hours
    if supervisor_hours is not None:
        compound.sla_supervisor_hours = supervisor_hours
    if auto_confirm_days is not None:
        compound.auto_confirm_days = auto_confirm_days
    if (
        min(compound.sla_response_minutes, compound.sla_handling_hours, compound.auto_confirm_days)
        < 1
    ):
        raise DomainError(N_("Service levels must be at least 1."))
    if compound.sla_supervisor_hours <= compound.sla_handling_hours:
        raise DomainError(N_("The supervisor threshold must be longer than the handling target."))
    audit.record(session, at=now, actor_id=None, action="compound.service_levels", subject_type="compound",
                 subject_id=compound.id, response_minutes=compound.sla_response_minutes,
                 handling_hours=compound.sla_handling_hours, supervisor_hours=compound.sla_supervisor_hours,
                 auto_confirm_days=compound.auto_confirm_days)  # fmt: skip
    return compound


async def require_staff(
    session: AsyncSession, actor: Actor, ticket_id: int, action: str | None = None
) -> Ticket:
    """The ticket, if the actor is staff of its compound (and, given an action, it is possible now)."""
    ticket = await visible_ticket(session, actor, ticket_id)
    if ticket.compound_id not in await staff_compound_ids(session, actor):
        raise NotAllowed(N_("Only property staff of this compound can do that."))
    if action is not None:
        next_status(ticket.status, action)
    return ticket


async def viewer(session: AsyncSession, actor: Actor, ticket: Ticket) -> tuple[bool, bool]:
    """(is staff of the ticket's compound, is its reporter): which buttons the card offers."""
    staff = ticket.compound_id in await staff_compound_ids(session, actor)
    return staff, actor.resident_id in (ticket.reporter_id, ticket.filed_by_id)
