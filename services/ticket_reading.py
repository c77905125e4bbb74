"""Reading tickets: who may open one (the policy's TICKET_VIEW), what its card shows and offers
the viewer, its history, a resident's tickets and the staff queue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

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
    Resident,
    Ticket,
    TicketCategory,
    TicketEvent,
    TicketFollower,
    TicketPhoto,
)
from services.actors import Actor
from services.errors import NotAllowed, NotFound
from services.policy import Permission, allowed, authorize, compound_ids, rule
from services.ticket_rules import FollowUp, actions_for

MISSING = N_("That ticket does not exist.")


@dataclass(frozen=True)
class TicketPlace:
    """Where a ticket is, by the names the roster gives (a shared location is on the ticket)."""

    compound: str
    building: str | None = None
    room: str | None = None


@dataclass(frozen=True)
class TicketCard:
    """A ticket as one viewer sees it: the actions are the ones this viewer may take now."""

    ticket: Ticket
    place: TicketPlace
    photos: int
    followers: int
    actions: list[str]


@dataclass(frozen=True)
class TicketHistory:
    ticket: Ticket
    events: list[TicketEvent]  # internal notes only for those who work on the ticket


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
    compound = await session.get(Compound, ticket.compound_id)
    building = await session.get(Building, ticket.building_id) if ticket.building_id else None
    household = await session.get(Household, ticket.household_id) if ticket.household_id else None
    return TicketPlace(
        compound.name if compound else "?",
        building.name if building else None,
        household.room if household else None,
    )


async def overdue(session: AsyncSession, ticket: Ticket, now: datetime) -> bool:
    """An open ticket past its compound's handling target."""
    compound = await session.get(Compound, ticket.compound_id)
    return (
        compound is not None
        and ticket.status in OPEN_STATUSES
        and now >= ticket.created_at + timedelta(hours=compound.sla_handling_hours)
    )


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
    session: AsyncSession, actor: Actor | None, ticket: Ticket, *, now: datetime | None = None
) -> TicketCard:
    """The card of a ticket the person may see, with the actions they may take now (urging an
    overdue ticket is offered when `now` is known)."""
    photos = (
        await session.exec(
            select(func.count())
            .select_from(TicketPhoto)
            .where(col(TicketPhoto.ticket_id) == ticket.id)
        )
    ).one()
    actions = actions_for(
        ticket.status,
        staff=await works_on(session, actor, ticket),
        reporter=await reported(session, actor, ticket),
    )
    actions += await follow_ups(session, actor, ticket, photos, now)
    return TicketCard(
        ticket,
        await place_of(session, ticket),
        photos,
        len(await followers(session, ticket.id)),
        actions,
    )


async def card(
    session: AsyncSession, actor: Actor, ticket_id: int, *, now: datetime | None = None
) -> TicketCard:
    """Open a ticket (its card)."""
    return await card_of(session, actor, await visible_ticket(session, actor, ticket_id), now=now)


async def history(session: AsyncSession, actor: Actor, ticket_id: int) -> TicketHistory:
    """Every change and note the person may see: internal notes only for staff."""
    ticket = await visible_ticket(session, actor, ticket_id)
    statement = (
        select(TicketEvent)
        .where(col(TicketEvent.ticket_id) == ticket.id)
        .order_by(col(TicketEvent.id))
    )
    if not await works_on(session, actor, ticket):
        statement = statement.where(col(TicketEvent.visible))
    return TicketHistory(ticket, list((await session.exec(statement)).all()))


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


async def open_tickets(
    session: AsyncSession,
    actor: Actor,
    *,
    category: str | None = None,
    urgent_only: bool = False,
    limit: int = 20,
) -> list[Ticket]:
    """The staff queue: open tickets of their compounds, urgent first, then oldest first."""
    compounds = await compound_ids(session, actor, Permission.TICKET_WORK)
    if not compounds:
        raise NotAllowed(rule(Permission.TICKET_WORK).refusal)
    statement = (
        select(Ticket)
        .where(col(Ticket.compound_id).in_(compounds))
        .where(col(Ticket.status).in_(OPEN_STATUSES))
        .order_by(col(Ticket.urgent).desc(), col(Ticket.created_at), col(Ticket.id))
        .limit(limit)
    )
    if category:
        statement = statement.where(col(Ticket.category) == TicketCategory(category))
    if urgent_only:
        statement = statement.where(col(Ticket.urgent))
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
