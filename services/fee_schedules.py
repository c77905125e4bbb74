"""A compound's fee over time: a new price from a date (the old one ends the day before, an
announced one it overtakes is replaced), the end of a fee, what is in force on a day, and the
settling of days already billed when such a change moves them to another price.

Days already billed keep their bills; the difference for the days that changed hands is settled
at once: an adjustment bill (调价补差) when they now cost more, a credit that pays the next bills
when they cost less (or the fee ended). `services.billing` turns credits into allocations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.db import dialect, insert_many, rows
from core.i18n import N_
from models import Bill, BillingPeriod, Compound, FeeCredit, FeeSchedule
from services import audit
from services.actors import Actor
from services.errors import DomainError, NotFound
from services.fee_rules import (
    DAY,
    ZERO,
    Term,
    after_end,
    after_start,
    bill_amounts,
    days_in,
    moved,
    terms,
)
from services.policy import Permission, authorize

DEFAULT_FEE = "物业服务费"
ADJUSTMENT_DUE_DAYS = 14  # an adjustment is due two weeks after it is issued, at the earliest
HOME_ZONE = ZoneInfo("Asia/Shanghai")


@dataclass
class Change:
    """What a new price or an end does to a fee: the schedules that now end earlier (with their
    new last day), those replaced entirely, and the homes whose issued bills were settled."""

    schedule: FeeSchedule | None = None
    ended: list[tuple[FeeSchedule, date]] = field(default_factory=list)
    replaced: list[FeeSchedule] = field(default_factory=list)
    adjustments: int = 0
    credits: int = 0
    households: set[int] = field(default_factory=set)


def check_terms(schedule: FeeSchedule) -> None:
    """A schedule's terms, before it is saved."""
    price = Decimal(schedule.price_per_m2)
    if not Decimal("0") < price <= Decimal("100") or price != price.quantize(Decimal("0.0001")):
        raise DomainError(
            N_(
                "The price must be between 0 and 100 yuan per ㎡ per month, with at most 4 decimals."
            )
        )
    if schedule.period not in {p.value for p in BillingPeriod}:
        raise DomainError(
            N_("The billing period must be monthly, quarterly, half-yearly or yearly.")
        )
    if not 1 <= schedule.due_day <= 28:
        raise DomainError(N_("The due day must be between 1 and 28."))
    if not Decimal(0) <= Decimal(schedule.subsidy_share) < Decimal(1):
        raise DomainError(
            N_("The subsidy share must be at least 0 and less than 1 (e.g. 0.3 for 30 %).")
        )
    rate = schedule.late_charge_daily_rate
    if rate is not None and not Decimal(0) < Decimal(rate) <= Decimal("0.001"):
        raise DomainError(
            N_(
                "A late charge, if the contract has one, must be a daily rate above 0 and at most 0.1 %."
            )
        )
    if not Decimal(0) <= Decimal(schedule.late_charge_cap) <= Decimal(1):
        raise DomainError(N_("The late charge cap must be between 0 and 1 of the unpaid amount."))


async def fee(
    session: AsyncSession, compound_id: int, name: str, *, lock: bool = False
) -> list[FeeSchedule]:
    """Every schedule of one fee (same compound and name), oldest first; locked on PostgreSQL
    when it is about to change, so the bill tick and a change never interleave."""
    statement = (
        select(FeeSchedule)
        .where(col(FeeSchedule.compound_id) == compound_id, col(FeeSchedule.name) == name)
        .order_by(col(FeeSchedule.id))
    )
    if lock and dialect(session) == "postgresql":
        statement = statement.with_for_update()
    return list((await session.exec(statement)).all())


def _diff(schedules: list[FeeSchedule], after: list[Term]) -> Change:
    """Which schedules a new timeline ends earlier and which it replaces."""
    last = {t.schedule_id: t.last for t in after}
    change = Change()
    for schedule in schedules:
        if not schedule.active:
            continue
        if schedule.id not in last:
            change.replaced.append(schedule)
        elif last[schedule.id] != (schedule.ends_on or date.max):
            change.ended.append((schedule, last[schedule.id]))
    return change


def preview_start(schedules: list[FeeSchedule], first: date) -> Change:
    """What a new schedule from `first` would do to the fee's schedules, without doing it."""
    return _diff(schedules, after_start(terms(schedules), -1, first))


