"""Writing a report (/report) as a typed draft, one named step at a time, then submitting it
as a ticket: whose home (a liaison may file for a household, 代办), the service, urgency, a
description, photos and where. Nothing is a ticket until the summary is sent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.db import insert_many
from core.i18n import N_
from models import (
    OPEN_STATUSES,
    Building,
    Household,
    Ticket,
    TicketCategory,
    TicketEvent,
    TicketFollower,
    TicketPhoto,
)
from services import audit, drafts, ticket_alerts
from services.actors import Actor
from services.drafts import Draft
from services.errors import DomainError, NotAllowed, NotFound
from services.places import find_household
from services.policy import (
    NOT_REGISTERED,
    Permission,
    allowed,
    anywhere,
    authorize,
    compound_ids,
    rule,
)
from services.ticket_reading import buildings, household_contact

MAX_PHOTOS = 5
MAX_DESCRIPTION = 1000
DUPLICATE_WINDOW = timedelta(hours=24)
LOWEST_FLOOR, HIGHEST_FLOOR = -5, 150


class ReportStep(StrEnum):
    WHO = "who"  # liaisons: for their own home, or for a household (代办)
    HOUSEHOLD = "household"  # which household, typed
    CATEGORY = "category"
    URGENT = "urgent"
    DESCRIBE = "describe"
    PHOTOS = "photos"
    WHERE = "where"
    BUILDING = "building"
    FLOOR = "floor"
    SUMMARY = "summary"


class Where(StrEnum):
    HOME = "household"
    BUILDING = "building"
    LOCATION = "location"


class ReportDraft(Draft, flow="report"):
    missing = N_("There is no report being written. Send /report to start one.")

    household_id: int | None = None  # one's own home, or the one filed for
    compound_id: int | None = None
    category: TicketCategory | None = None
    urgent: bool = False
    description: str = ""
    photos: list[str] = []
    album: str | None = None  # the media_group_id of the album the last photo came in
    where: Where | None = None
    building_id: int | None = None
    floor: int | None = None
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class ReportSummary:
    """The report as it will be sent, and an open ticket it may repeat."""

    draft: ReportDraft
    building: str | None  # the building's name, when it is in a building
    duplicate: int | None  # the open ticket of the same service there from the last 24 hours


async def _load(session: AsyncSession, actor: Actor, step: ReportStep) -> ReportDraft:
    return await drafts.load(session, actor, ReportDraft, step)


async def _save(
    session: AsyncSession, actor: Actor, draft: ReportDraft, *, now: datetime, **changes: object
) -> ReportDraft:
    draft = drafts.replace(draft, **changes)
    await drafts.save(session, actor, draft, now=now)
    return draft


def _fresh(
    actor: Actor, household_id: int | None = None, compound_id: int | None = None
) -> ReportDraft:
    """A report for the household being filed for, or else for one's own (first) home."""
    if household_id is None and actor.households:
        household_id, compound_id = (
            actor.households[0].household_id,
            actor.households[0].compound_id,
        )
    return ReportDraft(step=ReportStep.CATEGORY, household_id=household_id, compound_id=compound_id)


async def start(session: AsyncSession, actor: Actor, *, now: datetime) -> ReportDraft:
    """/report: liaisons are asked whose report it is; residents go straight to the service."""
    if not actor.registered:
        raise NotAllowed(NOT_REGISTERED)
    files_for = anywhere(actor, Permission.TICKET_FILE_FOR)
    if not files_for and not anywhere(actor, Permission.TICKET_REPORT):
        raise NotAllowed(rule(Permission.TICKET_REPORT).refusal)
    draft = _fresh(actor)
    if files_for:
        draft = drafts.replace(draft, step=ReportStep.WHO)
    await drafts.begin(session, actor, draft, now=now)
    return draft


async def start_over(session: AsyncSession, actor: Actor, *, now: datetime) -> ReportDraft:
    """Start over from the summary: the same home, every answer asked again."""
    old = await _load(session, actor, ReportStep.SUMMARY)
    draft = _fresh(actor, old.household_id, old.compound_id)
    await drafts.save(session, actor, draft, now=now)
    return draft


async def for_whom(
    session: AsyncSession, actor: Actor, own_home: bool, *, now: datetime
) -> ReportDraft:
    draft = await _load(session, actor, ReportStep.WHO)
    if own_home:
        if draft.household_id is None:
            raise DomainError(drafts.STALE)
        return await _save(session, actor, draft, now=now, step=ReportStep.CATEGORY)
    return await _save(session, actor, draft, now=now, step=ReportStep.HOUSEHOLD)


async def file_for(session: AsyncSession, actor: Actor, text: str, *, now: datetime) -> ReportDraft:
    """代办: the liaison names the household (3栋 2单元 1201, 3-2-1201) they report for."""
    draft = await _load(session, actor, ReportStep.HOUSEHOLD)
    compounds = await compound_ids(session, actor, Permission.TICKET_FILE_FOR)
    if not compounds:
        raise NotAllowed(rule(Permission.TICKET_FILE_FOR).refusal)
    home = await find_household(session, sorted(compounds), text)
    return await _save(
        session,
        actor,
        draft,
        now=now,
        step=ReportStep.CATEGORY,
        household_id=home.id,
        compound_id=home.compound_id,
    )


