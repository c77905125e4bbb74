"""The figures behind the four KPIs of DOMAIN §4, per compound and per grid and month.

Each figure is one SQL query (GROUP BY over indexed columns) covering all the months asked for;
the levels above a compound add up these numerators and denominators (services.kpi), so every
ratio at every level is exact and shows both. A zero denominator is "no data", never an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, false, func, literal, union
from sqlalchemy import select as sql_select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from core.db import rows
from models import (
    SERVICES,
    Ballot,
    Bill,
    Compound,
    EligibleHome,
    Household,
    NoticeAck,
    ServiceModel,
    SurveyAnswer,
    Ticket,
)
from services.billing import add_months


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
    # per service: [answers, answers scoring 4 or 5, sum of scores]
    services: dict[str, list[int]] = field(default_factory=lambda: {s: [0, 0, 0] for s in SERVICES})

    def add(self, other: Figures) -> None:
        for item in fields(self):
            if item.name == "services":
                for service, values in other.services.items():
                    self.add_service(service, values)
            else:
                setattr(self, item.name, getattr(self, item.name) + getattr(other, item.name))

    def add_service(self, service: str, values: list[int]) -> None:
        self.services[service] = [
            a + b for a, b in zip(self.services.get(service, [0, 0, 0]), values, strict=True)
        ]

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
    def homes_collection(self) -> Decimal | None:
        """DOMAIN §4's second fee figure: homes fully paid / homes billed."""
        return self.ratio(self.homes_paid, self.homes_billed)

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

    def service_satisfaction(self, service: str) -> Decimal | None:
        answers, satisfied, _sum = self.services.get(service, [0, 0, 0])
        return self.ratio(satisfied, answers)


def month_bounds(month: str, tz: ZoneInfo) -> tuple[datetime, datetime, date, date]:
    """(start, end) instants of a local month, and its first and last day."""
    first = date(int(month[:4]), int(month[5:]), 1)
    following = add_months(first, 1)
    start = datetime.combine(first, time(0), tzinfo=tz)
    end = datetime.combine(following, time(0), tzinfo=tz)
    return start, end, first, date.fromordinal(following.toordinal() - 1)


def _month_of(column: Any, bounds: dict[str, tuple[Any, Any]]) -> Any:
    """SQL: which of the months (start inclusive, end exclusive) a time or date column falls in."""
    return case(
        *[
            (and_(column >= low, column < high), literal(month))
            for month, (low, high) in bounds.items()
        ],
        else_=None,
    )


def _money(value: Any) -> Decimal:
    """SQL sums of money: exact NUMERIC on PostgreSQL; on SQLite a float sum, rounded to the fen."""
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


Found = dict[str, dict[str, dict[int, Figures]]]  # month → "compound" | "grid" → id → figures


class _Tally:
    """The figures being added up, per month, level and unit."""

    def __init__(self, months: tuple[str, ...], tz: ZoneInfo) -> None:
        self.months = months
        self.instants = {m: month_bounds(m, tz)[:2] for m in months}
        self.days = {
            m: (month_bounds(m, tz)[2], add_months(month_bounds(m, tz)[2], 1)) for m in months
        }
        self.since = min(low for low, _ in self.instants.values())
        self.until = max(high for _, high in self.instants.values())
        self.found: Found = {m: {"compound": {}, "grid": {}} for m in months}

    def units(self, month: str, compound_id: int, grid_id: int | None) -> list[Figures]:
        """The compound's figures and its grid's (a home outside any grid counts in the
        compound only)."""
        places = [("compound", compound_id)] + ([("grid", grid_id)] if grid_id is not None else [])
        return [self.found[month][level].setdefault(unit, Figures()) for level, unit in places]

    def add(self, month: str, compound_id: int, grid_id: int | None, **values: Any) -> None:
        for figure in self.units(month, compound_id, grid_id):
            for name, value in values.items():
                setattr(figure, name, getattr(figure, name) + value)


async def figures(
    session: AsyncSession, compound_ids: Any, months: tuple[str, ...], tz: ZoneInfo
) -> Found:
    """Figures per month, then per level ("compound", "grid") and unit id, for the compounds that
    `compound_ids` (a SELECT) yields."""
    tally = _Tally(months, tz)
    await _households_and_coverage(session, tally, compound_ids)
    await _participation(session, tally, compound_ids)
    await _fee_collection(session, tally, compound_ids)
    await _satisfaction(session, tally, compound_ids)
    await _tickets(session, tally, compound_ids)
    return tally.found


PLACE = (col(Household.compound_id), col(Household.grid_id))


async def _households_and_coverage(session: AsyncSession, tally: _Tally, compound_ids: Any) -> None:
    """Households, and coverage: every compound counts, also one whose homes are not loaded yet."""
    service = dict(
        await rows(
            session,
            sql_select(col(Compound.id), col(Compound.service_model)).where(
                col(Compound.id).in_(compound_ids)
            ),
        )
    )
    grid_compounds: dict[int, set[int]] = {}
    found = await rows(
        session,
        sql_select(*PLACE, func.count())
        .where(col(Household.compound_id).in_(compound_ids))
        .group_by(*PLACE),
    )
    for compound_id, grid_id, households in found:
        for month in tally.months:
            tally.add(month, compound_id, grid_id, households=households)
        if grid_id is not None:
            grid_compounds.setdefault(grid_id, set()).add(compound_id)
    for month in tally.months:
        for compound_id, model in service.items():
            figure = tally.found[month]["compound"].setdefault(compound_id, Figures())
            figure.compounds, figure.covered = 1, int(model != ServiceModel.NONE)
        for grid_id, compounds in grid_compounds.items():
            figure = tally.found[month]["grid"][grid_id]
            figure.compounds = len(compounds)
            figure.covered = sum(service.get(c) != ServiceModel.NONE for c in compounds)


