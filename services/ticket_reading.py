"""Reading tickets: who may open one (the policy's TICKET_VIEW), what its card shows and offers
the viewer (the reporter's name and phone to the compound's staff only, audited), its history with
who did what, a resident's tickets, and a ticket's deadline under the compound's service levels."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_
from models import (
    OPEN_STATUSES,
    Building,
    Compound,
    Household,
    Membership,
    PlaceKind,
    Resident,
    Ticket,
    TicketEvent,
    TicketFollower,
    TicketPhoto,
)
from services import audit
from services.actors import Actor
from services.errors import NotFound
from services.policy import Permission, allowed, authorize
from services.ticket_rules import FollowUp, actions_for

MISSING = N_("That ticket does not exist.")


@dataclass(frozen=True)
class TicketPlace:
    """Where a ticket is, as it was reported: the home (building, unit and room, by the
    roster's names), a building (maybe a unit and a floor), a common area, or a location."""

    compound: str
    building: str | None = None
    room: str | None = None
    kind: str = PlaceKind.HOME
    unit: str | None = None
    floor: int | None = None
    area: str | None = None
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class Contact:
    """Whom to call about a ticket: the reporter's name and phone (staff of the compound only)."""

    name: str
    phone: str | None


@dataclass(frozen=True)
class TicketCard:
    """A ticket as one viewer sees it: the actions are the ones this viewer may take now; the
    office (staff, liaison, supervisor) also sees the assignee and the deadline, and the
    compound's staff the reporter's contact."""

    ticket: Ticket
    place: TicketPlace
    photos: int
    followers: int
    actions: list[str]
    now: datetime | None = None  # when it was read: the age and how late it is
    reporter: Contact | None = None
    assignee: str | None = None
    deadline: datetime | None = None  # while open: respond until acknowledged, then handle


class By(StrEnum):
    """Who made a change, as the history names them."""

    SYSTEM = "system"  # the scheduler
    REPORTER = "reporter"  # the reporter, or the liaison who filed it (代办)
    RESIDENT = "resident"  # a follower or another member of the home
    STAFF = "staff"  # the office, by name


@dataclass(frozen=True)
class HistoryEntry:
    event: TicketEvent
    by: By
    name: str | None = None  # the staff member who made the change
    assignee: str | None = None  # whom an "assign" event assigned it to


@dataclass(frozen=True)
class TicketHistory:
    ticket: Ticket
    entries: list[HistoryEntry]  # internal notes only for those who work on the ticket

    @property
    def events(self) -> list[TicketEvent]:
        return [entry.event for entry in self.entries]


async def followers(session: AsyncSession, ticket_id: int | None) -> list[int]:
    return list(
        (
            await session.exec(
                select(col(TicketFollower.resident_id)).where(
                    col(TicketFollower.ticket_id) == ticket_id
                )
            )
        ).all()
    )


async def parties(session: AsyncSession, ticket: Ticket) -> set[int]:
    """The people a ticket is about: its reporter, the liaison who filed it, its followers and
    the members of the home it was reported for."""
    found = {ticket.reporter_id, *await followers(session, ticket.id)}
    if ticket.filed_by_id is not None:
        found.add(ticket.filed_by_id)
    if ticket.household_id is not None:
        found |= set(
            (
                await session.exec(
                    select(col(Membership.resident_id)).where(
                        col(Membership.household_id) == ticket.household_id
                    )
                )
            ).all()
        )
    return found


async def visible_ticket(session: AsyncSession, actor: Actor | None, ticket_id: int) -> Ticket:
    """The ticket, if this person may open it; otherwise it "does not exist" for them."""
    ticket = await session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFound(MISSING)
    await authorize(
        session,
        actor,
        Permission.TICKET_VIEW,
        ticket.compound_id,
        parties=await parties(session, ticket),
    )
    return ticket


async def works_on(session: AsyncSession, actor: Actor | None, ticket: Ticket) -> bool:
    """Whether the person is property staff (or an administrator) of the ticket's compound."""
    return await allowed(session, actor, Permission.TICKET_WORK, ticket.compound_id)


async def reported(session: AsyncSession, actor: Actor | None, ticket: Ticket) -> bool:
    """Whether the person is the ticket's reporter (or the liaison who filed it)."""
    return await allowed(
        session,
        actor,
        Permission.TICKET_CONFIRM,
        ticket.compound_id,
        owners=(ticket.reporter_id, ticket.filed_by_id),
    )


async def place_of(session: AsyncSession, ticket: Ticket) -> TicketPlace:
    """The place as reported; the reporter's home only when the report is about the home."""
    compound = await session.get(Compound, ticket.compound_id)
    name = compound.name if compound else "?"
    if ticket.place_kind == PlaceKind.LOCATION:
        return TicketPlace(
            name, kind=PlaceKind.LOCATION, latitude=ticket.latitude, longitude=ticket.longitude
        )
    if ticket.place_kind == PlaceKind.AREA:
        return TicketPlace(name, kind=PlaceKind.AREA, area=ticket.area)
    if ticket.place_kind == PlaceKind.HOME and ticket.household_id is not None:
        return await home_place(session, name, await session.get(Household, ticket.household_id))
    building = await session.get(Building, ticket.building_id) if ticket.building_id else None
    return TicketPlace(
        name,
        building.name if building else None,
        kind=PlaceKind.BUILDING,
        unit=ticket.unit,
        floor=ticket.floor,
    )


async def home_place(session: AsyncSession, compound: str, home: Household | None) -> TicketPlace:
    """A home as the roster names it: building, unit and room."""
    if home is None:
        return TicketPlace(compound)
    building = await session.get(Building, home.building_id)
    return TicketPlace(
        compound, building.name if building else None, home.room, unit=home.unit or None
    )


async def place_on_map(
    session: AsyncSession, actor: Actor, ticket_id: int
) -> tuple[Ticket, TicketPlace]:
    """A ticket reported at a shared location, to show on the map (to those who may open it)."""
    ticket = await visible_ticket(session, actor, ticket_id)
    place = await place_of(session, ticket)
    if place.latitude is None or place.longitude is None:
        raise NotFound(N_("That ticket has no location on the map."))
    return ticket, place


def deadline(ticket: Ticket, compound: Compound) -> datetime | None:
    """When an open ticket is due under the compound's service levels: the response target until
    it is acknowledged (or the handling one, if that comes first), then the handling target."""
    if ticket.status not in OPEN_STATUSES:
        return None
    handling = ticket.created_at + timedelta(hours=compound.sla_handling_hours)
    if ticket.acknowledged_at is None:
        return min(handling, ticket.created_at + timedelta(minutes=compound.sla_response_minutes))
    return handling


async def names(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    """People's display names, by id (an empty name for someone who was forgotten)."""
    if not ids:
        return {}
    rows = await session.exec(
        select(col(Resident.id), col(Resident.display_name)).where(col(Resident.id).in_(ids))
    )
    return {int(k or 0): v or "" for k, v in rows.all()}


async def office_reads(session: AsyncSession, actor: Actor | None, ticket: Ticket) -> bool:
    """Whether the person sees the ticket as the office does (by a role over its compound, not
    as one of the people it is about)."""
    return await allowed(session, actor, Permission.TICKET_VIEW, ticket.compound_id)


async def _contact(
    session: AsyncSession, actor: Actor | None, ticket: Ticket, *, now: datetime
) -> Contact | None:
    """The reporter's name and phone, for the compound's staff; each reading is audited as an
    access to personal data."""
    reporter = await session.get(Resident, ticket.reporter_id)
    if reporter is None:
        return None
    await audit.record_read(
        session,
        at=now,
        actor_id=actor.resident_id if actor else None,
        what="reporter",
        subject_type="ticket",
        subject_id=ticket.id,
        compound_id=ticket.compound_id,
        residents=[reporter.id],
    )
    return Contact(reporter.display_name, reporter.phone)


async def overdue(session: AsyncSession, ticket: Ticket, now: datetime) -> bool:
    """An open ticket past its deadline (the one its card shows)."""
    compound = await session.get(Compound, ticket.compound_id)
    due = deadline(ticket, compound) if compound is not None else None
    return due is not None and now >= due


async def follow_ups(
    session: AsyncSession, actor: Actor | None, ticket: Ticket, photos: int, now: datetime | None
) -> list[str]:
    """Photos for whoever sees the card; for the ticket's people, while it is open, a comment,
    and 催单 once it is overdue."""
    found: list[str] = [FollowUp.PHOTOS] if photos else []
    mine = actor is not None and actor.resident_id in await parties(session, ticket)
    if mine and ticket.status in OPEN_STATUSES:
        found.append(FollowUp.REMARK)
        if now is not None and await overdue(session, ticket, now):
            found.append(FollowUp.URGE)
    return found


async def photo_ids(
    session: AsyncSession, actor: Actor, ticket_id: int
) -> tuple[Ticket, list[str]]:
    """The ticket's photos (Telegram file ids), the report's first, in the order they came."""
    ticket = await visible_ticket(session, actor, ticket_id)
    found = (
        await session.exec(
            select(col(TicketPhoto.file_id))
            .where(col(TicketPhoto.ticket_id) == ticket.id)
            .order_by(col(TicketPhoto.id))
        )
    ).all()
    return ticket, list(found)


async def card_of(
    session: AsyncSession, actor: Actor | None, ticket: Ticket, *, now: datetime
) -> TicketCard:
    """The card of a ticket the person may see, with the actions they may take now (urging an
    overdue ticket among them)."""
    photos = (
        await session.exec(
            select(func.count())
            .select_from(TicketPhoto)
            .where(col(TicketPhoto.ticket_id) == ticket.id)
        )
    ).one()
    staff = await works_on(session, actor, ticket)
    actions = actions_for(
        ticket.status, staff=staff, reporter=await reported(session, actor, ticket)
    )
    actions += await follow_ups(session, actor, ticket, photos, now)
    office = staff or await office_reads(session, actor, ticket)
    assignee, due = None, None
    if office:
        compound = await session.get(Compound, ticket.compound_id)
        due = deadline(ticket, compound) if compound else None
        if ticket.assignee_id is not None:
            assignee = (await names(session, {ticket.assignee_id})).get(ticket.assignee_id)
    return TicketCard(
        ticket,
        await place_of(session, ticket),
        photos,
        len(await followers(session, ticket.id)),
        actions,
        now=now,
        reporter=await _contact(session, actor, ticket, now=now) if staff else None,
        assignee=assignee,
        deadline=due,
    )


async def card(session: AsyncSession, actor: Actor, ticket_id: int, *, now: datetime) -> TicketCard:
    """Open a ticket (its card)."""
    ticket = await visible_ticket(session, actor, ticket_id)
    return await card_of(session, actor, ticket, now=now)


async def history(session: AsyncSession, actor: Actor, ticket_id: int) -> TicketHistory:
    """Every change and note the person may see, with who made it: internal notes only for
    staff; the office by name, the resident side as the reporter or a resident, the scheduler
    as the system."""
    ticket = await visible_ticket(session, actor, ticket_id)
    statement = (
        select(TicketEvent)
        .where(col(TicketEvent.ticket_id) == ticket.id)
        .order_by(col(TicketEvent.id))
    )
    if not await works_on(session, actor, ticket):
        statement = statement.where(col(TicketEvent.visible))
    events = list((await session.exec(statement)).all())
    residents = await parties(session, ticket)
    assigned = {
        int(e.data["assignee"])
        for e in events
        if e.kind == "assign" and isinstance(e.data.get("assignee"), int)
    }
    staff = {e.actor_id for e in events if e.actor_id is not None} - residents
    known = await names(session, staff | assigned)
    entries = []
    for event in events:
        target = event.data.get("assignee") if event.kind == "assign" else None
        assignee = known.get(target) if isinstance(target, int) else None
        if event.actor_id is None:
            entries.append(HistoryEntry(event, By.SYSTEM, assignee=assignee))
        elif event.actor_id in (ticket.reporter_id, ticket.filed_by_id):
            entries.append(HistoryEntry(event, By.REPORTER, assignee=assignee))
        elif event.actor_id in residents:
            entries.append(HistoryEntry(event, By.RESIDENT, assignee=assignee))
        else:
            name = known.get(event.actor_id)
            entries.append(HistoryEntry(event, By.STAFF, name, assignee))
    return TicketHistory(ticket, entries)


async def my_tickets(session: AsyncSession, actor: Actor, limit: int = 10) -> list[Ticket]:
    """Tickets of the person's homes, their own and those they follow; newest first."""
    if actor.resident_id is None:
        return []
    households = [t.household_id for t in actor.households]
    followed = select(col(TicketFollower.ticket_id)).where(
        col(TicketFollower.resident_id) == actor.resident_id
    )
    statement = (
        select(Ticket)
        .where(
            (col(Ticket.reporter_id) == actor.resident_id)
            | (col(Ticket.household_id).in_(households))
            | (col(Ticket.id).in_(followed))
        )
        .order_by(col(Ticket.id).desc())
        .limit(limit)
    )
    return list((await session.exec(statement)).all())


async def reachable(session: AsyncSession, ids: set[int]) -> list[Resident]:
    """The people among these who can be sent a message, by id."""
    if not ids:
        return []
    rows = await session.exec(
        select(Resident)
        .where(col(Resident.id).in_(ids))
        .where(col(Resident.telegram_id).is_not(None))
        .order_by(col(Resident.id))
    )
    return list(rows.all())


async def household_contact(session: AsyncSession, household_id: int) -> int | None:
    """A reachable member of the household: the reporter of a ticket filed for it (代办)."""
    return (
        await session.exec(
            select(col(Resident.id))
            .join(Membership, col(Membership.resident_id) == col(Resident.id))
            .where(col(Membership.household_id) == household_id)
            .where(col(Resident.telegram_id).is_not(None))
            .order_by(col(Membership.id))
        )
    ).first()


async def buildings(session: AsyncSession, compound_id: int | None) -> list[Building]:
    """The compound's buildings, by name (where a report can be)."""
    return list(
        (
            await session.exec(
                select(Building)
                .where(col(Building.compound_id) == compound_id)
                .order_by(col(Building.name))
            )
        ).all()
    )