async def set_category(
    session: AsyncSession, actor: Actor, category: str, *, now: datetime
) -> ReportDraft:
    draft = await _load(session, actor, ReportStep.CATEGORY)
    try:
        chosen = TicketCategory(category)
    except ValueError:
        raise DomainError(drafts.STALE) from None
    return await _save(session, actor, draft, now=now, step=ReportStep.URGENT, category=chosen)


async def set_urgent(
    session: AsyncSession, actor: Actor, urgent: bool, *, now: datetime
) -> ReportDraft:
    draft = await _load(session, actor, ReportStep.URGENT)
    return await _save(session, actor, draft, now=now, step=ReportStep.DESCRIBE, urgent=urgent)


async def describe(session: AsyncSession, actor: Actor, text: str, *, now: datetime) -> ReportDraft:
    draft = await _load(session, actor, ReportStep.DESCRIBE)
    text = (text or "").strip()
    if len(text) < 2:
        raise DomainError(N_("Please describe the problem in a few words."))
    if len(text) > MAX_DESCRIPTION:
        raise DomainError(
            N_("Please keep the description under {limit} characters."), limit=MAX_DESCRIPTION
        )
    return await _save(session, actor, draft, now=now, step=ReportStep.PHOTOS, description=text)


@dataclass(frozen=True)
class PhotoAdded:
    draft: ReportDraft
    answer: bool  # False for the later photos of an album: the album gets one answer


async def add_photo(
    session: AsyncSession,
    actor: Actor,
    file_id: str,
    *,
    now: datetime,
    caption: str | None = None,
    album: str | None = None,
) -> PhotoAdded:
    """A photo (maybe one of an album, maybe with a caption, which is added to the
    description). Photos past the limit are refused, silently within an album already answered."""
    draft = await _load(session, actor, ReportStep.PHOTOS)
    same_album = album is not None and album == draft.album
    if len(draft.photos) >= MAX_PHOTOS:
        if same_album:
            return PhotoAdded(draft, answer=False)
        raise DomainError(N_("A report can have at most {limit} photos."), limit=MAX_PHOTOS)
    description = draft.description
    caption = (caption or "").strip()
    if caption and caption not in description:
        description = f"{description}\n{caption}"[:MAX_DESCRIPTION]
    draft = await _save(
        session,
        actor,
        draft,
        now=now,
        photos=[*draft.photos, file_id],
        album=album,
        description=description,
    )
    return PhotoAdded(draft, answer=not same_album)


async def photos_done(session: AsyncSession, actor: Actor, *, now: datetime) -> ReportDraft:
    draft = await _load(session, actor, ReportStep.PHOTOS)
    return await _save(session, actor, draft, now=now, step=ReportStep.WHERE)


async def choose_building(session: AsyncSession, actor: Actor, *, now: datetime) -> list[Building]:
    """It is in a building: which one? (the compound's buildings, by name)"""
    draft = await _load(session, actor, ReportStep.WHERE)
    await _save(session, actor, draft, now=now, step=ReportStep.BUILDING)
    return await buildings(session, draft.compound_id)


async def in_building(
    session: AsyncSession, actor: Actor, building_id: int, *, now: datetime
) -> ReportDraft:
    draft = await _load(session, actor, ReportStep.BUILDING)
    if building_id not in {b.id for b in await buildings(session, draft.compound_id)}:
        raise DomainError(N_("Choose a building of your compound."))
    return await _save(
        session,
        actor,
        draft,
        now=now,
        step=ReportStep.FLOOR,
        where=Where.BUILDING,
        building_id=building_id,
    )


def parse_floor(text: str) -> int:
    """`3`, `3楼`, `3层`, `3F`, `-1`: a floor between -5 and 150."""
    text = (text or "").strip().removesuffix("楼").removesuffix("层").removesuffix("F")
    if not text.lstrip("-").isdigit() or not LOWEST_FLOOR <= int(text) <= HIGHEST_FLOOR:
        raise DomainError(N_("Please send the floor as a number, e.g. 3."))
    return int(text)


async def on_floor(
    session: AsyncSession, actor: Actor, text: str | None, *, now: datetime
) -> ReportSummary:
    """The floor, typed; None: not on a floor (outside, the roof, the whole building)."""
    draft = await _load(session, actor, ReportStep.FLOOR)
    floor = parse_floor(text) if text is not None else None
    draft = await _save(session, actor, draft, now=now, step=ReportStep.SUMMARY, floor=floor)
    return await _summary(session, draft, now=now)