async def _participation(session: AsyncSession, tally: _Tally, compound_ids: Any) -> None:
    """A home counts once a month whatever it did (UNION removes repeats): a vote cast, a survey
    answer, a ticket reported, a notice acknowledged."""
    instants, since, until = tally.instants, tally.since, tally.until
    engaged = union(
        sql_select(
            col(EligibleHome.household_id).label("hid"),
            _month_of(col(Ballot.cast_at), instants).label("month"),
        )
        .join(
            Ballot,
            and_(
                col(Ballot.poll_id) == col(EligibleHome.poll_id),
                col(Ballot.voter_key) == col(EligibleHome.voter_key),
            ),
        )
        .where(col(Ballot.cast_at) >= since, col(Ballot.cast_at) < until),
        sql_select(col(SurveyAnswer.household_id), col(SurveyAnswer.month)).where(
            col(SurveyAnswer.month).in_(tally.months)
        ),
        sql_select(col(Ticket.household_id), _month_of(col(Ticket.created_at), instants)).where(
            col(Ticket.created_at) >= since, col(Ticket.created_at) < until
        ),
        sql_select(col(NoticeAck.household_id), _month_of(col(NoticeAck.at), instants)).where(
            col(NoticeAck.at) >= since, col(NoticeAck.at) < until
        ),
    ).subquery()
    found = await rows(
        session,
        sql_select(*PLACE, engaged.c.month, func.count())
        .join(engaged, engaged.c.hid == col(Household.id))
        .where(col(Household.compound_id).in_(compound_ids))
        .group_by(*PLACE, engaged.c.month),
    )
    for compound_id, grid_id, month, count in found:
        tally.add(month, compound_id, grid_id, engaged=count)


async def _fee_collection(session: AsyncSession, tally: _Tally, compound_ids: Any) -> None:
    """Bills due in the month; a home is fully paid when none of them is open."""
    due_month = _month_of(col(Bill.due_date), tally.days).label("month")
    unpaid_home = case((col(Bill.paid_off) == false(), col(Bill.household_id)), else_=None)
    found = await rows(
        session,
        sql_select(
            *PLACE,
            due_month,
            func.sum(col(Bill.amount)),
            func.sum(col(Bill.paid)),
            func.count(func.distinct(col(Bill.household_id))),
            func.count(func.distinct(unpaid_home)),
        )
        .join(Household, col(Household.id) == col(Bill.household_id))
        .where(
            col(Household.compound_id).in_(compound_ids),
            col(Bill.due_date) >= min(d for d, _ in tally.days.values()),
            col(Bill.due_date) < max(d for _, d in tally.days.values()),
        )
        .group_by(*PLACE, due_month),
    )
    for compound_id, grid_id, month, billed, paid, homes, homes_open in found:
        tally.add(
            month,
            compound_id,
            grid_id,
            billed=_money(billed),
            paid=_money(paid),
            homes_billed=homes,
            homes_paid=homes - homes_open,
        )


async def _satisfaction(session: AsyncSession, tally: _Tally, compound_ids: Any) -> None:
    """The overall score (4 or 5 is satisfied), and each service's."""
    columns = []
    for value in [col(SurveyAnswer.overall)] + [getattr(SurveyAnswer, name) for name in SERVICES]:
        columns += [
            func.count(value),
            func.count(case((value >= 4, 1), else_=None)),
            func.coalesce(func.sum(value), 0),
        ]
    found = await rows(
        session,
        sql_select(*PLACE, col(SurveyAnswer.month), *columns)
        .join(SurveyAnswer, col(SurveyAnswer.household_id) == col(Household.id))
        .where(
            col(Household.compound_id).in_(compound_ids),
            col(SurveyAnswer.month).in_(tally.months),
        )
        .group_by(*PLACE, col(SurveyAnswer.month)),
    )
    for compound_id, grid_id, month, *row in found:
        values = [int(v) for v in row]
        tally.add(
            month,
            compound_id,
            grid_id,
            answers=values[0],
            satisfied=values[1],
            score_sum=values[2],
        )
        for figure in tally.units(month, compound_id, grid_id):
            for index, name in enumerate(SERVICES, start=1):
                figure.add_service(name, values[3 * index : 3 * index + 3])


async def _tickets(session: AsyncSession, tally: _Tally, compound_ids: Any) -> None:
    """Tickets reported in the month (common areas too: those have no home, hence no grid);
    within the service levels when never escalated; their ratings."""
    reported = _month_of(col(Ticket.created_at), tally.instants).label("month")
    found = await rows(
        session,
        sql_select(
            col(Ticket.compound_id),
            col(Household.grid_id),
            reported,
            func.count(),
            func.count(case((col(Ticket.escalation_level) == 0, 1), else_=None)),
            func.count(col(Ticket.rating)),
            func.coalesce(func.sum(col(Ticket.rating)), 0),
        )
        .outerjoin(Household, col(Household.id) == col(Ticket.household_id))
        .where(
            col(Ticket.compound_id).in_(compound_ids),
            col(Ticket.created_at) >= tally.since,
            col(Ticket.created_at) < tally.until,
        )
        .group_by(col(Ticket.compound_id), col(Household.grid_id), reported),
    )
    for compound_id, grid_id, month, tickets, on_time, rated, rating_sum in found:
        tally.add(
            month,
            compound_id,
            grid_id,
            tickets=tickets,
            on_time=on_time,
            rated=rated,
            rating_sum=int(rating_sum),
        )
