"""Writing a report (/report) as a typed draft, one named step at a time, then submitting it
as a ticket: whose home (a liaison may file for a household, 代办), the service, urgency, a
description, photos and where (its steps in services.ticket_report_places), then the summary
with an open ticket to follow instead. Nothing is a ticket until the summary is sent."""

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
    Compound,
    Household,
    PlaceKind,
    Ticket,
    TicketCategory,
    TicketEvent,
    TicketFollower,
    TicketPhoto,
    UrgentKind,
)
from services import audit, drafts, ticket_alerts, ticket_dispatch, ticket_emergencies
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
from services.ticket_alerts import Change
from services.ticket_emergencies import EmergencyAdvice
from services.ticket_reading import TicketPlace, home_place, household_contact

MAX_PHOTOS = 5
MAX_DESCRIPTION = 1000
DUPLICATE_WINDOW = timedelta(hours=24)
NOT_URGENT = "0"  # the urgent step's "Not urgent" (as before the kinds of emergency)


class ReportStep(StrEnum):
    WHO = "who"  # liaisons: for their own home, or for a household (代办)
    HOUSEHOLD = "household"  # which household, typed
    CATEGORY = "category"
    URGENT = "urgent"
    DESCRIBE = "describe"
    PHOTOS = "photos"
    WHERE = "where"
    BUILDING = "building"
    UNIT = "unit"  # when the building has several units
    FLOOR = "floor"
    AREA = "area"  # which common area
    SUMMARY = "summary"


Where = PlaceKind  # the home, a building, a common area or a shared location


class ReportDraft(Draft, flow="report"):
    missing = N_("There is no report being written. Send /report to start one.")

    household_id: int | None = None  # one's own home, or the one filed for
    compound_id: int | None = None
    category: TicketCategory | None = None
    urgent: bool = False  # urgent_kind is not None
    urgent_kind: UrgentKind | None = None
    description: str = ""
    photos: list[str] = []
    album: str | None = None  # the media_group_id of the album the last photo came in
    where: Where | None = None
    building_id: int | None = None
    unit: str | None = None
    floor: int | None = None
    area: str | None = None  # a common area, picked or typed
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class ReportSummary:
    """The report as it will be sent, and an open ticket it may repeat."""

    draft: ReportDraft
    place: TicketPlace  # where it is, as it will be shown
    duplicate: int | None  # the open ticket of the same service there from the last 24 hours


@dataclass(frozen=True)
class Urgency:
    """The urgent step answered: for an emergency, what to do at once."""

    draft: ReportDraft
    advice: EmergencyAdvice | None


@dataclass(frozen=True)
class Submitted:
    """The report sent as a ticket; for an emergency, what to do at once."""

    ticket: Ticket
    advice: EmergencyAdvice | None


async def load_draft(
    session: AsyncSession, actor: Actor, step: ReportStep | None = None
) -> ReportDraft:
    return await drafts.load(session, actor, ReportDraft, step)


