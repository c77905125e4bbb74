"""Billing (DOMAIN §6): money to the fen, periods, the compound's fee schedules, bills once per
household and period, open bills with their late charge, credit and history. Every amount is a
Decimal rounded to the fen with ROUND_HALF_UP; nothing here uses floats."""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import false, true
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.db import dialect, insert_many
from core.i18n import N_
from models import (
    MONTHS,
    Bill,
    BillingPeriod,
    Compound,
    FeeSchedule,
    Household,
    Payment,
    PaymentAllocation,
    pk,
)
from services import audit
from services.actors import Actor
from services.errors import DomainError, NotFound
from services.policy import Permission, authorize

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
PREPAY_MONTHS = 12
CHUNK = 1000
BILL_KEY = ["schedule_id", "household_id", "period_start"]


def fen(value: Decimal) -> Decimal:
    """Round to the fen (0.01 CNY), half up, as Chinese billing does."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def parse_money(text: str) -> Decimal:
    """`1234.5`, `¥1,234.50`, `1234.50元` → Decimal('1234.50'); more than 2 decimals is refused."""
    cleaned = (
        (text or "").strip().replace(",", "").replace("，", "").replace("¥", "").replace("￥", "")
    )
    cleaned = cleaned.removesuffix("元").strip()
    try:
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


# --- periods ----------------------------------------------------------------------------------
def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def period_starts(schedule: FeeSchedule, today: date) -> list[date]:
    """Every period start from the schedule's start up to the period containing today."""
    months = MONTHS[BillingPeriod(schedule.period)]
    start = schedule.starts_on.replace(day=1)
    starts = []
    while start <= today:
        starts.append(start)
        start = add_months(start, months)
    return starts


def bill_amounts(
    area: Decimal, price: Decimal, months: int, subsidy_share: Decimal
) -> tuple[Decimal, Decimal, Decimal]:
    """(gross, subsidy, owed): gross = area × price × months to the fen; the subsidy is the
    government's share of it to the fen; the household owes the rest."""
    gross = fen(area * price * months)
    subsidy = fen(gross * subsidy_share)
    return gross, subsidy, gross - subsidy


async def create_schedule(
    session: AsyncSession,
    actor: Actor | None,
    *,
    compound_id: int,
    price_per_m2: Decimal,
    period: str,
    due_day: int,
    starts_on: date,
    now: datetime,
    name: str = "物业服务费",
    subsidy_share: Decimal = Decimal(0),
    late_charge_daily_rate: Decimal | None = None,
    late_charge_cap: Decimal = Decimal("0.3"),
) -> FeeSchedule:
    """A compound's fee. A new schedule of the same name replaces the old one from its start."""
    await authorize(session, actor, Permission.FEES_CONFIGURE, compound_id)
    if not Decimal("0") < price_per_m2 <= Decimal("100") or price_per_m2 != price_per_m2.quantize(
        Decimal("0.0001")
    ):
        raise DomainError(
            N_(
                "The price must be between 0 and 100 yuan per ㎡ per month, with at most 4 decimals."
            )
        )
    if period not in {p.value for p in BillingPeriod}:
        raise DomainError(N_("The billing period must be monthly, quarterly or yearly."))
    if not 1 <= due_day <= 28:
        raise DomainError(N_("The due day must be between 1 and 28."))
    if not Decimal(0) <= subsidy_share < Decimal(1):
        raise DomainError(
            N_("The subsidy share must be at least 0 and less than 1 (e.g. 0.3 for 30 %).")
        )
    if late_charge_daily_rate is not None and not Decimal(0) < late_charge_daily_rate <= Decimal(
        "0.001"
    ):
        raise DomainError(
            N_(
                "A late charge, if the contract has one, must be a daily rate above 0 and at most 0.1 %."
            )
        )
    if not Decimal(0) <= late_charge_cap <= Decimal(1):
        raise DomainError(N_("The late charge cap must be between 0 and 1 of the unpaid amount."))
    if await session.get(Compound, compound_id) is None:
        raise NotFound(N_("That compound does not exist."))
    for old in (
        await session.exec(
            select(FeeSchedule).where(
                col(FeeSchedule.compound_id) == compound_id,
                col(FeeSchedule.name) == name,
                col(FeeSchedule.active),
            )
        )
    ).all():
        old.active = False
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
    session.add(schedule)
    await session.flush()
    audit.record(
        session,
        at=now,
        actor_id=actor.resident_id if actor else None,
        action="fee.schedule",
        subject_type="compound",
        subject_id=compound_id,
        price=str(price_per_m2),
        period=period,
    )
    return schedule


