"""The KPI map of the console (指标地图): the compounds of a report that have coordinates, placed
by a simple projection into a drawing box and coloured by one KPI's band; the others listed as
not on the map. The figures are the report's own (services.kpi); nothing is fetched from a map
service."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_
from models import Compound, ScopeKind
from services.actors import Actor
from services.errors import DomainError
from services.kpi import Unit
from services.places import Scope
from services.policy import Permission, compound_ids

KPIS = ("coverage", "participation", "collection", "satisfaction")  # the four of DOMAIN §4
BAD_KPI = N_("That indicator is not one the map offers; choose again from the form.")
# Bands of a share, lowest first: [lower, upper) and the last one up to 100 %.
BANDS: tuple[Decimal, ...] = (Decimal("0.2"), Decimal("0.4"), Decimal("0.6"), Decimal("0.8"))
WIDTH, HEIGHT, MARGIN = 640, 420, 40  # the drawing box (SVG user units)


@dataclass(frozen=True)
class Point:
    unit: Unit
    scope: Scope
    may_open: bool  # whether the viewer may drill down to the compound's own report
    x: float
    y: float
    value: Decimal | None
    band: int | None  # index into the bands (0 lowest); None: no data


@dataclass(frozen=True)
class KpiMap:
    kpi: str
    points: list[Point]
    missing: list[Unit]  # compounds in view without coordinates
    bands: tuple[tuple[Decimal, Decimal], ...]
    width: int = WIDTH
    height: int = HEIGHT


def chosen_kpi(value: str | None) -> str:
    """The KPI the map is coloured by (coverage when none is asked for)."""
    if not value:
        return KPIS[0]
    if value not in KPIS:
        raise DomainError(BAD_KPI)
    return value


def band(value: Decimal | None) -> int | None:
    """The band of a share: 0 below 20 %, … 4 from 80 % on; None without data."""
    if value is None:
        return None
    return sum(1 for lower in BANDS if value >= lower)


def bands() -> tuple[tuple[Decimal, Decimal], ...]:
    edges = (Decimal(0), *BANDS, Decimal(1))
    return tuple(pairwise(edges))


def project(coordinates: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Latitude/longitude pairs as points of the drawing box: equirectangular around their mean
    latitude (east-west distances shrink by its cosine), scaled to fit with the same scale on
    both axes, north up. One place, or all at one spot, sits in the middle."""
    if not coordinates:
        return []
    mean = math.radians(sum(lat for lat, _lng in coordinates) / len(coordinates))
    flat = [(lng * math.cos(mean), lat) for lat, lng in coordinates]
    xs, ys = [p[0] for p in flat], [p[1] for p in flat]
    wide, tall = max(xs) - min(xs), max(ys) - min(ys)
    if wide == 0 and tall == 0:
        return [(WIDTH / 2, HEIGHT / 2) for _ in coordinates]
    scale = min(
        (WIDTH - 2 * MARGIN) / wide if wide else math.inf,
        (HEIGHT - 2 * MARGIN) / tall if tall else math.inf,
    )
    middle_x, middle_y = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    return [
        (
            round(WIDTH / 2 + (x - middle_x) * scale, 1),
            round(HEIGHT / 2 - (y - middle_y) * scale, 1),
        )
        for x, y in flat
    ]


async def kpi_map(session: AsyncSession, actor: Actor, units: list[Unit], kpi: str) -> KpiMap:
    """The report's compounds (`units`, the compound level) on the map, coloured by `kpi`."""
    ids = [u.unit_id for u in units]
    rows = await session.exec(
        select(col(Compound.id), col(Compound.latitude), col(Compound.longitude))
        .where(col(Compound.id).in_(ids))
        .where(col(Compound.latitude).is_not(None), col(Compound.longitude).is_not(None))
    )
    found: dict[int, tuple[float, float]] = {
        row_id: (lat, lng)
        for row_id, lat, lng in rows.all()
        if row_id is not None and lat is not None and lng is not None
    }
    placed = [u for u in units if u.unit_id in found]
    readable = await compound_ids(session, actor, Permission.KPI_VIEW) if placed else set()
    points = []
    for unit, (x, y) in zip(placed, project([found[u.unit_id] for u in placed]), strict=True):
        value = getattr(unit.current, kpi)
        points.append(
            Point(
                unit,
                Scope(ScopeKind.COMPOUND, unit.unit_id, unit.name),
                unit.unit_id in readable,
                x,
                y,
                value,
                band(value),
            )
        )
    missing = [u for u in units if u.unit_id not in found]
    return KpiMap(kpi, points, missing, bands())