async def save_draft(
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
    old = await load_draft(session, actor, ReportStep.SUMMARY)
    draft = _fresh(actor, old.household_id, old.compound_id)
    await drafts.save(session, actor, draft, now=now)
    return draft


async def for_whom(
    session: AsyncSession, actor: Actor, own_home: bool, *, now: datetime
) -> ReportDraft:
    draft = await load_draft(session, actor, ReportStep.WHO)
    if own_home:
        if draft.household_id is None:
            raise DomainError(drafts.STALE)
        return await save_draft(session, actor, draft, now=now, step=ReportStep.CATEGORY)
    return await save_draft(session, actor, draft, now=now, step=ReportStep.HOUSEHOLD)


async def file_for(session: AsyncSession, actor: Actor, text: str, *, now: datetime) -> ReportDraft:
    """代办: the liaison names the household (3栋 2单元 1201, 3-2-1201) they report for."""
    draft = await load_draft(session, actor, ReportStep.HOUSEHOLD)
    compounds = await compound_ids(session, actor, Permission.TICKET_FILE_FOR)
    if not compounds:
        raise NotAllowed(rule(Permission.TICKET_FILE_FOR).refusal)
    home = await find_household(session, sorted(compounds), text)
    return await save_draft(
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
    draft = await load_draft(session, actor, ReportStep.CATEGORY)
    try:
        chosen = TicketCategory(category)
    except ValueError:
        raise DomainError(drafts.STALE) from None
    return await save_draft(session, actor, draft, now=now, step=ReportStep.URGENT, category=chosen)


async def set_urgent(session: AsyncSession, actor: Actor, answer: str, *, now: datetime) -> Urgency:
    """Not urgent, or the kind of emergency (lift entrapment, fire, water, façade, gas, other):
    an emergency's reporter is told at once whom to call."""
    draft = await load_draft(session, actor, ReportStep.URGENT)
    try:
        kind = None if answer == NOT_URGENT else UrgentKind(answer)
    except ValueError:
        raise DomainError(drafts.STALE) from None
    draft = await save_draft(
        session,
        actor,
        draft,
        now=now,
        step=ReportStep.DESCRIBE,
        urgent=kind is not None,
        urgent_kind=kind,
    )
    return Urgency(draft, await ticket_emergencies.advice(session, draft.compound_id, kind))


async def describe(session: AsyncSession, actor: Actor, text: str, *, now: datetime) -> ReportDraft:
    draft = await load_draft(session, actor, ReportStep.DESCRIBE)
    text = (text or "").strip()
    if len(text) < 2:
        raise DomainError(N_("Please describe the problem in a few words."))
    if len(text) > MAX_DESCRIPTION:
        raise DomainError(
            N_("Please keep the description under {limit} characters."), limit=MAX_DESCRIPTION
        )
    return await save_draft(
        session, actor, draft, now=now, step=ReportStep.PHOTOS, description=text
    )


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
    draft = await load_draft(session, actor, ReportStep.PHOTOS)
    same_album = album is not None and album == draft.album
    if len(draft.photos) >= MAX_PHOTOS:
        if same_album:
            return PhotoAdded(draft, answer=False)
        raise DomainError(N_("A report can have at most {limit} photos."), limit=MAX_PHOTOS)
    description = draft.description
    caption = (caption or "").strip()
    if caption and caption not in description:
        description = f"{description}\n{caption}"[:MAX_DESCRIPTION]
    draft = await save_draft(
        session,
        actor,
        draft,
        now=now,
        photos=[*draft.photos, file_id],
        album=album,
        description=description,
    )
    return PhotoAdded(draft, answer=not same_album)


async def _building_of(session: AsyncSession, draft: ReportDraft) -> int | None:
    """The building the report is in: the one chosen, or the home's; none for a common area or
    a shared location (the reporter's own building is not where those are)."""
    if draft.where == Where.BUILDING:
        return draft.building_id
    if draft.where == Where.HOME and draft.household_id is not None:
        household = await session.get(Household, draft.household_id)
        return household.building_id if household else None
    return None


async def _duplicate(
    session: AsyncSession, actor: Actor, draft: ReportDraft, *, now: datetime
) -> int | None:
    """An open ticket from the last 24 hours in the same building to follow instead of filing
    a duplicate: for an emergency, only an urgent ticket of the same kind (an urgent report is
    never merged into an ordinary one); otherwise one of the same service, urgent or not. Never
    one's own, nor one of one's own home (or of the home reported for)."""
    building_id = await _building_of(session, draft)
    if building_id is None or draft.category is None:
        return None
    statement = (
        select(col(Ticket.id))
        .where(col(Ticket.building_id) == building_id)
        .where(col(Ticket.status).in_(OPEN_STATUSES))
        .where(col(Ticket.created_at) >= now - DUPLICATE_WINDOW)
        .where(col(Ticket.reporter_id) != actor.resident_id)
        .where(col(Ticket.filed_by_id).is_(None) | (col(Ticket.filed_by_id) != actor.resident_id))
        .order_by(col(Ticket.id))
    )
    followed = select(col(TicketFollower.ticket_id)).where(
        col(TicketFollower.resident_id) == actor.resident_id
    )
    statement = statement.where(col(Ticket.id).not_in(followed))
    if draft.urgent_kind is not None:
        statement = statement.where(col(Ticket.urgent_kind) == draft.urgent_kind)
    else:
        statement = statement.where(col(Ticket.category) == draft.category)
    homes = {t.household_id for t in actor.households}
    if draft.household_id is not None:
        homes.add(draft.household_id)
    if homes:
        statement = statement.where(
            col(Ticket.household_id).is_(None) | col(Ticket.household_id).not_in(homes)
        )
    return (await session.exec(statement)).first()


async def _place(session: AsyncSession, draft: ReportDraft) -> TicketPlace:
    """The place as the summary shows it (the same words as the ticket's card)."""
    compound = await session.get(Compound, draft.compound_id) if draft.compound_id else None
    name = compound.name if compound is not None else "?"
    if draft.where == Where.LOCATION:
        return TicketPlace(
            name, kind=Where.LOCATION, latitude=draft.latitude, longitude=draft.longitude
        )
    if draft.where == Where.AREA:
        return TicketPlace(name, kind=Where.AREA, area=draft.area)
    if draft.where == Where.BUILDING:
        building = await session.get(Building, draft.building_id) if draft.building_id else None
        return TicketPlace(
            name,
            building.name if building else None,
            kind=Where.BUILDING,
            unit=draft.unit,
            floor=draft.floor,
        )
    household = await session.get(Household, draft.household_id) if draft.household_id else None
    return await home_place(session, name, household)


async def summarize(
    session: AsyncSession, actor: Actor, draft: ReportDraft, *, now: datetime
) -> ReportSummary:
    """What is about to be sent, and an open ticket of the same problem to follow instead."""
    duplicate = await _duplicate(session, actor, draft, now=now)
    return ReportSummary(draft, await _place(session, draft), duplicate)


async def follow_instead(
    session: AsyncSession, actor: Actor, ticket_id: int, *, now: datetime
) -> int:
    """+1: follow the open ticket the summary offered instead of filing a duplicate. The
    follower's description goes into the ticket's history, and when the ticket is urgent whoever
    it alerts hears of the follower's words at once."""
    draft = await load_draft(session, actor, ReportStep.SUMMARY)
    ticket = await session.get(Ticket, ticket_id)
    if ticket is None or not await allowed(
        session, actor, Permission.TICKET_REPORT, ticket.compound_id
    ):
        raise NotFound(N_("That ticket does not exist."))
    if ticket.status not in OPEN_STATUSES:
        raise DomainError(N_("That ticket is already closed; please report the problem again."))
    if await _duplicate(session, actor, draft, now=now) != ticket.id:
        raise DomainError(drafts.STALE)  # not the ticket the summary offers (forged or stale)
    row = {"ticket_id": ticket.id, "resident_id": actor.resident_id, "at": now}
    added = await insert_many(
        session, TicketFollower, [row], skip_conflicts_on=["ticket_id", "resident_id"]
    )
    if added:
        event = TicketEvent(
            ticket_id=ticket_id,
            at=now,
            actor_id=actor.resident_id,
            kind="follow",
            note=draft.description,
            data={"photos": len(draft.photos), "urgent_kind": draft.urgent_kind},
        )
        session.add(event)
        await session.flush()
        if ticket.urgent:
            await ticket_alerts.alert_followed(session, Change(ticket, event), now=now)
    await drafts.finish(session, actor, ReportDraft)
    return ticket_id


async def submit(session: AsyncSession, actor: Actor, *, now: datetime) -> Submitted:
    """The summary is sent: a ticket with a number, assigned when a dispatch rule matches, the
    staff alerted (and the liaison when it is urgent, day or night); an emergency's reporter is
    told whom to call. The draft is gone, so a second tap files nothing."""
    draft = await load_draft(session, actor, ReportStep.SUMMARY)
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
        household_id=draft.household_id,  # whose report; the place is the one below
        place_kind=draft.where,
        unit=draft.unit if draft.where == Where.BUILDING else None,
        floor=draft.floor if draft.where == Where.BUILDING else None,
        area=draft.area if draft.where == Where.AREA else None,
        latitude=draft.latitude if draft.where == Where.LOCATION else None,
        longitude=draft.longitude if draft.where == Where.LOCATION else None,
        category=draft.category,
        urgent=draft.urgent_kind is not None,
        urgent_kind=draft.urgent_kind,
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
    await ticket_dispatch.auto_assign(session, ticket, now=now)
    await ticket_alerts.alert_new(session, ticket, now=now)
    return Submitted(
        ticket, await ticket_emergencies.advice(session, ticket.compound_id, ticket.urgent_kind)
    )
