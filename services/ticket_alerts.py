"""Who hears about a ticket, and when: a new (or reopened) ticket alerts the compound's staff,
and the liaison too when it is urgent (day or night); while a duty shift covers the moment, an
urgent ticket alerts the staff on duty instead of every staff member; an auto-assigned ticket
alerts its assignee first; an overdue ticket escalates to the liaison, then to the quality
supervisor (义务质量总监); the resident's side is told of every visible change. Also the
per-compound service levels that decide "overdue"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_
from models import OPEN_STATUSES, Compound, DutyShift, Resident, Role, Ticket, TicketEvent
from services import audit, notify
from services.actors import Actor
from services.errors import DomainError
from services.notify import Recipient
from services.policy import Permission, authorize, holders
from services.ticket_reading import followers, place_of, reachable

ALERT = "ticket.alert"  # to staff, the liaison or the quality supervisor, with "Open ticket"
FOLLOWED = "ticket.followed"  # an urgent ticket's follower's own words, to whoever it alerts
CHANGED = "ticket.changed"  # to the reporter, the filer and the followers


class Level(IntEnum):
    """What an alert is about; an escalation's level is stored on the ticket (once each)."""

    NEW = 0  # a new or reopened ticket, for the staff (and the liaison when urgent)
    OVERDUE = 1  # for the liaison
    SUPERVISOR = 2  # still overdue, for the quality supervisor


@dataclass
class Change:
    ticket: Ticket
    event: TicketEvent


def _merge(*groups: list[Resident]) -> list[Recipient]:
    found = {p.id: p for group in groups for p in group}
    return [Recipient.of(found[k]) for k in sorted(k for k in found if k is not None)]


async def _alert(
    session: AsyncSession,
    ticket: Ticket,
    level: int,
    people: list[Recipient],
    *,
    now: datetime,
    purpose: str | None = None,
    repeat: int = 0,
) -> None:
    notify.tell(
        session,
        purpose or f"ticket:{ticket.id}:alert:{int(level)}",
        ALERT,
        people,
        now=now,
        emergency=ticket.urgent,
        ticket=ticket,
        level=int(level),
        place=await place_of(session, ticket),
        offer=level == Level.NEW and await offered(session, ticket),
        repeat=repeat,
    )


async def offered(session: AsyncSession, ticket: Ticket) -> bool:
    """Whether staff are offered the ticket to take (抢单): the compound offers tickets and it
    has no assignee yet."""
    if ticket.assignee_id is not None or ticket.status not in OPEN_STATUSES:
        return False
    compound = await session.get(Compound, ticket.compound_id)
    return bool(compound and compound.ticket_offers)


async def on_duty(session: AsyncSession, compound_id: int, now: datetime) -> set[int]:
    """The staff whose duty shift covers this moment (none: no shift, everyone hears)."""
    return set(
        (
            await session.exec(
                select(col(DutyShift.resident_id))
                .where(col(DutyShift.compound_id) == compound_id)
                .where(col(DutyShift.starts_at) <= now)
                .where(col(DutyShift.ends_at) > now)
            )
        ).all()
    )


async def _office(session: AsyncSession, ticket: Ticket, *, now: datetime) -> list[Recipient]:
    """Who is alerted of a new ticket: its assignee when it has one; the compound's staff (when
    urgent and a duty shift covers the moment: the staff on duty) unless an ordinary ticket is
    already assigned; and the liaison, always, when it is urgent."""
    staff = await holders(session, Permission.TICKET_WORK, ticket.compound_id, {Role.STAFF})
    assignee = [p for p in staff if p.id == ticket.assignee_id]
    if not ticket.urgent:
        return _merge(assignee or staff)
    duty = await on_duty(session, ticket.compound_id, now)
    if duty:
        staff = [p for p in staff if p.id in duty]
    liaison = await holders(session, Permission.TICKET_VIEW, ticket.compound_id, {Role.LIAISON})
    return _merge(assignee, staff, liaison)


async def alert_new(session: AsyncSession, ticket: Ticket, *, now: datetime) -> None:
    """A ticket was reported."""
    await _alert(session, ticket, Level.NEW, await _office(session, ticket, now=now), now=now)


async def repeat_urgent(
    session: AsyncSession, ticket: Ticket, repeat: int, *, now: datetime
) -> None:
    """An urgent ticket nobody has acknowledged yet: its alert again (once per repeat number), to
    whoever it would alert now (the shift may have changed)."""
    await _alert(
        session,
        ticket,
        Level.NEW,
        await _office(session, ticket, now=now),
        now=now,
        purpose=f"ticket:{ticket.id}:urgent:{repeat}",
        repeat=repeat,
    )


async def alert_followed(session: AsyncSession, change: Change, *, now: datetime) -> None:
    """A neighbour followed an urgent ticket instead of filing another: whoever the ticket alerts
    hears of it with the neighbour's own words (once per follower)."""
    ticket = change.ticket
    notify.tell(
        session,
        f"ticket:{ticket.id}:follow:{change.event.actor_id}",
        FOLLOWED,
        await _office(session, ticket, now=now),
        now=now,
        emergency=ticket.urgent,
        ticket=ticket,
        event=change.event,
        place=await place_of(session, ticket),
    )