async def schedules(session: AsyncSession, compound_id: int) -> list[FeeSchedule]:
    return list(
        (
            await session.exec(
                select(FeeSchedule)
                .where(col(FeeSchedule.compound_id) == compound_id, col(FeeSchedule.active))
                .order_by(col(FeeSchedule.id))
            )
        ).all()
    )


# --- bills ----------------------------------------------------------------------------------------
async def generate_bills(
    session: AsyncSession, *, today: date, now: datetime, compound_ids: Iterable[int] | None = None
) -> int:
    """Each active schedule's bills for every period up to today's, for every household with an
    area: exactly once per (schedule, household, period), however often this runs. Then any
    credit the households hold pays the new bills."""
    statement = (
        select(FeeSchedule)
        .where(col(FeeSchedule.active))
        .where(col(FeeSchedule.starts_on) <= today)
    )
    if compound_ids is not None:
        statement = statement.where(col(FeeSchedule.compound_id).in_(list(compound_ids)))
    created = 0
    for schedule in (await session.exec(statement)).all():
        months = MONTHS[BillingPeriod(schedule.period)]
        homes = (
            await session.exec(
                select(
                    col(Household.id),
                    col(Household.registered_area),
                    col(Household.surveyed_area),
                    col(Household.contract_area),
                ).where(col(Household.compound_id) == schedule.compound_id)
            )
        ).all()
        price, share = Decimal(schedule.price_per_m2), Decimal(schedule.subsidy_share)
        for start in period_starts(schedule, today):
            end = add_months(start, months) - timedelta(days=1)
            due = start.replace(day=schedule.due_day)
            rows: list[dict[str, Any]] = []
            for home_id, registered, surveyed, contract in homes:
                area = next((a for a in (registered, surveyed, contract) if a is not None), None)
                if not area:
                    continue
                gross, subsidy, owed = bill_amounts(Decimal(area), price, months, share)
                rows.append(
                    {
                        "schedule_id": schedule.id,
                        "household_id": home_id,
                        "compound_id": schedule.compound_id,
                        "period_start": start,
                        "period_end": end,
                        "months": months,
                        "area": area,
                        "price_per_m2": price,
                        "gross": gross,
                        "subsidy": subsidy,
                        "amount": owed,
                        "paid": ZERO,
                        "paid_off": owed == 0,
                        "due_date": due,
                        "created_at": now,
                    }
                )
                if len(rows) >= CHUNK * 5:  # in slices, so memory stays flat for a whole city
                    created += await insert_many(session, Bill, rows, skip_conflicts_on=BILL_KEY)
                    rows = []
            created += await insert_many(session, Bill, rows, skip_conflicts_on=BILL_KEY)
    if created:
        credited = (
            await session.exec(
                select(col(Payment.household_id)).where(col(Payment.unallocated) > 0).distinct()
            )
        ).all()
        for household_id in credited:
            await allocate(session, household_id)
    return created


@dataclass(frozen=True)
class OpenBill:
    bill: Bill
    remaining: Decimal
    late_charge: (
        Decimal  # accrued under the contract's late-charge term, if any (shown, not billed)
    )


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


async def open_bills(session: AsyncSession, household_id: int, today: date) -> list[OpenBill]:
    rows = (
        await session.exec(
            select(Bill, FeeSchedule)
            .join(FeeSchedule, col(FeeSchedule.id) == col(Bill.schedule_id))
            .where(col(Bill.household_id) == household_id, (col(Bill.paid_off) == false()))
            .order_by(col(Bill.due_date), col(Bill.id))
        )
    ).all()
    return [
        OpenBill(b, Decimal(b.amount) - Decimal(b.paid), late_charge(b, s, today)) for b, s in rows
    ]


async def credit(session: AsyncSession, household_id: int) -> Decimal:
    amounts = (
        await session.exec(
            select(col(Payment.unallocated)).where(
                col(Payment.household_id) == household_id, col(Payment.unallocated) > 0
            )
        )
    ).all()
    return sum((Decimal(a) for a in amounts), ZERO)