def preview_end(schedules: list[FeeSchedule], last_day: date) -> Change:
    """What ending the fee after `last_day` would do; refused when nothing is charged later."""
    if not any(t.last > last_day for t in terms(schedules)):
        raise DomainError(
            N_("This fee is not charged after {day}: there is nothing to end."),
            day=last_day,
        )
    return _diff(schedules, after_end(terms(schedules), last_day))


async def preview(
    session: AsyncSession,
    compound_id: int,
    *,
    first: date | None = None,
    last_day: date | None = None,
    name: str = DEFAULT_FEE,
) -> Change:
    """What a new price from `first` (or the end after `last_day`) would do, with the homes
    whose issued bills would be settled; nothing is changed."""
    schedules = await fee(session, compound_id, name)
    if first is not None:
        change, region = preview_start(schedules, first), first
    else:
        assert last_day is not None
        change, region = preview_end(schedules, last_day), last_day + DAY
    ids = [s.id for s in schedules if s.id is not None]
    change.households = set(
        (
            await session.exec(
                select(col(Bill.household_id))
                .where(col(Bill.schedule_id).in_(ids), col(Bill.adjusts_bill_id).is_(None))
                .where(col(Bill.period_end) >= region)
                .distinct()
            )
        ).all()
    )
    return change


def charged_from(schedules: list[FeeSchedule], day: date) -> bool:
    """Whether the fee is charged on `day` or later (so there is something to end)."""
    return any(t.last >= day for t in terms(schedules))


def _apply(change: Change) -> None:
    for schedule in change.replaced:
        schedule.active = False
    for schedule, last in change.ended:
        schedule.ends_on = last


async def start_schedule(
    session: AsyncSession,
    actor: Actor | None,
    *,
    compound_id: int,
    price_per_m2: Decimal,
    period: str,
    due_day: int,
    starts_on: date,
    now: datetime,
    today: date | None = None,
    name: str = DEFAULT_FEE,
    subsidy_share: Decimal = Decimal(0),
    late_charge_daily_rate: Decimal | None = None,
    late_charge_cap: Decimal = Decimal("0.3"),
) -> Change:
    """A new price of a fee from `starts_on`, never earlier: the schedule in force ends the day
    before, and the days from then on already billed are settled."""
    await authorize(session, actor, Permission.FEES_CONFIGURE, compound_id)
    schedule = FeeSchedule(
        compound_id=compound_id,
        name=name,
        price_per_m2=price_per_m2,
        period=period,
        due_day=due_day,
        subsidy_share=subsidy_share,
        late_charge_daily_rate=late_charge_daily_rate,
        late_charge_cap=late_charge_cap,
        starts_on=starts_on,
        created_at=now,
    )
    check_terms(schedule)
    if await session.get(Compound, compound_id) is None:
        raise NotFound(N_("That compound does not exist."))
    schedules = await fee(session, compound_id, name, lock=True)
    before = terms(schedules)
    session.add(schedule)
    await session.flush()
    assert schedule.id is not None
    after = after_start(before, schedule.id, starts_on)
    change = _diff(schedules, after)
    change.schedule = schedule
    _apply(change)
    await _settle(session, [*schedules, schedule], (before, after), starts_on, change, now, today)
    audit.record(
        session,
        at=now,
        actor_id=actor.resident_id if actor else None,
        action="fee.schedule",
        subject_type="compound",
        subject_id=compound_id,
        price=str(price_per_m2),
        period=period,
        starts_on=starts_on.isoformat(),
        ended=[s.id for s, _ in change.ended],
        replaced=[s.id for s in change.replaced],
    )
    return change


async def end_schedule(
    session: AsyncSession,
    actor: Actor | None,
    *,
    compound_id: int,
    last_day: date,
    now: datetime,
    today: date | None = None,
    name: str = DEFAULT_FEE,
) -> Change:
    """The fee is not charged after `last_day`: the schedule in force then ends on it, later
    ones are replaced, days after it already billed are credited back."""
    await authorize(session, actor, Permission.FEES_CONFIGURE, compound_id)
    schedules = await fee(session, compound_id, name, lock=True)
    change = preview_end(schedules, last_day)
    before = terms(schedules)
    _apply(change)
    timelines = (before, after_end(before, last_day))
    await _settle(session, schedules, timelines, last_day + DAY, change, now, today)
    audit.record(
        session,
        at=now,
        actor_id=actor.resident_id if actor else None,
        action="fee.schedule_end",
        subject_type="compound",
        subject_id=compound_id,
        name=name,
        last_day=last_day.isoformat(),
        ended=[s.id for s, _ in change.ended],
        replaced=[s.id for s in change.replaced],
    )
    return change


