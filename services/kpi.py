"""The monthly info report (信息月报): the four KPIs of DOMAIN §4 of a scope for a month and the
month before, at every level inside it (city, district, sub-district, community, property
company, grid, compound), and the five-star ranking of property companies.

The figures come from services.kpi_figures (SQL per compound and grid); the levels above a
compound add up the compounds' numerators and denominators. Who may read which report, and the
monthly delivery, are in services.kpi_viewers.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.db import rows
from models import City, Community, Compound, District, Grid, PropertyCompany, SubDistrict
from services.kpi_figures import Figures, figures, month_bounds
from services.places import compound_ids_in_scope
from services.surveys import previous_month

__all__ = [
    "LEVELS",
    "Figures",
    "Report",
    "Unit",
    "month_bounds",
    "months_to",
    "report",
    "stars",
    "trend",
]

Level = Literal["city", "district", "sub_district", "community", "company", "grid", "compound"]
LEVELS: tuple[Level, ...] = typing.get_args(Level)
# The levels a scope's report holds: its own (one place, the report's total) and those inside
# it. A compound's report has no sheet of its city or company (they would hold only its own
# numbers); a grid's report is the grid's homes, not their compounds'.
BREAKDOWN: dict[str, tuple[Level, ...]] = {
    "city": LEVELS,
    "district": LEVELS[1:],
    "sub_district": LEVELS[2:],
    "community": LEVELS[3:],
    "compound": ("compound", "grid"),
    "grid": ("grid",),
    "building": ("compound",),
}


@dataclass
class Unit:
    """One place of a level (a district, a company, a compound…) with its month and the last."""

    level: str
    unit_id: int
    name: str
    current: Figures
    previous: Figures


@dataclass
class Report:
    month: str
    scope_name: str
    levels: dict[str, list[Unit]]
    scope_level: Level = "city"

    @property
    def total(self) -> Unit:
        """The whole scope: the unit of its own level (a grid's homes for a grid)."""
        current, previous = Figures(), Figures()
        for unit in self.levels.get(self.scope_level, []):
            current.add(unit.current)
            previous.add(unit.previous)
        return Unit("scope", 0, self.scope_name, current, previous)


async def report(
    session: AsyncSession, kind: str, scope_id: int, scope_name: str, month: str, tz: ZoneInfo
) -> Report:
    """The scope and every level inside it, for a month and the month before."""
    kind = str(kind)
    own: Level = next((level for level in LEVELS if level == kind), "compound")
    compound_ids = compound_ids_in_scope(kind, scope_id)
    before = previous_month(month)
    both = await figures(session, compound_ids, (month, before), tz)
    current, previous = both[month], both[before]
    places = await rows(
        session,
        sa.select(
            col(Compound.id),
            col(Compound.name),
            col(Compound.company_id),
            col(Compound.community_id),
            col(Community.sub_district_id),
            col(SubDistrict.district_id),
            col(District.city_id),
        )
        .join(Community, col(Community.id) == col(Compound.community_id))
        .join(SubDistrict, col(SubDistrict.id) == col(Community.sub_district_id))
        .join(District, col(District.id) == col(SubDistrict.district_id))
        .where(col(Compound.id).in_(compound_ids)),
    )
    names = await _names(session)
    levels: dict[str, list[Unit]] = {}
    parents = {"company": 2, "community": 3, "sub_district": 4, "district": 5, "city": 6}
    for level in BREAKDOWN.get(kind, LEVELS):
        if level == "grid":
            grid_ids = sorted(set(current["grid"]) | set(previous["grid"]))
            if kind == "grid":  # the grid's own homes, not the other grids of its compounds
                grid_ids = [g for g in grid_ids if g == scope_id] or [scope_id]
            levels[level] = [
                Unit(
                    level,
                    g,
                    names["grid"].get(g, str(g)),
                    current["grid"].get(g, Figures()),
                    previous["grid"].get(g, Figures()),
                )
                for g in grid_ids
            ]
            continue
        units: dict[int, Unit] = {}
        for place in places:
            unit_id = place[0] if level == "compound" else place[parents[level]]
            if unit_id is None:
                continue
            name = place[1] if level == "compound" else names[level].get(unit_id, str(unit_id))
            unit = units.setdefault(unit_id, Unit(level, unit_id, name, Figures(), Figures()))
            unit.current.add(current["compound"].get(place[0], Figures()))
            unit.previous.add(previous["compound"].get(place[0], Figures()))
        levels[level] = sorted(units.values(), key=lambda u: u.name)
    return Report(month, scope_name, levels, own)


def months_to(month: str, count: int) -> tuple[str, ...]:
    """The `count` months ending with `month`, oldest first."""
    found = [month]
    while len(found) < count:
        found.append(previous_month(found[-1]))
    return tuple(reversed(found))


async def trend(
    session: AsyncSession, kind: str, scope_id: int, months: tuple[str, ...], tz: ZoneInfo
) -> list[tuple[str, Figures]]:
    """The scope's total (as `Report.total`) for each of `months`, oldest first: the same
    figures as the monthly report's, in one pass over the months."""
    kind = str(kind)
    found = await figures(session, compound_ids_in_scope(kind, scope_id), months, tz)
    totals = []
    for month in months:
        total = Figures()
        if kind == "grid":  # the grid's own homes, as the grid's report
            total.add(found[month]["grid"].get(scope_id, Figures()))
        else:
            for unit in found[month]["compound"].values():
                total.add(unit)
        totals.append((month, total))
    return totals


async def _names(session: AsyncSession) -> dict[str, dict[int, str]]:
    tables: dict[str, Any] = {
        "city": City,
        "district": District,
        "sub_district": SubDistrict,
        "community": Community,
        "company": PropertyCompany,
        "grid": Grid,
    }
    return {
        level: {
            row_id: name
            for row_id, name in (await session.exec(select(table.id, table.name))).all()
        }
        for level, table in tables.items()
    }


def stars(figures: Figures) -> int | None:
    """Five-star rating (五星级) of a property company from its month: a score out of 100 —
    satisfaction 40, fee collection 20, SLA compliance 20, participation 10, mean ticket rating
    10 (as a share of 5) — then ★ = 1 + score // 20 (capped at 5). No data without survey answers."""
    if figures.satisfaction is None:
        return None
    rating = figures.mean_rating / 5 if figures.mean_rating is not None else None
    parts = [
        (figures.satisfaction, 40),
        (figures.collection, 20),
        (figures.sla, 20),
        (figures.participation, 10),
        (rating, 10),
    ]
    score = sum((value * weight for value, weight in parts if value is not None), Decimal(0))
    return min(5, 1 + int(score) // 20)
