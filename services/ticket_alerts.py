"""Who hears about a ticket, and when: a new (or reopened) ticket alerts the compound's staff,
and the liaison too when it is urgent (day or night); while a duty shift covers the moment, an
urgent ticket alerts the staff on duty instead of every staff member; an auto-assigned ticket
alerts its assignee first; overdue tickets escalate to the liaison, then to the quality
supervisor (义务质量总监), in one digest per person and run that also goes to the assignee and
the staff; the resident's side is told of every visible change. Also the
per-compound service levels that decide "overdue"."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_
from models import OPEN_STATUSES, Compound, DutyShift, Resident, Role, Ticket, TicketEvent, pk
from services import audit, notify
from services.actors import Actor
from services.errors import DomainError
from services.notify import Recipient
from services.policy import Permission, authorize, holders
from services.ticket_reading import TicketPlace, deadline, followers, place_of, reachable

ALERT = "ticket.alert"  # to staff, the liaison or the quality supervisor, with "Open ticket"
FOLLOWED = "ticket.followed"  # an urgent ticket's follower's own words, to whoever it alerts
CHANGED = "ticket.changed"  # to the reporter, the filer and the followers
DIGEST = "ticket.digest"  # the tickets one escalation run escalated, to each person concerned


class Level(IntEnum):
    """What an alert is about; an escalation's level is stored on the ticket (once each)."""

    NEW = 0  # a new or reopened ticket, for the staff (and the liaison when urgent)
    OVERDUE = 1  # for the liaison
    SUPERVISOR = 2  # still overdue, for the quality supervisor


@dataclass
class Change:
    ticket: Ticket
    event: TicketEvent


@dataclass(frozen=True)
class Overdue:
    """A ticket in an escalation digest: the level it reached and the deadline it missed."""

    ticket: Ticket
    level: int
    due: datetime
    place: TicketPlace


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


async def alerted(session: AsyncSession, ticket: Ticket, *, now: datetime) -> list[Recipient]:
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
    await _alert(session, ticket, Level.NEW, await alerted(session, ticket, now=now), now=now)


async def repeat_urgent(
    session: AsyncSession, ticket: Ticket, repeat: int, *, now: datetime
) -> None:
    """An urgent ticket nobody has acknowledged yet: its alert again (once per repeat number), to
    whoever it would alert now (the shift may have changed)."""
    await _alert(
        session,
        ticket,
        Level.NEW,
        await alerted(session, ticket, now=now),
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
        await alerted(session, ticket, now=now),
        now=now,
        emergency=ticket.urgent,
        ticket=ticket,
        event=change.event,
        place=await place_of(session, ticket),
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
    if now >= ticket.created_at + timedelta(hours=compound.sla_supervisor_hours):
        return Level.SUPERVISOR
    due = deadline(ticket, compound)
    if due is not None and now >= due:
        return Level.OVERDUE
    return Level.NEW


class _Escalation:
    """Who an escalation run reaches, and with which tickets: one digest per person."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.people: dict[int, Resident] = {}
        self.tickets: dict[int, dict[int, Overdue]] = {}  # person -> ticket id -> entry
        self.workers: set[int] = set()  # people who work on tickets (they have /tickets)
        self._holders: dict[tuple[Permission, int, Role | None], list[Resident]] = {}

    async def holders(
        self, permission: Permission, compound_id: int, only: Role | None = None
    ) -> list[Resident]:
        key = (permission, compound_id, only)
        if key not in self._holders:
            roles = None if only is None else {only}
            self._holders[key] = await holders(self.session, permission, compound_id, roles)
        return self._holders[key]

    async def reached(self, ticket: Ticket, level: int) -> list[Resident]:
        """The liaison at level 1, the quality supervisor at level 2; the compound's staff and
        the assignee at each level. All of them may open the ticket (TICKET_VIEW)."""
        only = Role.LIAISON if level == Level.OVERDUE else Role.SUPERVISOR
        office = await self.holders(Permission.TICKET_VIEW, ticket.compound_id, only)
        staff = await self.holders(Permission.TICKET_WORK, ticket.compound_id, Role.STAFF)
        workers = await self.holders(Permission.TICKET_WORK, ticket.compound_id)
        assignee = [p for p in workers if p.id == ticket.assignee_id]
        self.workers.update(pk(p) for p in staff + assignee)
        return office + staff + assignee

    def add(self, people: list[Resident], entry: Overdue) -> None:
        for person in people:
            self.people[pk(person)] = person
            self.tickets.setdefault(pk(person), {})[pk(entry.ticket)] = entry

    def send(self, *, now: datetime) -> None:
        """One digest per person; people with the same tickets share one rendering. The purpose
        key names the escalated (ticket, level) pairs, so a run repeated sends nothing new."""
        groups: dict[tuple[tuple[tuple[int, int], ...], bool], list[int]] = {}
        for person, found in self.tickets.items():
            pairs = tuple(sorted((t, e.level) for t, e in found.items()))
            groups.setdefault((pairs, person in self.workers), []).append(person)
        for (pairs, queue), people in groups.items():
            entries = sorted(
                self.tickets[people[0]].values(),
                key=lambda e: (not e.ticket.urgent, e.due, pk(e.ticket)),
            )
            digest = hashlib.sha256(repr(pairs).encode()).hexdigest()[:24]
            notify.tell(
                self.session,
                f"ticket:digest:{digest}",
                DIGEST,
                [Recipient.of(self.people[p]) for p in sorted(people)],
                now=now,
                emergency=any(e.ticket.urgent for e in entries),
                entries=entries,
                at=now,
                queue=queue,
            )


async def escalate_overdue(session: AsyncSession, *, now: datetime) -> int:
    """Escalate every open ticket that is due, each level once as the stored level says, and
    send each person reached one digest of their escalated tickets. The number of escalations."""
    rows = (
        await session.exec(
            select(Ticket, Compound)
            .join(Compound, col(Compound.id) == col(Ticket.compound_id))
            .where(col(Ticket.status).in_(OPEN_STATUSES))
            .where(col(Ticket.escalation_level) < Level.SUPERVISOR)
            .order_by(col(Ticket.id))
        )
    ).all()
    run = _Escalation(session)
    escalated = 0
    for ticket, compound in rows:
        level = due_level(ticket, compound, now)
        if ticket.escalation_level >= level:
            continue
        people: list[Resident] = []
        while ticket.escalation_level < level:
            ticket.escalation_level += 1
            escalated += 1
            session.add(
                TicketEvent(
                    ticket_id=pk(ticket),
                    at=now,
                    kind="escalate",
                    visible=False,
                    data={"level": ticket.escalation_level},
                )
            )
            people += await run.reached(ticket, ticket.escalation_level)
        due = deadline(ticket, compound) or now
        run.add(
            people, Overdue(ticket, ticket.escalation_level, due, await place_of(session, ticket))
        )
    run.send(now=now)
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
