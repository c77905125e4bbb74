"""Writing a report: a draft kept in the database step by step, then submitted as a ticket."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_
from models import (
    OPEN_STATUSES,
    Building,
    Household,
    Membership,
    Resident,
    Ticket,
    TicketCategory,
    TicketDraft,
    TicketEvent,
    TicketPhoto,
)
from services import audit
from services.actors import Actor
from services.errors import DomainError, NotAllowed
from services.places import compounds_for_roles
from services.tickets import DUPLICATE_WINDOW, FILING_ROLES, MAX_DESCRIPTION, MAX_PHOTOS


async def start(session: AsyncSession, actor: Actor, *, now: datetime) -> TicketDraft:
    """A fresh draft for one's own (first) household; a liaison picks the household next."""
    if not actor.registered:
        raise NotAllowed(
            N_(
                "You are not registered yet. Open the invite link from your property office to join."
            )
        )
    if not actor.households and not actor.has_role(*FILING_ROLES):
        raise NotAllowed(N_("Only residents of a household can report an issue."))
    draft = await session.get(TicketDraft, actor.resident_id)
    if draft is None:
        draft = TicketDraft(resident_id=actor.resident_id, updated_at=now)
        session.add(draft)
    draft.category, draft.urgent, draft.description, draft.photos, draft.where = (
        None,
        False,
        "",
        [],
        {},
    )
    tie = actor.households[0] if actor.households else None
    draft.household_id = tie.household_id if tie else None
    draft.compound_id = tie.compound_id if tie else None
    draft.updated_at = now
    await session.flush()
    return draft


async def draft_of(session: AsyncSession, actor: Actor) -> TicketDraft:
    draft = await session.get(TicketDraft, actor.resident_id) if actor.resident_id else None
    if draft is None:
        raise DomainError(N_("There is no report being written. Send /report to start one."))
    return draft


async def file_for(session: AsyncSession, actor: Actor, text: str, *, now: datetime) -> Household:
    """代办: a liaison names the household (e.g. "3栋 2单元 1201") they file for."""
    draft = await draft_of(session, actor)
    grants = [(g.role, g.scope_kind, g.scope_id) for g in actor.roles]
    compounds = [
        c.id for c in await compounds_for_roles(session, grants, {r.value for r in FILING_ROLES})
    ]
    parts = text.split()
    if not compounds or len(parts) not in (2, 3):
        raise DomainError(
            N_("Please write the building, unit and room, for example: 3栋 2单元 1201")
        )
    building_name, room = parts[0], parts[-1]
    unit = parts[1] if len(parts) == 3 else ""
    household = (
        await session.exec(
            select(Household)
            .join(Building, Building.id == Household.building_id)
            .where(col(Household.compound_id).in_(compounds))
            .where(Building.name == building_name, Household.unit == unit, Household.room == room)
        )
    ).first()
    if household is None:
        raise DomainError(N_("No such household in your compounds: {text}"), text=text)
    draft.household_id, draft.compound_id, draft.updated_at = (
        household.id,
        household.compound_id,
        now,
    )
    draft.where = {"kind": "household"}
    return household


async def set_category(
    session: AsyncSession, actor: Actor, category: str, *, now: datetime
) -> TicketDraft:
    draft = await draft_of(session, actor)
    draft.category, draft.updated_at = TicketCategory(category), now
    return draft


async def set_urgent(
    session: AsyncSession, actor: Actor, urgent: bool, *, now: datetime
) -> TicketDraft:
    draft = await draft_of(session, actor)
    draft.urgent, draft.updated_at = urgent, now
    return draft


async def set_description(
    session: AsyncSession, actor: Actor, text: str, *, now: datetime
) -> TicketDraft:
    text = (text or "").strip()
    if len(text) < 2:
        raise DomainError(N_("Please describe the problem in a few words."))
    if len(text) > MAX_DESCRIPTION:
        raise DomainError(
            N_("Please keep the description under {limit} characters."), limit=MAX_DESCRIPTION
        )
    draft = await draft_of(session, actor)
    draft.description, draft.updated_at = text, now
    return draft


async def add_photo(session: AsyncSession, actor: Actor, file_id: str, *, now: datetime) -> int:
    draft = await draft_of(session, actor)
    if len(draft.photos) >= MAX_PHOTOS:
        raise DomainError(N_("A report can have at most {limit} photos."), limit=MAX_PHOTOS)
    draft.photos = [*draft.photos, file_id]
    draft.updated_at = now
    return len(draft.photos)


async def buildings(session: AsyncSession, actor: Actor) -> list[Building]:
    draft = await draft_of(session, actor)
    return list(
        (
            await session.exec(
                select(Building)
                .where(Building.compound_id == draft.compound_id)
                .order_by(Building.name)
            )
        ).all()
    )


