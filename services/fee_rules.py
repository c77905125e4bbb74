"""The rules of a fee over time (DOMAIN §6, §9), without the database: money to the fen, the
periods of a schedule, proration by day, which schedule each day belongs to, and which days of
a bill already issued change hands when a new price or an end is entered.

Periods are anchored on the first day of the schedule's starting month and are 1, 3, 6 or 12
months long; the schedule's first and last periods are clipped to its own dates. A clipped (or
shared) period is billed for the days it covers: area × price × months × days ÷ period days,
rounded half up to the fen once.
"""

from __future__ import annotations

import calendar
import itertools
import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from fractions import Fraction

from core.i18n import N_
from models import MONTHS, Bill, BillingPeriod, FeeSchedule
from services.errors import DomainError

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
DAY = timedelta(days=1)
Days = tuple[date, date]  # first and last day, inclusive


def fen(value: Decimal) -> Decimal:
    """Round to the fen (0.01 CNY), half up, as Chinese billing does."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _fen_exact(value: Fraction) -> Decimal:
    """An exact non-negative fraction of a yuan, half up to the fen (no intermediate rounding)."""
    cents = math.floor(value * 100 + Fraction(1, 2))
    return (Decimal(cents) / 100).quantize(CENT)


def parse_money(text: str) -> Decimal:
    """`1234.5`, `¥1,234.50`, `1234.50元` → Decimal('1234.50'); more than 2 decimals is refused."""
    cleaned = unicodedata.normalize("NFKC", text or "").strip()  # full-width digits: １２３
    cleaned = cleaned.replace(",", "").replace("¥", "").removesuffix("元").strip()
    try:
        # Plain digits only: Decimal would also read "1e400" (then fail to round it), "nan", "inf".
        if not re.fullmatch(r"[0-9]{1,10}(\.[0-9]{1,10})?", cleaned):
            raise InvalidOperation
        value = Decimal(cleaned)
    except InvalidOperation:
        raise DomainError(
            N_("“{text}” is not an amount of money."), text=(text or "")[:30]
        ) from None
    if (
        not value.is_finite()
        or value != value.quantize(CENT)
        or value <= 0
        or value >= Decimal("1e10")
    ):
        raise DomainError(N_("“{text}” is not an amount of money."), text=(text or "")[:30])
    return value.quantize(CENT)


def bill_amounts(
    area: Decimal,
    price: Decimal,
    months: int,
    subsidy_share: Decimal,
    days: int = 1,
    period_days: int = 1,
) -> tuple[Decimal, Decimal, Decimal]:
    """(gross, subsidy, owed): gross = area × price × months × days ÷ period days, half up to the
    fen (a whole period when days = period days); the subsidy is the government's share of the
    gross to the fen; the household owes the rest."""
    if days == period_days:  # a whole period: the product is exact in Decimal
        gross = fen(Decimal(area) * Decimal(price) * months)
    else:
        gross = _fen_exact(Fraction(area) * Fraction(price) * months * days / period_days)
    subsidy = fen(gross * Decimal(subsidy_share))
    return gross, subsidy, gross - subsidy


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def months_of(schedule: FeeSchedule) -> int:
    return MONTHS[BillingPeriod(schedule.period)]


def span(schedule: FeeSchedule) -> Days | None:
    """The days a schedule bills: None when it was replaced before its first day."""
    if not schedule.active:
        return None
    return schedule.starts_on, schedule.ends_on or date.max


def periods(schedule: FeeSchedule, until: date) -> list[tuple[Days, Days]]:
    """(whole period, the days of it the schedule covers) for every period that has begun by
    `until`, from the first day of the schedule's starting month."""
    covered = span(schedule)
    if covered is None:
        return []
    months = months_of(schedule)
    first = schedule.starts_on.replace(day=1)
    found = []
    for index in itertools.count():
        start = add_months(first, index * months)
        if start > until or start > covered[1]:
            break
        whole = (start, add_months(first, (index + 1) * months) - DAY)
        found.append((whole, (max(start, covered[0]), min(whole[1], covered[1]))))
    return found


def days_in(days: Days) -> int:
    return (days[1] - days[0]).days + 1