async def monthly_fee(session: AsyncSession, household: Household) -> Decimal:
    """What the household owes per month under the active schedules (after subsidies)."""
    total = ZERO
    for schedule in await schedules(session, household.compound_id):
        _gross, _subsidy, owed = bill_amounts(
            household.area or ZERO,
            Decimal(schedule.price_per_m2),
            1,
            Decimal(schedule.subsidy_share),
        )
        total += owed
    return total


async def allocate(session: AsyncSession, household_id: int) -> list[int]:
    """Pay open bills, oldest due first, from the household's unallocated payments, oldest first.
    Returns the ids of bills paid off."""
    payments = list(
        (
            await session.exec(
                select(Payment)
                .where(col(Payment.household_id) == household_id, col(Payment.unallocated) > 0)
                .order_by(col(Payment.paid_on), col(Payment.id))
            )
        ).all()
    )
    if not payments:
        return []
    statement = (
        select(Bill)
        .where(col(Bill.household_id) == household_id, (col(Bill.paid_off) == false()))
        .order_by(col(Bill.due_date), col(Bill.id))
    )
    if dialect(session) == "postgresql":
        statement = statement.with_for_update()
    paid_off = []
    for bill in (await session.exec(statement)).all():
        for payment in payments:
            remaining = Decimal(bill.amount) - Decimal(bill.paid)
            available = Decimal(payment.unallocated)
            if remaining <= 0:
                break
            if available <= 0:
                continue
            share = min(remaining, available)
            payment.unallocated = available - share
            bill.paid = Decimal(bill.paid) + share
            session.add(PaymentAllocation(payment_id=pk(payment), bill_id=pk(bill), amount=share))
        if Decimal(bill.amount) - Decimal(bill.paid) <= 0:
            bill.paid_off = True
            paid_off.append(pk(bill))
    await session.flush()
    return paid_off


async def deallocate(session: AsyncSession, payment: Payment) -> list[int]:
    """Undo what a payment paid (a reversal), as its allocations negated (the trail stays); its
    credit is gone. Returns the bills open again; the caller re-allocates other credit."""
    net: dict[int, Decimal] = {}
    for bill_id, amount in await session.exec(
        select(col(PaymentAllocation.bill_id), col(PaymentAllocation.amount)).where(
            col(PaymentAllocation.payment_id) == pk(payment)
        )
    ):
        net[bill_id] = net.get(bill_id, ZERO) + Decimal(amount)
    statement = select(Bill).where(col(Bill.id).in_([b for b, a in net.items() if a != 0]))
    if dialect(session) == "postgresql":
        statement = statement.with_for_update()
    reopened: list[int] = []
    for bill in (await session.exec(statement.order_by(col(Bill.id)))).all():
        bill.paid = Decimal(bill.paid) - net[pk(bill)]
        session.add(
            PaymentAllocation(payment_id=pk(payment), bill_id=pk(bill), amount=-net[pk(bill)])
        )
        if bill.paid_off and Decimal(bill.amount) - Decimal(bill.paid) > 0:
            bill.paid_off = False
            reopened.append(pk(bill))
    payment.unallocated = ZERO
    await session.flush()
    return reopened


async def outstanding(session: AsyncSession, household_id: int) -> Decimal:
    rows = (
        await session.exec(
            select(col(Bill.amount), col(Bill.paid)).where(
                col(Bill.household_id) == household_id, (col(Bill.paid_off) == false())
            )
        )
    ).all()
    return sum((Decimal(a) - Decimal(p) for a, p in rows), ZERO)


async def history(
    session: AsyncSession, household_id: int, limit: int = 6
) -> tuple[list[Bill], list[Payment]]:
    bills = list(
        (
            await session.exec(
                select(Bill)
                .where(col(Bill.household_id) == household_id, (col(Bill.paid_off) == true()))
                .order_by(col(Bill.due_date).desc())
                .limit(limit)
            )
        ).all()
    )
    payments = list(
        (
            await session.exec(
                select(Payment)
                .where(col(Payment.household_id) == household_id)
                .order_by(col(Payment.paid_on).desc(), col(Payment.id).desc())
                .limit(limit)
            )
        ).all()
    )
    return bills, payments