async def set_where(
    session: AsyncSession,
    actor: Actor,
    kind: str,
    *,
    now: datetime,
    building_id: int | None = None,
    floor: int | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
) -> TicketDraft:
    """Where: the household itself, a building (and floor) of the compound, or a shared location."""
    draft = await draft_of(session, actor)
    if kind == "household":
        if draft.household_id is None:
            raise DomainError(N_("Choose a building, or share a location."))
        draft.where = {"kind": "household"}
    elif kind == "building":
        if building_id not in {b.id for b in await buildings(session, actor)}:
            raise DomainError(N_("Choose a building of your compound."))
        if floor is not None and not -5 <= floor <= 150:
            raise DomainError(N_("Please send the floor as a number, e.g. 3."))
        draft.where = {"kind": "building", "building_id": building_id, "floor": floor}
    elif kind == "location":
        if (
            latitude is None
            or longitude is None
            or not (-90 <= latitude <= 90 and -180 <= longitude <= 180)
        ):
            raise DomainError(N_("Please share a location."))
        draft.where = {"kind": "location", "latitude": latitude, "longitude": longitude}
    else:
        raise DomainError(N_("Choose a building, or share a location."))
    draft.updated_at = now
    return draft


async def building_of(session: AsyncSession, draft: TicketDraft) -> int | None:
    if draft.where.get("kind") == "building":
        return draft.where.get("building_id")
    if draft.household_id:
        household = await session.get(Household, draft.household_id)
        return household.building_id if household else None
    return None


async def duplicate(session: AsyncSession, actor: Actor, *, now: datetime) -> Ticket | None:
    """An open ticket of the same category and building from the last 24 hours."""
    draft = await draft_of(session, actor)
    building_id = await building_of(session, draft)
    if building_id is None or draft.category is None:
        return None
    return (
        await session.exec(
            select(Ticket)
            .where(Ticket.building_id == building_id)
            .where(Ticket.category == draft.category)
            .where(col(Ticket.status).in_(OPEN_STATUSES))
            .where(Ticket.created_at >= now - DUPLICATE_WINDOW)
            .order_by(Ticket.id)
        )
    ).first()


async def discard(session: AsyncSession, actor: Actor) -> None:
    draft = await session.get(TicketDraft, actor.resident_id) if actor.resident_id else None
    if draft is not None:
        await session.delete(draft)


async def submit(session: AsyncSession, actor: Actor, *, now: datetime) -> Ticket:
    """Turn the draft into a ticket with a number; the draft is gone afterwards (no double submit)."""
    draft = await draft_of(session, actor)
    if (
        draft.category is None
        or not draft.description
        or draft.compound_id is None
        or not draft.where
    ):
        raise DomainError(N_("The report is not complete yet. Send /report to start again."))
    reporter_id = actor.resident_id
    filed_by = None
    if draft.household_id is not None and draft.household_id not in {
        t.household_id for t in actor.households
    }:
        filed_by = (
            actor.resident_id
        )  # 代办: the liaison files; the household is the reporter's side
        owner = await _household_contact(session, draft.household_id)
        reporter_id = owner or actor.resident_id
    where = draft.where
    ticket = Ticket(
        compound_id=draft.compound_id,
        building_id=await building_of(session, draft),
        household_id=draft.household_id,
        floor=where.get("floor"),
        latitude=where.get("latitude"),
        longitude=where.get("longitude"),
        category=draft.category,
        urgent=draft.urgent,
        description=draft.description,
        reporter_id=reporter_id,
        filed_by_id=filed_by,
        created_at=now,
    )
    session.add(ticket)
    await session.flush()
    for file_id in draft.photos:
        session.add(
            TicketPhoto(ticket_id=ticket.id, file_id=file_id, added_by=actor.resident_id, at=now)
        )
    session.add(
        TicketEvent(
            ticket_id=ticket.id,
            at=now,
            actor_id=actor.resident_id,
            kind="report",
            to_status=ticket.status,
        )
    )
    audit.record(session, at=now, actor_id=actor.resident_id, action="ticket.report", subject_type="ticket", subject_id=ticket.id,
                 filed_for=draft.household_id if filed_by else None)  # fmt: skip
    await session.delete(draft)
    await session.flush()
    return ticket


async def _household_contact(session: AsyncSession, household_id: int) -> int | None:
    """A registered member of the household, to be told about the ticket filed for them."""
    row = (
        await session.exec(
            select(Resident.id)
            .join(Membership, Membership.resident_id == Resident.id)
            .where(Membership.household_id == household_id)
            .where(col(Resident.telegram_id).is_not(None))
            .order_by(Membership.id)
        )
    ).first()
    return row