def subtract(days: Days, taken: Iterable[Days]) -> list[Days]:
    """The parts of `days` that none of `taken` covers, in order."""
    free = [days]
    for first, last in sorted(taken):
        rest: list[Days] = []
        for a, b in free:
            if last < a or first > b:
                rest.append((a, b))
                continue
            if a < first:
                rest.append((a, first - DAY))
            if last < b:
                rest.append((last + DAY, b))
        free = rest
    return free


# --- which schedule a day belongs to ----------------------------------------------------------
@dataclass(frozen=True)
class Term:
    """The days one schedule of a fee bills (its last day inclusive; date.max: no end yet)."""

    schedule_id: int
    first: date
    last: date = date.max


def terms(schedules: Iterable[FeeSchedule]) -> list[Term]:
    found = []
    for schedule in schedules:
        covered = span(schedule)
        if covered is not None and schedule.id is not None:
            found.append(Term(schedule.id, *covered))
    return found


def after_start(before: list[Term], schedule_id: int, first: date) -> list[Term]:
    """A new schedule from `first`: each older one ends the day before, one that would start on
    or after that day is replaced entirely; the new one has every day from `first` on."""
    kept = [
        Term(t.schedule_id, t.first, min(t.last, first - DAY)) for t in before if t.first < first
    ]
    return [*kept, Term(schedule_id, first)]


def after_end(before: list[Term], last: date) -> list[Term]:
    """The fee ends after `last`: no schedule has a later day."""
    return [Term(t.schedule_id, t.first, min(t.last, last)) for t in before if t.first <= last]


def owner(timeline: list[Term], day: date) -> int | None:
    return next((t.schedule_id for t in timeline if t.first <= day <= t.last), None)


@dataclass(frozen=True)
class Moved:
    """Days of an issued bill that belonged to one schedule (None: none) and now to another."""

    days: Days
    before: int | None
    after: int | None


def moved(before: list[Term], after: list[Term], billed: Days) -> list[Moved]:
    """The runs of the billed days whose schedule differs between the two timelines."""
    cuts = {billed[0], billed[1] + DAY}
    for term in (*before, *after):
        for day in (term.first, term.last + DAY if term.last < date.max else None):
            if day is not None and billed[0] < day <= billed[1]:
                cuts.add(day)
    edges = sorted(cuts)
    runs: list[Moved] = []
    for first, following in itertools.pairwise(edges):
        pair = (owner(before, first), owner(after, first))
        if pair[0] == pair[1]:
            continue
        if runs and runs[-1].days[1] + DAY == first and (runs[-1].before, runs[-1].after) == pair:
            runs[-1] = Moved((runs[-1].days[0], following - DAY), *pair)
        else:
            runs.append(Moved((first, following - DAY), *pair))
    return runs


# --- what a schedule looks like to the office, and what a bill costs late ----------------------------------------------------
class ScheduleState(StrEnum):
    CURRENT = "current"  # in force today
    ANNOUNCED = "announced"  # starts later
    ENDED = "ended"  # its last day has passed
    REPLACED = "replaced"  # replaced before its first day: it bills nothing


def state(schedule: FeeSchedule, today: date) -> ScheduleState:
    if not schedule.active:
        return ScheduleState.REPLACED
    if schedule.starts_on > today:
        return ScheduleState.ANNOUNCED
    if schedule.ends_on is not None and schedule.ends_on < today:
        return ScheduleState.ENDED
    return ScheduleState.CURRENT


def late_charge(bill: Bill, schedule: FeeSchedule | None, today: date) -> Decimal:
    """Only with a contract term: remaining × daily rate × days overdue, at most the cap × remaining."""
    remaining = Decimal(bill.amount) - Decimal(bill.paid)
    if (
        schedule is None
        or schedule.late_charge_daily_rate is None
        or today <= bill.due_date
        or remaining <= 0
    ):
        return ZERO
    days = (today - bill.due_date).days
    return fen(
        min(
            remaining * Decimal(schedule.late_charge_daily_rate) * days,
            remaining * Decimal(schedule.late_charge_cap),
        )
    )


def in_force(schedule: FeeSchedule, day: date) -> bool:
    covered = span(schedule)
    return covered is not None and covered[0] <= day <= covered[1]
