"""The where steps of a report (/report): the reporter's home, a building with its unit and
floor, a common area picked or typed, or a shared location; each place chosen leads to the
summary (services.ticket_reports)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_
from models import Building, Compound, Household, pk
from services import drafts
from services.actors import Actor
from services.errors import DomainError
from services.ticket_places import Floors, common_areas, floors_of, place_description, units_of
from services.ticket_reading import TicketPlace, buildings, home_place
from services.ticket_reports import (
    ReportDraft,
    ReportStep,
    ReportSummary,
    Where,
    load_draft,
    save_draft,
    summarize,
)


@dataclass(frozen=True)
class WhereAsked:
    """The where question: the home the report is for (to offer "at home"), if any."""

    draft: ReportDraft
    home: TicketPlace | None


async def photos_done(session: AsyncSession, actor: Actor, *, now: datetime) -> WhereAsked:
    draft = await load_draft(session, actor, ReportStep.PHOTOS)
    draft = await save_draft(session, actor, draft, now=now, step=ReportStep.WHERE)
    if draft.household_id is None:
        return WhereAsked(draft, None)
    home = await session.get(Household, draft.household_id)
    return WhereAsked(draft, await home_place(session, "", home))


async def choose_building(session: AsyncSession, actor: Actor, *, now: datetime) -> list[Building]:
    """It is in a building: which one? (the compound's buildings, by name)"""
    draft = await load_draft(session, actor, ReportStep.WHERE)
    await save_draft(session, actor, draft, now=now, step=ReportStep.BUILDING)
    return await buildings(session, draft.compound_id)


@dataclass(frozen=True)
class InBuilding:
    """The building chosen: its units to choose from (when it has several) and its floors."""

    draft: ReportDraft
    building: str
    units: list[str]
    floors: Floors


async def _in_building(session: AsyncSession, draft: ReportDraft) -> InBuilding:
    building = await session.get(Building, draft.building_id) if draft.building_id else None
    if building is None:
        raise DomainError(drafts.STALE)
    return InBuilding(
        draft, building.name, await units_of(session, pk(building)), floors_of(building)
    )


async def in_building(
    session: AsyncSession, actor: Actor, building_id: int, *, now: datetime
) -> InBuilding:
    """The building: then its unit, when it has several, else the floor."""
    draft = await load_draft(session, actor, ReportStep.BUILDING)
    if building_id not in {b.id for b in await buildings(session, draft.compound_id)}:
        raise DomainError(N_("Choose a building of your compound."))
    units = await units_of(session, building_id)
    draft = await save_draft(
        session,
        actor,
        draft,
        now=now,
        step=ReportStep.UNIT if len(units) > 1 else ReportStep.FLOOR,
        where=Where.BUILDING,
        building_id=building_id,
        unit=None,
    )
    return await _in_building(session, draft)


async def in_unit(
    session: AsyncSession, actor: Actor, index: int | None, *, now: datetime
) -> InBuilding:
    """The unit (by its place in the building's list); None: not in one unit."""
    draft = await load_draft(session, actor, ReportStep.UNIT)
    chosen = await _in_building(session, draft)
    if index is not None and not 0 <= index < len(chosen.units):
        raise DomainError(drafts.STALE)
    unit = chosen.units[index] if index is not None else None
    draft = await save_draft(session, actor, draft, now=now, step=ReportStep.FLOOR, unit=unit)
    return await _in_building(session, draft)


def parse_floor(text: str) -> int:
    """`3`, `3楼`, `3层`, `3F`, `-1`, `B1` (full-width digits too): the floor as a number."""
    text = unicodedata.normalize("NFKC", text or "").strip().upper()
    text = text.removesuffix("楼").removesuffix("层").removesuffix("F").strip()
    if text.startswith("B") and text[1:].isdigit():
        text = f"-{text[1:]}"
    if not re.fullmatch(r"-?[0-9]{1,4}", text) or len(text) > 4:  # not "--3", "1e3", "²"
        raise DomainError(N_("Please send the floor as a number, e.g. 3."))
    return int(text)


async def on_floor(
    session: AsyncSession, actor: Actor, text: str | None, *, now: datetime
) -> ReportSummary:
    """The floor, typed, within the building's floors; None: not on a floor (outside, the roof,
    the whole building)."""
    draft = await load_draft(session, actor, ReportStep.FLOOR)
    floor = parse_floor(text) if text is not None else None
    if floor is not None:
        chosen = await _in_building(session, draft)
        if floor not in chosen.floors:
            raise DomainError(
                N_(
                    "{building} has no floor {floor}: its floors are {lowest} to {highest}. "
                    "Please send a floor in that range."
                ),
                building=chosen.building,
                floor=floor,
                lowest=chosen.floors.lowest,
                highest=chosen.floors.highest,
            )
    draft = await save_draft(session, actor, draft, now=now, step=ReportStep.SUMMARY, floor=floor)
    return await summarize(session, actor, draft, now=now)


async def choose_area(session: AsyncSession, actor: Actor, *, now: datetime) -> list[str]:
    """It is in a common area: which one? (the compound's list; one may also be typed)"""
    draft = await load_draft(session, actor, ReportStep.WHERE)
    await save_draft(session, actor, draft, now=now, step=ReportStep.AREA)
    return await _areas(session, draft)


async def _areas(session: AsyncSession, draft: ReportDraft) -> list[str]:
    compound = await session.get(Compound, draft.compound_id) if draft.compound_id else None
    return common_areas(compound) if compound is not None else []


async def in_area(
    session: AsyncSession, actor: Actor, index: int, *, now: datetime
) -> ReportSummary:
    """A common area picked from the compound's list (by its place in the list)."""
    draft = await load_draft(session, actor, ReportStep.AREA)
    areas = await _areas(session, draft)
    if not 0 <= index < len(areas):
        raise DomainError(drafts.STALE)
    return await _at_area(session, actor, draft, areas[index], now=now)


async def place_typed(
    session: AsyncSession, actor: Actor, text: str, *, now: datetime
) -> ReportSummary:
    """A place written at the where step (or instead of picking an area): "在大堂", "南门",
    "3栋楼下的花坛" is kept as the resident wrote it, without the leading 在."""
    draft = await load_draft(session, actor)
    if draft.step not in (ReportStep.WHERE, ReportStep.AREA):
        raise DomainError(ReportDraft.missing)
    return await _at_area(session, actor, draft, place_description(text), now=now)


async def _at_area(
    session: AsyncSession, actor: Actor, draft: ReportDraft, area: str, *, now: datetime
) -> ReportSummary:
    draft = await save_draft(
        session, actor, draft, now=now, step=ReportStep.SUMMARY, where=Where.AREA, area=area
    )
    return await summarize(session, actor, draft, now=now)


async def at_home(session: AsyncSession, actor: Actor, *, now: datetime) -> ReportSummary:
    draft = await load_draft(session, actor, ReportStep.WHERE)
    if draft.household_id is None:
        raise DomainError(N_("Choose a building or a common area, or share a location."))
    draft = await save_draft(
        session, actor, draft, now=now, step=ReportStep.SUMMARY, where=Where.HOME
    )
    return await summarize(session, actor, draft, now=now)


async def at_location(
    session: AsyncSession, actor: Actor, latitude: float, longitude: float, *, now: datetime
) -> ReportSummary:
    draft = await load_draft(session, actor, ReportStep.WHERE)
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise DomainError(N_("Please share a location."))
    draft = await save_draft(
        session,
        actor,
        draft,
        now=now,
        step=ReportStep.SUMMARY,
        where=Where.LOCATION,
        latitude=latitude,
        longitude=longitude,
    )
    return await summarize(session, actor, draft, now=now)