async def at_home(session: AsyncSession, actor: Actor, *, now: datetime) -> ReportSummary:
    draft = await _load(session, actor, ReportStep.WHERE)
    if draft.household_id is None:
        raise DomainError(N_("Choose a building, or share a location."))
    draft = await _save(session, actor, draft, now=now, step=ReportStep.SUMMARY, where=Where.HOME)
    return await _summary(session, draft, now=now)


async def at_location(
    session: AsyncSession, actor: Actor, latitude: float, longitude: float, *, now: datetime
) -> ReportSummary:
    draft = await _load(session, actor, ReportStep.WHERE)
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise DomainError(N_("Please share a location."))
    draft = await _save(
        session,
        actor,
        draft,
        now=now,
        step=ReportStep.SUMMARY,
        where=Where.LOCATION,
        latitude=latitude,
        longitude=longitude,
    )
    return await _summary(session, draft, now=now)


async def _building_of(session: AsyncSession, draft: ReportDraft) -> int | None:
    if draft.where == Where.BUILDING:
        return draft.building_id
    if draft.household_id is not None:
        household = await session.get(Household, draft.household_id)
        return household.building_id if household else None
    return None


async def _summary(session: AsyncSession, draft: ReportDraft, *, now: datetime) -> ReportSummary:
    """What is about to be sent, and an open ticket of the same service in the same building
    from the last 24 hours, to follow instead of filing a duplicate."""
    building_id = await _building_of(session, draft)
    building = await session.get(Building, draft.building_id) if draft.building_id else None
    duplicate = None
    if building_id is not None and draft.category is not None:
        duplicate = (
            await session.exec(
                select(col(Ticket.id))
                .where(col(Ticket.building_id) == building_id)
                .where(col(Ticket.category) == draft.category)
                .where(col(Ticket.status).in_(OPEN_STATUSES))
                .where(col(Ticket.created_at) >= now - DUPLICATE_WINDOW)
                .order_by(col(Ticket.id))
            )
        ).first()
    return ReportSummary(draft, building.name if building else None, duplicate)


async def follow_instead(
    session: AsyncSession, actor: Actor, ticket_id: int, *, now: datetime
) -> int:
    """+1: follow the open ticket the summary offered instead of filing a duplicate."""
    await _load(session, actor, ReportStep.SUMMARY)
    ticket = await session.get(Ticket, ticket_id)
    if ticket is None or not await allowed(
        session, actor, Permission.TICKET_REPORT, ticket.compound_id
    ):
        raise NotFound(N_("That ticket does not exist."))
    if ticket.status not in OPEN_STATUSES:
        raise DomainError(N_("That ticket is already closed; please report the problem again."))
    row = {"ticket_id": ticket.id, "resident_id": actor.resident_id, "at": now}
    await insert_many(
        session, TicketFollower, [row], skip_conflicts_on=["ticket_id", "resident_id"]
    )
    await drafts.finish(session, actor, ReportDraft)
    return ticket_id


async def submit(session: AsyncSession, actor: Actor, *, now: datetime) -> Ticket:
    """The summary is sent: a ticket with a number, the staff alerted (and the liaison when it
    is urgent, day or night); the draft is gone, so a second tap files nothing."""
    draft = await _load(session, actor, ReportStep.SUMMARY)
    if draft.category is None or draft.compound_id is None or draft.where is None:
        raise DomainError(N_("The report is not complete yet. Send /report to start again."))
    household = await session.get(Household, draft.household_id) if draft.household_id else None
    reporter_id, filed_by = actor.resident_id, None
    if draft.household_id is not None and draft.household_id not in {
        t.household_id for t in actor.households
    }:
        # 代办: the liaison files it; a member of the household is its reporter and is told.
        await authorize(session, actor, Permission.TICKET_FILE_FOR, draft.compound_id)
        filed_by = actor.resident_id
        reporter_id = await household_contact(session, draft.household_id) or actor.resident_id
    else:
        await authorize(
            session, actor, Permission.TICKET_REPORT, draft.compound_id, household=household
        )
    assert reporter_id is not None
    ticket = Ticket(
        compound_id=draft.compound_id,
        building_id=await _building_of(session, draft),
        household_id=draft.household_id,
        floor=draft.floor if draft.where == Where.BUILDING else None,
        latitude=draft.latitude if draft.where == Where.LOCATION else None,
        longitude=draft.longitude if draft.where == Where.LOCATION else None,
        category=draft.category,
        urgent=draft.urgent,
        description=draft.description,
        reporter_id=reporter_id,
        filed_by_id=filed_by,
        created_at=now,
    )
    session.add(ticket)
    await session.flush()
    assert ticket.id is not None
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
    audit.record(
        session,
        at=now,
        actor_id=actor.resident_id,
        action="ticket.report",
        subject_type="ticket",
        subject_id=ticket.id,
        filed_for=draft.household_id if filed_by else None,
    )
    await drafts.finish(session, actor, ReportDraft)
    await session.flush()
    await ticket_alerts.alert_new(session, ticket, now=now)
    return ticket
