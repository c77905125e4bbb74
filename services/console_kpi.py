"""The office console's KPI page: the report of one place (services.kpi_viewers, which checks
the viewer may read it), the way back up to the widest place of the viewer's roles, and the
places one level down, each marked whether the viewer may open it.

The figures are the report's own; this module only says where the place sits and what is
below it. A place is written `kind:id` in the page's address."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_
from models import ScopeKind
from services import kpi_map, kpi_viewers
from services.actors import Actor
from services.coverage import ancestors
from services.errors import DomainError, NotAllowed, NotFound
from services.inputs import id_number
from services.kpi import Figures, Unit, months_to, stars, trend
from services.kpi_map import KpiMap
from services.kpi_viewers import Shown
from services.places import Scope, scope_name
from services.policy import Permission, allowed, rule
from services.surveys import month_of, previous_month

NO_PLACE = N_("There is no such place.")
TREND = 6  # months of the trend, the shown month last
BAD_MONTH = N_("Send the month as YYYY-MM, for example 2026-10.")
# The level a place's rows show: one step down (a grid has none).
CHILDREN: dict[str, str] = {
    "city": "district",
    "district": "sub_district",
    "sub_district": "community",
    "community": "compound",
    "compound": "grid",
}
# The places whose compounds are drawn on the map (a compound's own page has one dot).
MAPPED = ("city", "district", "sub_district", "community")
# The order of the way up (a grid sits in its community).
UP: tuple[str, ...] = ("city", "district", "sub_district", "community", "compound", "grid")


@dataclass(frozen=True)
class Child:
    unit: Unit
    scope: Scope
    may_open: bool


@dataclass(frozen=True)
class Ranked:
    unit: Unit
    stars: int


@dataclass(frozen=True)
class KpiPage:
    shown: Shown
    month: str
    earlier: str  # the month before (a link)
    later: str | None  # the month after, up to the current one (not complete yet)
    trail: list[Scope]  # the way back up, readable places only, the shown place last
    level: str | None  # the level of the rows
    children: list[Child]
    ranking: list[Ranked]
    areas: list[Scope]  # the places of the viewer's roles
    map: KpiMap | None = None  # the compounds in view on a map, above a compound
    trend: list[tuple[str, Figures]] = field(default_factory=list)  # TREND months to `month`


def parse_place(text: str) -> tuple[str, int]:
    """`district:3` into ("district", 3); anything else is no such place."""
    kind, _sep, number = (text or "").strip()[:40].partition(":")
    scope_id = id_number(number)
    if kind not in {k.value for k in ScopeKind} or scope_id is None:
        raise NotFound(NO_PLACE)
    return kind, scope_id


def _next_month(month: str) -> str:
    year, number = int(month[:4]), int(month[5:])
    return f"{year + number // 12}-{number % 12 + 1:02d}"


async def chosen(
    session: AsyncSession, actor: Actor, place: str | None, month: str | None, *, today: date
) -> tuple[list[Scope], str, int, str]:
    """The viewer's areas, and the place and month asked for: the widest area and last month
    by default (whether the viewer may read the place is kpi_viewers' to say)."""
    month = month or previous_month(month_of(today))
    if not kpi_viewers.valid_month(month):
        raise DomainError(BAD_MONTH)
    areas = await kpi_viewers.scopes(session, actor)
    if not areas:
        raise NotAllowed(rule(Permission.KPI_VIEW).refusal)
    kind, scope_id = parse_place(place) if place else (areas[0].kind.value, areas[0].id)
    return areas, kind, scope_id, month


async def page(
    session: AsyncSession,
    actor: Actor,
    place: str | None,
    month: str | None,
    *,
    today: date,
    tz: ZoneInfo,
    map_kpi: str | None = None,
) -> KpiPage:
    """The report of `place` (the widest of the viewer's areas when none) for `month` (last
    month when none), with its compounds on a map coloured by `map_kpi`. A place outside the
    viewer's roles is refused by kpi_viewers."""
    colour = kpi_map.chosen_kpi(map_kpi)
    areas, kind, scope_id, month = await chosen(session, actor, place, month, today=today)
    shown = await kpi_viewers.open_report(session, actor, kind, scope_id, month, tz)
    report = shown.report
    level = CHILDREN.get(shown.scope.kind.value)
    children = []
    if level is not None:
        for unit in report.levels.get(level, []):
            scope = Scope(ScopeKind(level), unit.unit_id, unit.name)
            may = await allowed(session, actor, Permission.KPI_VIEW, scope)
            children.append(Child(unit, scope, may))
    rated = [(u, stars(u.current)) for u in report.levels.get("company", [])]
    ranking = sorted(
        (Ranked(u, n) for u, n in rated if n is not None), key=lambda r: (-r.stars, r.unit.name)
    )
    later = _next_month(month)
    on_map = None
    if shown.scope.kind.value in MAPPED:
        on_map = await kpi_map.kpi_map(session, actor, report.levels.get("compound", []), colour)
    return KpiPage(
        shown=shown,
        month=month,
        earlier=previous_month(month),
        later=later if later <= month_of(today) else None,
        trail=await _trail(session, actor, shown.scope),
        level=level,
        children=children,
        ranking=ranking,
        areas=areas,
        map=on_map,
        trend=await trend(session, shown.scope.kind, shown.scope.id, months_to(month, TREND), tz),
    )


async def trend_of(
    session: AsyncSession,
    actor: Actor,
    place: str | None,
    month: str | None,
    *,
    today: date,
    tz: ZoneInfo,
) -> tuple[Scope, list[tuple[str, Figures]]]:
    """The trend of the page's place (for its chart): refused as the page is."""
    _areas, kind, scope_id, month = await chosen(session, actor, place, month, today=today)
    shown = await kpi_viewers.readable(session, actor, kind, scope_id)
    return shown, await trend(session, shown.kind, shown.id, months_to(month, TREND), tz)


async def _trail(session: AsyncSession, actor: Actor, place: Scope) -> list[Scope]:
    """The places above `place` the viewer may read, widest first, then the place itself."""
    above = await ancestors(session, place.kind, place.id)
    trail = []
    for kind, scope_id in sorted(
        above - {(place.kind.value, place.id)}, key=lambda k: UP.index(k[0])
    ):
        found = Scope(ScopeKind(kind), scope_id, await scope_name(session, kind, scope_id))
        if await allowed(session, actor, Permission.KPI_VIEW, found):
            trail.append(found)
    return [*trail, place]
