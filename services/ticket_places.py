"""Where a report can be: a compound's common areas (大堂, 南门 … configurable), a building's
units and its range of floors (from the roster's homes, or set by the office)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_
from models import Building, Compound, Household
from services import audit
from services.actors import Actor
from services.errors import DomainError, NotFound
from services.places import same_place
from services.policy import Permission, authorize

# Offered until the office sets its own list: what most compounds have.
DEFAULT_COMMON_AREAS = ("大堂", "南门", "北门", "地下车库", "中心花园", "垃圾站")
MAX_AREAS = 30
MAX_AREA = 100  # characters of a common area's name or a typed place
# The floors a building may have when the roster says nothing about them.
LOWEST_FLOOR, HIGHEST_FLOOR = -5, 150


@dataclass(frozen=True)
class Floors:
    """A building's floors, lowest to highest (a basement is negative)."""

    lowest: int
    highest: int

    def __contains__(self, floor: object) -> bool:
        return isinstance(floor, int) and self.lowest <= floor <= self.highest


def floors_of(building: Building) -> Floors:
    """The building's floors as known; the widest plausible range where nothing is known."""
    lowest = building.lowest_floor if building.lowest_floor is not None else LOWEST_FLOOR
    highest = building.floors if building.floors is not None else HIGHEST_FLOOR
    return Floors(min(lowest, highest), max(lowest, highest))


def common_areas(compound: Compound) -> list[str]:
    """The compound's common areas in the order offered: its own list, else the defaults."""
    if compound.common_areas is None:
        return list(DEFAULT_COMMON_AREAS)
    return list(compound.common_areas)


def place_description(text: str | None) -> str:
    """A place as typed (`在大堂`, `南门`, `3栋楼下的花坛`): without a leading 在 and spaces."""
    text = unicodedata.normalize("NFKC", text or "").strip()
    text = text.removeprefix("在").strip()
    if not text:
        raise DomainError(N_("Please write where it is, for example: 南门."))
    if len(text) > MAX_AREA:
        raise DomainError(
            N_("Please describe the place in fewer than {limit} characters."), limit=MAX_AREA
        )
    return text


async def units_of(session: AsyncSession, building_id: int) -> list[str]:
    """The building's units (单元) as the roster names them, in order; empty when it has none."""
    found = await session.exec(
        select(col(Household.unit))
        .where(col(Household.building_id) == building_id)
        .where(col(Household.unit) != "")
        .distinct()
    )
    return sorted(found.all(), key=lambda unit: (len(unit), unit))


async def configure_common_areas(
    session: AsyncSession,
    actor: Actor | None,
    compound_id: int,
    names: list[str] | None,
    *,
    now: datetime,
) -> list[str]:
    """Set the compound's list of common areas (None: back to the defaults); returns the list."""
    await authorize(session, actor, Permission.TICKET_SERVICE_LEVELS, compound_id)
    compound = await session.get(Compound, compound_id)
    if compound is None:
        raise NotFound(N_("That compound does not exist."))
    if names is not None:
        cleaned: list[str] = []
        for name in names:
            name = place_description(name)
            if name not in cleaned:
                cleaned.append(name)
        if not 1 <= len(cleaned) <= MAX_AREAS:
            raise DomainError(N_("Give between 1 and {limit} common areas."), limit=MAX_AREAS)
        names = cleaned
    compound.common_areas = names
    audit.record(
        session,
        at=now,
        actor_id=actor.resident_id if actor else None,
        action="compound.common_areas",
        subject_type="compound",
        subject_id=compound.id,
        areas=names,
    )
    return common_areas(compound)


async def configure_floors(
    session: AsyncSession,
    actor: Actor | None,
    building: Building,
    *,
    now: datetime,
    lowest: int | None = None,
    highest: int | None = None,
) -> Floors:
    """Set a building's lowest and highest floor (the others stay): e.g. -2 for a basement."""
    await authorize(session, actor, Permission.TICKET_SERVICE_LEVELS, building.compound_id)
    low = lowest if lowest is not None else building.lowest_floor
    high = highest if highest is not None else building.floors
    for value in (low, high):
        if value is not None and not LOWEST_FLOOR <= value <= HIGHEST_FLOOR:
            raise DomainError(
                N_("A floor must be between {lowest} and {highest}."),
                lowest=LOWEST_FLOOR,
                highest=HIGHEST_FLOOR,
            )
    if low is not None and high is not None and low > high:
        raise DomainError(N_("The lowest floor must not be above the highest."))
    building.lowest_floor, building.floors = low, high
    audit.record(
        session,
        at=now,
        actor_id=actor.resident_id if actor else None,
        action="building.floors",
        subject_type="building",
        subject_id=building.id,
        lowest=low,
        highest=high,
    )
    return floors_of(building)


async def building_by_name(session: AsyncSession, compound_id: int, name: str) -> Building:
    """A building of the compound by its name (`3栋`) or its number (`3`)."""
    found = (
        await session.exec(select(Building).where(col(Building.compound_id) == compound_id))
    ).all()
    wanted = unicodedata.normalize("NFKC", name).strip()
    exact = [b for b in found if b.name == wanted]
    matches = exact or [b for b in found if same_place(wanted, b.name)]
    if len(matches) != 1:
        raise DomainError(N_("No single building of that compound is named {name}."), name=name)
    return matches[0]
