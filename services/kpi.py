"""The four KPIs of DOMAIN §4 and the monthly info report (信息月报).

Each figure is aggregated in SQL per compound and per grid (GROUP BY over indexed columns); the
levels above a compound (company, community, sub-district, district, city) add up the compound
rows' numerators and denominators, so every ratio at every level is exact and shows both.
A ratio with a zero denominator is "no data", never an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, false, func, literal, union
from sqlalchemy import select as sql_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_
from models import (
    SERVICES,
    Ballot,
    Bill,
    City,
    Community,
    Compound,
    District,
    EligibleHome,
    Grid,
    Household,
    NoticeAck,
    PropertyCompany,
    ServiceModel,
    SubDistrict,
    SurveyAnswer,
    Ticket,
)
from services.billing import add_months
from services.places import compound_ids_in_scope
from services.surveys import previous_month

LEVELS = ("city", "district", "sub_district", "community", "company", "grid", "compound")
LEVEL_NAMES = {
    "city": N_("city"), "district": N_("district"), "sub_district": N_("sub-district"),
    "community": N_("community"), "company": N_("property company"), "grid": N_("grid"),
    "compound": N_("compound"),
}  # fmt: skip


@dataclass
class Figures:
    """Numerators and denominators of one unit for one month."""

    compounds: int = 0
    covered: int = 0
    households: int = 0
    engaged: int = 0
    billed: Decimal = Decimal("0.00")
    paid: Decimal = Decimal("0.00")
    homes_billed: int = 0
    homes_paid: int = 0
    answers: int = 0
    satisfied: int = 0
    score_sum: int = 0
    tickets: int = 0
    on_time: int = 0
    rated: int = 0
    rating_sum: int = 0
    services: dict[str, list[int]] = field(default_factory=lambda: {s: [0, 0, 0] for s in SERVICES})

    def add(self, other: Figures) -> None:
        for item in fields(self):
            if item.name == "services":
                for service, values in other.services.items():
                    self.services[service] = [
                        a + b for a, b in zip(self.services[service], values, strict=True)
                    ]
            else:
                setattr(self, item.name, getattr(self, item.name) + getattr(other, item.name))

    @staticmethod
    def ratio(numerator: Any, denominator: Any) -> Decimal | None:
        return Decimal(numerator) / Decimal(denominator) if denominator else None

    @property
    def coverage(self) -> Decimal | None:
        return self.ratio(self.covered, self.compounds)

    @property
    def participation(self) -> Decimal | None:
        return self.ratio(self.engaged, self.households)

    @property
    def collection(self) -> Decimal | None:
        return self.ratio(self.paid, self.billed)

    @property
    def satisfaction(self) -> Decimal | None:
        return self.ratio(self.satisfied, self.answers)

    @property
    def mean_score(self) -> Decimal | None:
        return self.ratio(self.score_sum, self.answers)

    @property
    def sla(self) -> Decimal | None:
        return self.ratio(self.on_time, self.tickets)

    @property
    def mean_rating(self) -> Decimal | None:
        return self.ratio(self.rating_sum, self.rated)


@dataclass
class Unit:
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

    @property
    def total(self) -> Unit:
        """The whole scope (the sum over its compounds)."""
        current, previous = Figures(), Figures()
        for unit in self.levels["compound"]:
            current.add(unit.current)
            previous.add(unit.previous)
        return Unit("scope", 0, self.scope_name, current, previous)


def month_bounds(month: str, tz: ZoneInfo) -> tuple[datetime, datetime, date, date]:
    """(start, end) instants of a local month, and its first and last day."""
    first = date(int(month[:4]), int(month[5:]), 1)
    following = add_months(first, 1)
    start = datetime.combine(first, time(0), tzinfo=tz)
    end = datetime.combine(following, time(0), tzinfo=tz)
    return start, end, first, date.fromordinal(following.toordinal() - 1)


def _month_of(column: Any, bounds: dict[str, tuple[Any, Any]]) -> Any:
    """SQL: which of the months (start inclusive, end exclusive) a time or date column falls in."""
    return case(*[(and_(column >= low, column < high), literal(month)) for month, (low, high) in bounds.items()],
                else_=None)  # fmt: skip


async def figures(
    session: AsyncSession, compound_ids: Any, months: tuple[str, ...], tz: ZoneInfo
) -> dict[str, dict[str, dict[int, Figures]]]:
    """Figures per month, then per level ("compound", "grid") and unit id, for the compounds that
    `compound_ids` (a SELECT) yields. Each figure is one SQL query over all the months at once,
    grouped by compound, grid and month; the compound and grid rows are added up from those."""
    instants = {m: month_bounds(m, tz)[:2] for m in months}
    days = {m: (month_bounds(m, tz)[2], add_months(month_bounds(m, tz)[2], 1)) for m in months}
    since, until = (
        min(low for low, _ in instants.values()),
        max(high for _, high in instants.values()),
    )
    found: dict[str, dict[str, dict[int, Figures]]] = {
        m: {"compound": {}, "grid": {}} for m in months
    }
    in_scope = col(Household.compound_id).in_(compound_ids)
    place = (Household.compound_id, Household.grid_id)

    def units(month: str, compound_id: int, grid_id: int | None) -> list[Figures]:
        places = [("compound", compound_id)] + ([("grid", grid_id)] if grid_id is not None else [])
        return [found[month][level].setdefault(unit_id, Figures()) for level, unit_id in places]

    def add(month: str, compound_id: int, grid_id: int | None, **values: Any) -> None:
        for figure in units(month, compound_id, grid_id):
            for name, value in values.items():
                setattr(figure, name, getattr(figure, name) + value)

    # Households, and coverage: every compound counts, also one whose homes are not loaded yet.
    service = dict((await session.exec(
        sql_select(Compound.id, Compound.service_model).where(col(Compound.id).in_(compound_ids))
    )).all())  # fmt: skip
    grid_compounds: dict[int, set[int]] = {}
    for compound_id, grid_id, households in (await session.exec(
        sql_select(*place, func.count()).where(in_scope).group_by(*place)
    )).all():  # fmt: skip
        for month in months:
            add(month, compound_id, grid_id, households=households)
        if grid_id is not None:
            grid_compounds.setdefault(grid_id, set()).add(compound_id)
    for month in months:
        for compound_id, model in service.items():
            figure = found[month]["compound"].setdefault(compound_id, Figures())
            figure.compounds, figure.covered = 1, int(model != ServiceModel.NONE)
        for grid_id, compounds in grid_compounds.items():
            figure = found[month]["grid"][grid_id]
            figure.compounds = len(compounds)
            figure.covered = sum(service.get(c) != ServiceModel.NONE for c in compounds)

    # Participation: a home counts once a month whatever it did (UNION removes repeats).
    engaged = union(
        sql_select(EligibleHome.household_id.label("hid"), _month_of(Ballot.cast_at, instants).label("month"))
        .join(Ballot, and_(Ballot.poll_id == EligibleHome.poll_id, Ballot.voter_key == EligibleHome.voter_key))
        .where(Ballot.cast_at >= since, Ballot.cast_at < until),
        sql_select(SurveyAnswer.household_id, SurveyAnswer.month).where(col(SurveyAnswer.month).in_(months)),
        sql_select(Ticket.household_id, _month_of(Ticket.created_at, instants))
        .where(Ticket.created_at >= since, Ticket.created_at < until),
        sql_select(NoticeAck.household_id, _month_of(NoticeAck.at, instants))
        .where(NoticeAck.at >= since, NoticeAck.at < until),
    ).subquery()  # fmt: skip
    for compound_id, grid_id, month, count in (await session.exec(
        sql_select(*place, engaged.c.month, func.count()).join(engaged, engaged.c.hid == Household.id)
        .where(in_scope).group_by(*place, engaged.c.month)
    )).all():  # fmt: skip
        add(month, compound_id, grid_id, engaged=count)

    # Fee collection: bills due in the month; a home is fully paid when none of them is open.
    due_month = _month_of(Bill.due_date, days).label("month")
    unpaid_home = case((Bill.paid_off == false(), Bill.household_id), else_=None)
    for compound_id, grid_id, month, billed, paid, homes, homes_open in (await session.exec(
        sql_select(*place, due_month, func.sum(Bill.amount), func.sum(Bill.paid), func.count(func.distinct(Bill.household_id)),
                   func.count(func.distinct(unpaid_home)))
        .join(Household, Household.id == Bill.household_id)
        .where(in_scope, Bill.due_date >= min(d for d, _ in days.values()), Bill.due_date < max(d for _, d in days.values()))
        .group_by(*place, due_month)
    )).all():  # fmt: skip
        add(month, compound_id, grid_id, billed=_money(billed), paid=_money(paid), homes_billed=homes,
            homes_paid=homes - homes_open)  # fmt: skip

    # Satisfaction: the overall score and each service's.
    columns = [func.count(SurveyAnswer.overall), func.count(case((SurveyAnswer.overall >= 4, 1), else_=None)),
               func.coalesce(func.sum(SurveyAnswer.overall), 0)]  # fmt: skip
    for name in SERVICES:
        value = getattr(SurveyAnswer, name)
        columns += [
            func.count(value),
            func.count(case((value >= 4, 1), else_=None)),
            func.coalesce(func.sum(value), 0),
        ]
    for compound_id, grid_id, month, *row in (await session.exec(
        sql_select(*place, SurveyAnswer.month, *columns).join(SurveyAnswer, SurveyAnswer.household_id == Household.id)
        .where(in_scope, col(SurveyAnswer.month).in_(months)).group_by(*place, SurveyAnswer.month)
    )).all():  # fmt: skip
        add(
            month,
            compound_id,
            grid_id,
            answers=int(row[0]),
            satisfied=int(row[1]),
            score_sum=int(row[2]),
        )
        for figure in units(month, compound_id, grid_id):
            for index, name in enumerate(SERVICES):
                values = [int(v) for v in row[3 + 3 * index : 6 + 3 * index]]
                figure.services[name] = [
                    a + b for a, b in zip(figure.services[name], values, strict=True)
                ]

    # Tickets reported in the month (common areas too: those have no home, hence no grid): within
    # the service levels when never escalated; their ratings.
    reported = _month_of(Ticket.created_at, instants).label("month")
    for compound_id, grid_id, month, tickets, on_time, rated, rating_sum in (await session.exec(
        sql_select(Ticket.compound_id, Household.grid_id, reported, func.count(),
                   func.count(case((Ticket.escalation_level == 0, 1), else_=None)), func.count(Ticket.rating),
                   func.coalesce(func.sum(Ticket.rating), 0))
        .outerjoin(Household, Household.id == Ticket.household_id)
        .where(col(Ticket.compound_id).in_(compound_ids), Ticket.created_at >= since, Ticket.created_at < until)
        .group_by(Ticket.compound_id, Household.grid_id, reported)
    )).all():  # fmt: skip
        add(
            month,
            compound_id,
            grid_id,
            tickets=tickets,
            on_time=on_time,
            rated=rated,
            rating_sum=int(rating_sum),
        )
    return found


def _money(value: Any) -> Decimal:
    """SQL sums of money: exact NUMERIC on PostgreSQL; on SQLite a float sum, rounded to the fen."""
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


async def report(
    session: AsyncSession, kind: str, scope_id: int, scope_name: str, month: str, tz: ZoneInfo
) -> Report:
    """Every level inside a scope, for a month and the month before."""
    compound_ids = compound_ids_in_scope(kind, scope_id)
    both = await figures(session, compound_ids, (month, previous_month(month)), tz)
    current, previous = both[month], both[previous_month(month)]
    places = (await session.exec(
        select(Compound.id, Compound.name, Compound.company_id, Compound.community_id, Community.sub_district_id,
               SubDistrict.district_id, District.city_id)
        .join(Community, Community.id == Compound.community_id)
        .join(SubDistrict, SubDistrict.id == Community.sub_district_id)
        .join(District, District.id == SubDistrict.district_id)
        .where(col(Compound.id).in_(compound_ids))
    )).all()  # fmt: skip
    names = await _names(session)
    levels: dict[str, list[Unit]] = {}
    parents = {"company": 2, "community": 3, "sub_district": 4, "district": 5, "city": 6}
    for level in LEVELS:
        if level == "grid":
            grid_ids = sorted(set(current["grid"]) | set(previous["grid"]))
            levels[level] = [Unit(level, g, names["grid"].get(g, str(g)), current["grid"].get(g, Figures()),
                                  previous["grid"].get(g, Figures())) for g in grid_ids]  # fmt: skip
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
    return Report(month, scope_name, levels)


async def _names(session: AsyncSession) -> dict[str, dict[int, str]]:
    tables = {"city": City, "district": District, "sub_district": SubDistrict, "community": Community,
              "company": PropertyCompany, "grid": Grid}  # fmt: skip
    return {
        level: dict((await session.exec(select(table.id, table.name))).all())
        for level, table in tables.items()
    }


# --- five-star ranking ---------------------------------------------------------------------------
def stars(figures: Figures) -> int | None:
    """Five-star rating (五星级) of a property company from its month: a score out of 100 —
    satisfaction 40, fee collection 20, SLA compliance 20, participation 10, mean ticket rating
    10 (as a share of 5) — then ★ = 1 + score // 20 (capped at 5). No data without survey answers."""
    if figures.satisfaction is None:
        return None
    parts = [
        (figures.satisfaction, 40), (figures.collection, 20), (figures.sla, 20), (figures.participation, 10),
        (figures.mean_rating / 5 if figures.mean_rating is not None else None, 10),
    ]  # fmt: skip
    score = sum((value * weight for value, weight in parts if value is not None), Decimal(0))
    return min(5, 1 + int(score) // 20)


# --- who sees which report -------------------------------------------------------------------------
VIEWER_ROLES = {"officer", "supervisor", "liaison", "committee", "admin"}


@dataclass(frozen=True)
class Scope:
    kind: str
    scope_id: int
    name: str


async def viewer_scopes(session: AsyncSession, actor: Any) -> list[Scope]:
    """The scopes of the actor's officer, supervisor, liaison, committee and admin roles."""
    from services.places import scope_name

    found: dict[tuple[str, int], Scope] = {}
    for grant in actor.roles:
        if grant.role in VIEWER_ROLES and (grant.scope_kind, grant.scope_id) not in found:
            name = await scope_name(session, grant.scope_kind, grant.scope_id)
            found[(grant.scope_kind, grant.scope_id)] = Scope(
                grant.scope_kind, grant.scope_id, name
            )
    return sorted(
        found.values(), key=lambda s: (LEVELS.index(s.kind) if s.kind in LEVELS else 9, s.name)
    )


async def require_scope(session: AsyncSession, actor: Any, kind: str, scope_id: int) -> Scope:
    from services.errors import NotAllowed

    for scope in await viewer_scopes(session, actor):
        if (scope.kind, scope.scope_id) == (kind, scope_id):
            return scope
    raise NotAllowed(N_("You can see the reports of your own area only."))


async def toggle_subscription(
    session: AsyncSession, actor: Any, scope: Scope, *, now: datetime
) -> bool:
    """Subscribe to (or stop) the monthly report of a scope; True when now subscribed."""
    from models import KpiSubscription

    key = (actor.resident_id, scope.kind, scope.scope_id)
    existing = await session.get(KpiSubscription, key)
    if existing is not None:
        await session.delete(existing)
        return False
    session.add(
        KpiSubscription(
            resident_id=actor.resident_id,
            scope_kind=scope.kind,
            scope_id=scope.scope_id,
            created_at=now,
        )
    )
    return True


async def is_subscribed(session: AsyncSession, actor: Any, scope: Scope) -> bool:
    from models import KpiSubscription

    return (
        await session.get(KpiSubscription, (actor.resident_id, scope.kind, scope.scope_id))
        is not None
    )
