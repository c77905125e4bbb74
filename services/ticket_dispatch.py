"""Dispatch (派单) per compound: the ticket settings an office configures (the 24-hour duty phone,
how often an unacknowledged urgent alert repeats, whether staff take tickets, 抢单), the
auto-assignment rules by category and building, taking an offered ticket, and the duty rota."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_
from models import (
    OPEN_STATUSES,
    Building,
    Compound,
    DutyShift,
    Resident,
    Role,
    Ticket,
    TicketCategory,
    TicketDispatchRule,
    TicketEvent,
)
from services import audit, ticket_alerts
from services.actors import Actor
from services.errors import DomainError, NotFound
from services.policy import Permission, authorize, holders
from services.ticket_alerts import Change
from services.ticket_reading import visible_ticket

MAX_REPEAT_MINUTES = 24 * 60
MAX_SHIFT_HOURS = 7 * 24


# --- settings -----------------------------------------------------------------------------------
async def configure(
    session: AsyncSession,
    actor: Actor | None,
    compound_id: int,
    *,
    now: datetime,
    duty_phone: str | None = None,
    repeat_minutes: int | None = None,
    offers: bool | None = None,
) -> Compound:
    """The duty phone ("" clears it), the urgent repeat interval and the offer mode (抢单)."""
    await authorize(session, actor, Permission.TICKET_SERVICE_LEVELS, compound_id)
    compound = await session.get(Compound, compound_id)
    assert compound is not None
    if duty_phone is not None:
        phone = duty_phone.strip()
        if (phone and not all(c.isdigit() or c in "+-() " for c in phone)) or len(phone) > 30:
            raise DomainError(N_("A phone number has digits (and + - ( ) or spaces) only."))
        compound.duty_phone = phone or None
    if repeat_minutes is not None:
        if not 1 <= repeat_minutes <= MAX_REPEAT_MINUTES:
            raise DomainError(
                N_("Urgent alerts repeat every 1 to {limit} minutes."), limit=MAX_REPEAT_MINUTES
            )
        compound.urgent_repeat_minutes = repeat_minutes
    if offers is not None:
        compound.ticket_offers = offers
    audit.record(
        session,
        at=now,
        actor_id=actor.resident_id if actor else None,
        action="compound.ticket_settings",
        subject_type="compound",
        subject_id=compound.id,
        duty_phone=compound.duty_phone,
        repeat_minutes=compound.urgent_repeat_minutes,
        offers=compound.ticket_offers,
    )
    return compound


async def staff_member(session: AsyncSession, compound_id: int, who: str) -> Resident:
    """A staff member of the compound, by Telegram id or by name (CLI arguments)."""
    staff = await holders(session, Permission.TICKET_WORK, compound_id, {Role.STAFF})
    who = who.strip()
    found = [p for p in staff if str(p.telegram_id) == who or p.display_name == who]
    if len(found) != 1:
        raise NotFound(N_("No staff member {name} in this compound."), name=who)
    return found[0]


# --- auto-assignment rules ----------------------------------------------------------------------
@dataclass(frozen=True)
class DispatchRule:
    """A rule as the office reads it: by names."""

    id: int
    category: str | None
    building: str | None
    assignee: str


async def set_rule(
    session: AsyncSession,
    actor: Actor | None,
    compound_id: int,
    *,
    assignee_id: int | None,
    category: str | None = None,
    building_id: int | None = None,
    now: datetime,
) -> None:
    """A ticket of this category (any when None) in this building (any when None) goes to the
    assignee; an existing rule for the same pair is replaced (None as assignee removes it)."""
    await authorize(session, actor, Permission.TICKET_SERVICE_LEVELS, compound_id)
    if category is not None and category not in {c.value for c in TicketCategory}:
        raise DomainError(N_("Unknown category {name}."), name=category)
    if building_id is not None:
        building = await session.get(Building, building_id)
        if building is None or building.compound_id != compound_id:
            raise DomainError(N_("Choose a building of your compound."))
    if assignee_id is not None:
        staff = await holders(session, Permission.TICKET_WORK, compound_id, {Role.STAFF})
        if assignee_id not in {p.id for p in staff}:
            raise DomainError(N_("Choose a staff member of this compound."))
    existing = (
        await session.exec(
            select(TicketDispatchRule)
            .where(col(TicketDispatchRule.compound_id) == compound_id)
            .where(_is(col(TicketDispatchRule.category), category))
            .where(_is(col(TicketDispatchRule.building_id), building_id))
        )
    ).all()
    for rule in existing:
        await session.delete(rule)
    if assignee_id is not None:
        session.add(
            TicketDispatchRule(
                compound_id=compound_id,
                category=category,
                building_id=building_id,
                assignee_id=assignee_id,
            )
        )
    audit.record(
        session,
        at=now,
        actor_id=actor.resident_id if actor else None,
        action="compound.dispatch_rule",
        subject_type="compound",
        subject_id=compound_id,
        category=category,
        building=building_id,
        assignee=assignee_id,
    )
    await session.flush()


def _is(column: Any, value: object) -> sa.ColumnElement[bool]:
    result: sa.ColumnElement[bool] = column.is_(None) if value is None else column == value
    return result


async def rules(session: AsyncSession, compound_id: int) -> list[DispatchRule]:
    rows = (
        await session.exec(
            select(TicketDispatchRule, Resident, Building)
            .join(Resident, col(Resident.id) == col(TicketDispatchRule.assignee_id))
            .outerjoin(Building, col(Building.id) == col(TicketDispatchRule.building_id))
            .where(col(TicketDispatchRule.compound_id) == compound_id)
            .order_by(col(TicketDispatchRule.id))
        )
    ).all()
    return [
        DispatchRule(
            rule.id or 0,
            rule.category,
            building.name if building else None,
            person.display_name or str(person.id),
        )
        for rule, person, building in rows
    ]


async def rule_for(session: AsyncSession, ticket: Ticket) -> int | None:
    """The assignee of the most specific rule that matches: category and building, then the
    building, then the category; None when no rule matches."""
    found = (
        await session.exec(
            select(TicketDispatchRule)
            .where(col(TicketDispatchRule.compound_id) == ticket.compound_id)
            .where(
                col(TicketDispatchRule.category).is_(None)
                | (col(TicketDispatchRule.category) == ticket.category)
            )
            .where(
                col(TicketDispatchRule.building_id).is_(None)
                | (col(TicketDispatchRule.building_id) == ticket.building_id)
            )
        )
    ).all()
    staff = {
        p.id
        for p in await holders(session, Permission.TICKET_WORK, ticket.compound_id, {Role.STAFF})
    }
    ranked = sorted(
        (r for r in found if r.assignee_id in staff),  # a rule for someone who left is ignored
        key=lambda r: (r.building_id is None, r.category is None, r.id),
    )
    return ranked[0].assignee_id if ranked else None


async def auto_assign(session: AsyncSession, ticket: Ticket, *, now: datetime) -> bool:
    """A new ticket a rule matches is assigned at once (an "assign" event, by nobody)."""
    assignee = await rule_for(session, ticket)
    if assignee is None or ticket.id is None:
        return False
    ticket.assignee_id = assignee
    session.add(
        TicketEvent(
            ticket_id=ticket.id,
            at=now,
            kind="assign",
            data={"assignee": assignee, "rule": True},
            visible=False,
        )
    )
    audit.record(
        session,
        at=now,
        actor_id=None,
        action="ticket.assign",
        subject_type="ticket",
        subject_id=ticket.id,
        assignee=assignee,
        rule=True,
    )
    await session.flush()
    return True


@dataclass(frozen=True)
class Taken:
    """A ticket taken from an offer (抢单), and whether this press took it (or it was already
    the presser's)."""

    ticket: Ticket
    now_taken: bool


async def take(session: AsyncSession, actor: Actor, ticket_id: int, *, now: datetime) -> Taken:
    """抢单: the first staff member to press "Take it" becomes the assignee; whoever presses
    later hears who has it. The assignee is set only while it is empty, in one UPDATE, so two
    presses at the same moment cannot both win."""
    ticket = await visible_ticket(session, actor, ticket_id)
    await authorize(session, actor, Permission.TICKET_WORK, ticket.compound_id)
    assert ticket.id is not None and actor.resident_id is not None
    if ticket.status not in OPEN_STATUSES:
        raise DomainError(N_("That ticket is already closed."))
    if ticket.assignee_id is None:
        result = await session.exec(
            update(Ticket)
            .where(col(Ticket.id) == ticket.id)
            .where(col(Ticket.assignee_id).is_(None))
            .values(assignee_id=actor.resident_id)
        )
        await session.refresh(ticket)
        if result.rowcount == 1:
            event = TicketEvent(
                ticket_id=ticket.id,
                at=now,
                actor_id=actor.resident_id,
                kind="assign",
                data={"assignee": actor.resident_id, "taken": True},
            )
            session.add(event)
            audit.record(
                session,
                at=now,
                actor_id=actor.resident_id,
                action="ticket.take",
                subject_type="ticket",
                subject_id=ticket.id,
            )
            await session.flush()
            await ticket_alerts.tell_residents(
                session, Change(ticket, event), now=now, exclude=actor.resident_id
            )
            return Taken(ticket, True)
    if ticket.assignee_id == actor.resident_id:
        return Taken(ticket, False)
    holder = await session.get(Resident, ticket.assignee_id) if ticket.assignee_id else None
    raise DomainError(
        N_("Ticket #{id} is already taken by {name}."),
        id=ticket.id,
        name=(holder.display_name if holder else "") or "?",
    )


# --- the duty rota ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Shift:
    name: str
    starts_at: datetime
    ends_at: datetime


async def add_shift(
    session: AsyncSession,
    actor: Actor | None,
    compound_id: int,
    resident_id: int,
    starts_at: datetime,
    ends_at: datetime,
    *,
    now: datetime,
) -> None:
    """Someone is on duty from `starts_at` to `ends_at` (at most a week at a time)."""
    await authorize(session, actor, Permission.TICKET_SERVICE_LEVELS, compound_id)
    if not starts_at < ends_at:
        raise DomainError(N_("A shift must end after it starts."))
    if (ends_at - starts_at).total_seconds() > MAX_SHIFT_HOURS * 3600:
        raise DomainError(N_("A shift is at most a week long."))
    staff = await holders(session, Permission.TICKET_WORK, compound_id, {Role.STAFF})
    if resident_id not in {p.id for p in staff}:
        raise DomainError(N_("Choose a staff member of this compound."))
    session.add(
        DutyShift(
            compound_id=compound_id, resident_id=resident_id, starts_at=starts_at, ends_at=ends_at
        )
    )
    audit.record(
        session,
        at=now,
        actor_id=actor.resident_id if actor else None,
        action="compound.duty_shift",
        subject_type="compound",
        subject_id=compound_id,
        resident=resident_id,
        starts_at=starts_at.isoformat(),
        ends_at=ends_at.isoformat(),
    )
    await session.flush()


async def shifts(session: AsyncSession, compound_id: int, *, now: datetime) -> list[Shift]:
    """The compound's current and coming shifts, soonest first."""
    rows = (
        await session.exec(
            select(DutyShift, Resident)
            .join(Resident, col(Resident.id) == col(DutyShift.resident_id))
            .where(col(DutyShift.compound_id) == compound_id)
            .where(col(DutyShift.ends_at) > now)
            .order_by(col(DutyShift.starts_at), col(DutyShift.id))
        )
    ).all()
    return [
        Shift(person.display_name or str(person.id), shift.starts_at, shift.ends_at)
        for shift, person in rows
    ]