async def alert_reopened(session: AsyncSession, change: Change, *, now: datetime) -> None:
    """The resident reopened a fix: the staff hear of it as of a new ticket (once per reopening)."""
    notify.tell(
        session,
        f"ticket:{change.ticket.id}:reopened:{change.event.id}",
        ALERT,
        await _office(session, change.ticket, now=now),
        now=now,
        emergency=change.ticket.urgent,
        ticket=change.ticket,
        level=int(Level.NEW),
        place=await place_of(session, change.ticket),
        offer=await offered(session, change.ticket),
        repeat=0,
    )


async def tell_residents(
    session: AsyncSession, change: Change, *, now: datetime, exclude: int | None = None
) -> None:
    """The reporter, the liaison who filed it and the followers hear of a visible change (not
    the one who made it)."""
    if not change.event.visible:
        return
    ticket = change.ticket
    ids = {ticket.reporter_id, *await followers(session, ticket.id)}
    if ticket.filed_by_id is not None:
        ids.add(ticket.filed_by_id)
    if exclude is not None:
        ids.discard(exclude)
    people = [Recipient.of(p, ticket.household_id) for p in await reachable(session, ids)]
    notify.tell(
        session,
        f"ticket:{ticket.id}:event:{change.event.id}",
        CHANGED,
        people,
        now=now,
        emergency=ticket.urgent,
        ticket=ticket,
        event=change.event,
    )


# --- service levels ---------------------------------------------------------------------------
def due_level(ticket: Ticket, compound: Compound, now: datetime) -> int:
    """Level 1 when the response or the handling target is missed; level 2 past the supervisor's
    threshold."""
    created = ticket.created_at
    if now >= created + timedelta(hours=compound.sla_supervisor_hours):
        return Level.SUPERVISOR
    if now >= created + timedelta(hours=compound.sla_handling_hours):
        return Level.OVERDUE
    if ticket.acknowledged_at is None and now >= created + timedelta(
        minutes=compound.sla_response_minutes
    ):
        return Level.OVERDUE
    return Level.NEW


async def escalate_overdue(session: AsyncSession, *, now: datetime) -> int:
    """Escalate every open ticket that is due: each level once, as the stored level says."""
    rows = (
        await session.exec(
            select(Ticket, Compound)
            .join(Compound, col(Compound.id) == col(Ticket.compound_id))
            .where(col(Ticket.status).in_(OPEN_STATUSES))
            .where(col(Ticket.escalation_level) < Level.SUPERVISOR)
            .order_by(col(Ticket.id))
        )
    ).all()
    escalated = 0
    for ticket, compound in rows:
        level = due_level(ticket, compound, now)
        while ticket.escalation_level < level:
            ticket.escalation_level += 1
            only = Role.LIAISON if ticket.escalation_level == Level.OVERDUE else Role.SUPERVISOR
            people = await holders(session, Permission.TICKET_VIEW, ticket.compound_id, {only})
            await _alert(session, ticket, ticket.escalation_level, _merge(people), now=now)
            escalated += 1
    return escalated


async def configure_service_levels(
    session: AsyncSession,
    actor: Actor | None,
    compound_id: int,
    *,
    now: datetime,
    response_minutes: int | None = None,
    handling_hours: int | None = None,
    supervisor_hours: int | None = None,
    auto_confirm_days: int | None = None,
) -> Compound:
    """Per-compound targets; the quality supervisor's threshold must come after the handling one."""
    await authorize(session, actor, Permission.TICKET_SERVICE_LEVELS, compound_id)
    compound = await session.get(Compound, compound_id)
    assert compound is not None
    if response_minutes is not None:
        compound.sla_response_minutes = response_minutes
    if handling_hours is not None:
        compound.sla_handling_hours = handling_hours
    if supervisor_hours is not None:
        compound.sla_supervisor_hours = supervisor_hours
    if auto_confirm_days is not None:
        compound.auto_confirm_days = auto_confirm_days
    targets = (compound.sla_response_minutes, compound.sla_handling_hours)
    if min(*targets, compound.auto_confirm_days) < 1:
        raise DomainError(N_("Service levels must be at least 1."))
    if compound.sla_supervisor_hours <= compound.sla_handling_hours:
        raise DomainError(N_("The supervisor threshold must be longer than the handling target."))
    audit.record(
        session,
        at=now,
        actor_id=actor.resident_id if actor else None,
        action="compound.service_levels",
        subject_type="compound",
        subject_id=compound.id,
        response_minutes=compound.sla_response_minutes,
        handling_hours=compound.sla_handling_hours,
        supervisor_hours=compound.sla_supervisor_hours,
        auto_confirm_days=compound.auto_confirm_days,
    )
    return compound