def _amounts(
    schedule: FeeSchedule | None, area: Decimal, months: int, days: int, period_days: int
) -> tuple[Decimal, Decimal, Decimal]:
    """(gross, subsidy, owed) of `days` of a bill's period under a schedule (nothing: none)."""
    if schedule is None:
        return ZERO, ZERO, ZERO
    return bill_amounts(
        area,
        Decimal(schedule.price_per_m2),
        months,
        Decimal(schedule.subsidy_share),
        days,
        period_days,
    )


async def _settle(
    session: AsyncSession,
    schedules: list[FeeSchedule],
    timelines: tuple[list[Term], list[Term]],
    first: date,
    change: Change,
    now: datetime,
    today: date | None,
) -> None:
    """Issued bills stand; each run of their days from `first` on that now belongs to another
    schedule (or none) is settled by the difference of the two prorated amounts, each by the
    rule of a bill: more → an adjustment bill of the new schedule, less → a credit."""
    by_id = {s.id: s for s in schedules}
    entered = today or now.astimezone(HOME_ZONE).date()
    issued = await rows(
        session,
        sa.select(
            col(Bill.id),
            col(Bill.household_id),
            col(Bill.compound_id),
            col(Bill.period_start),
            col(Bill.period_end),
            col(Bill.months),
            col(Bill.area),
            col(Bill.period_days),
            col(Bill.due_date),
        )
        .where(col(Bill.schedule_id).in_(list(by_id)), col(Bill.adjusts_bill_id).is_(None))
        .where(col(Bill.period_end) >= first)
        .order_by(col(Bill.id)),
    )
    bills: list[dict[str, Any]] = []
    credits: list[dict[str, Any]] = []
    for bill_id, home, compound, start, end, months, area, period_days, due in issued:
        for run in moved(*timelines, (start, end)):
            old, new = by_id.get(run.before), by_id.get(run.after)
            days = days_in(run.days)
            gross, subsidy, owed = _amounts(new, Decimal(area), months, days, period_days)
            was_gross, was_subsidy, was_owed = _amounts(
                old, Decimal(area), months, days, period_days
            )
            common = {
                "household_id": home,
                "compound_id": compound,
                "period_start": run.days[0],
                "period_end": run.days[1],
                "days": days,
                "created_at": now,
            }
            if owed > was_owed and new is not None:
                due_at_earliest = entered + timedelta(days=ADJUSTMENT_DUE_DAYS)
                bills.append(
                    {
                        **common,
                        "schedule_id": new.id,
                        "adjusts_bill_id": bill_id,
                        "period_days": period_days,
                        "months": months,
                        "area": area,
                        "price_per_m2": new.price_per_m2,
                        "gross": gross - was_gross,
                        "subsidy": subsidy - was_subsidy,
                        "amount": owed - was_owed,
                        "paid": ZERO,
                        "paid_off": False,
                        "due_date": max(due, run.days[0], due_at_earliest),
                    }
                )
            elif owed < was_owed:
                credits.append(
                    {
                        **common,
                        "key": f"{bill_id}:{run.days[0].isoformat()}:{run.before}:{run.after}",
                        "bill_id": bill_id,
                        "schedule_id": run.after,
                        "amount": was_owed - owed,
                        "unallocated": was_owed - owed,
                    }
                )
            change.households.add(home)
    change.adjustments += await insert_many(
        session, Bill, bills, skip_conflicts_on=["schedule_id", "household_id", "period_start"]
    )
    change.credits += await insert_many(session, FeeCredit, credits, skip_conflicts_on=["key"])


async def listing(
    session: AsyncSession, compound_ids: list[int], *, limit: int = 12
) -> list[FeeSchedule]:
    """The compounds' schedules, each fee's latest first, at most `limit` per compound."""
    found = list(
        (
            await session.exec(
                select(FeeSchedule)
                .where(col(FeeSchedule.compound_id).in_(compound_ids))
                .order_by(
                    col(FeeSchedule.compound_id),
                    col(FeeSchedule.name),
                    col(FeeSchedule.starts_on).desc(),
                    col(FeeSchedule.id).desc(),
                )
            )
        ).all()
    )
    shown: dict[int, int] = {}
    kept = []
    for schedule in found:
        shown[schedule.compound_id] = shown.get(schedule.compound_id, 0) + 1
        if shown[schedule.compound_id] <= limit:
            kept.append(schedule)
    return kept
