"""Billing (DOMAIN §6): bills once per household and day (prorated where a period is shared),
open bills with their late charge, credit (payments in advance and fee credits) and how it pays
bills, history. Every amount is a Decimal rounded to the fen with ROUND_HALF_UP; nothing here
uses floats. The rules (periods, proration) are in services/fee_rules.py, a fee's schedules over
time in services/fee_schedules.py."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import false, or_, true
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.db import dialect, insert_many
from models import (
    Bill,
    FeeCredit,
    FeeCreditAllocation,
    FeeSchedule,
    Household,
    Payment,
    PaymentAllocation,
    pk,
)
from services import fee_schedules
from services.actors import Actor
from services.fee_rules import (
    CENT,
    ZERO,
    Days,
    add_months,
    bill_amounts,
    days_in,
    fen,
    in_force,
    late_charge,
    months_of,
    parse_money,
    periods,
    subtract,
)

# The money rules, re-exported for the callers that know them from here.
__all__ = ["CENT", "ZERO", "add_months", "bill_amounts", "fen", "late_charge", "parse_money"]
PREPAY_MONTHS = 12
CHUNK = 1000
BILL_KEY = ["schedule_id", "household_id", "period_start"]


# --- schedules --------------------------------------------------------------------------------
async def start_schedule(
    session: AsyncSession, actor: Actor | None, **terms: Any
) -> fee_schedules.Change:
    """A new price of a fee from its date (fee_schedules.start_schedule); credits it leaves
    pay the homes' open bills at once."""
    change = await fee_schedules.start_schedule(session, actor, **terms)
    await _allocate_all(session, change.households)
    return change


async def create_schedule(session: AsyncSession, actor: Actor | None, **terms: Any) -> FeeSchedule:
    """A new schedule of a fee from `starts_on` (see start_schedule); the new schedule."""
    change = await start_schedule(session, actor, **terms)
    assert change.schedule is not None
    return change.schedule


async def end_schedule(
    session: AsyncSession, actor: Actor | None, **when: Any
) -> fee_schedules.Change:
    """The fee is not charged after `last_day` (fee_schedules.end_schedule); days after it
    already billed become credit, which pays open bills at once."""
    change = await fee_schedules.end_schedule(session, actor, **when)
    await _allocate_all(session, change.households)
    return change


async def schedules_on(session: AsyncSession, compound_id: int, day: date) -> list[FeeSchedule]:
    """The compound's schedules in force on `day` (one per fee)."""
    found = (
        await session.exec(
            select(FeeSchedule)
            .where(col(FeeSchedule.compound_id) == compound_id, col(FeeSchedule.active))
            .where(col(FeeSchedule.starts_on) <= day)
            .order_by(col(FeeSchedule.id))
        )
    ).all()
    return [s for s in found if in_force(s, day)]


# --- bills ----------------------------------------------------------------------------------------
async def generate_bills(
    session: AsyncSession,
    *,
    today: date,
    now: datetime,
    compound_ids: Iterable[int] | None = None,
    households: Collection[int] | None = None,
) -> int:
    """Each schedule's bills for every period begun by today, for every household with an area:
    for the days of the period the schedule covers that no bill of the same fee has billed yet
    (prorated by day), exactly once however often this runs. Periods a run has billed are not
    looked at again, except the one in progress (for homes added since). Then any credit the
    households hold pays the new bills.

    `households` bills only those homes (a run in parts, each its own short unit of work): the
    schedules' `billed_through` is left as it was, since the other homes are not billed yet, and
    only those homes' credit pays; a run without it afterwards finishes (and finds those homes
    billed)."""
    statement = (
        select(FeeSchedule)
        .where(col(FeeSchedule.active), col(FeeSchedule.starts_on) <= today)
        .where(
            or_(
                col(FeeSchedule.billed_through).is_(None),
                col(FeeSchedule.ends_on).is_(None),
                col(FeeSchedule.billed_through) < col(FeeSchedule.ends_on),
            )
        )
        .order_by(col(FeeSchedule.id))
    )
    if compound_ids is not None:
        statement = statement.where(col(FeeSchedule.compound_id).in_(list(compound_ids)))
    if dialect(session) == "postgresql":  # a change to a fee waits for this run, and vice versa
        statement = statement.with_for_update()
    created = 0
    only = None if households is None else set(households)
    for schedule in (await session.exec(statement)).all():
        created += await _bill_schedule(session, schedule, today, now, only)
    if created:
        await _allocate_all(session, only)
    return created


async def billable_homes(session: AsyncSession, compound_id: int) -> list[tuple[int, Decimal]]:
    """The compound's homes with an area (registered, else surveyed, else contract), by id."""
    homes: list[tuple[int, Decimal]] = []
    for home_id, registered, surveyed, contract in (
        await session.exec(
            select(
                col(Household.id),
                col(Household.registered_area),
                col(Household.surveyed_area),
                col(Household.contract_area),
            )
            .where(col(Household.compound_id) == compound_id)
            .order_by(col(Household.id))
        )
    ).all():
        area = next((a for a in (registered, surveyed, contract) if a is not None), None)
        if home_id is not None and area:
            homes.append((home_id, Decimal(area)))
    return homes


async def _bill_schedule(
    session: AsyncSession,
    schedule: FeeSchedule,
    today: date,
    now: datetime,
    only: set[int] | None = None,
) -> int:
    months = months_of(schedule)
    homes = await billable_homes(session, schedule.compound_id)
    if only is not None:
        homes = [(home_id, area) for home_id, area in homes if home_id in only]
    fee_ids = (
        await session.exec(
            select(col(FeeSchedule.id)).where(
                col(FeeSchedule.compound_id) == schedule.compound_id,
                col(FeeSchedule.name) == schedule.name,
            )
        )
    ).all()
    price, share = Decimal(schedule.price_per_m2), Decimal(schedule.subsidy_share)
    done = schedule.billed_through
    created = 0
    for whole, covered in periods(schedule, today):
        if done is not None and covered[1] <= done and covered[1] < today:
            continue
        billed = await _billed(session, [i for i in fee_ids if i], schedule.compound_id, covered)
        period_days = days_in(whole)
        due = whole[0].replace(day=schedule.due_day)
        bills: list[dict[str, Any]] = []
        for home_id, area in homes:
            for first, last in subtract(covered, billed.get(home_id, ())):
                days = days_in((first, last))
                gross, subsidy, owed = bill_amounts(area, price, months, share, days, period_days)
                bills.append(
                    {
                        "schedule_id": schedule.id,
                        "household_id": home_id,
                        "compound_id": schedule.compound_id,
                        "period_start": first,
                        "period_end": last,
                        "days": days,
                        "period_days": period_days,
                        "months": months,
                        "area": area,
                        "price_per_m2": price,
                        "gross": gross,
                        "subsidy": subsidy,
                        "amount": owed,
                        "paid": ZERO,
                        "paid_off": owed == 0,
                        "due_date": max(due, first),
                        "created_at": now,
                    }
                )
            if len(bills) >= CHUNK * 5:  # in slices, so memory stays flat for a whole city
                created += await insert_many(session, Bill, bills, skip_conflicts_on=BILL_KEY)
                bills = []
        created += await insert_many(session, Bill, bills, skip_conflicts_on=BILL_KEY)
        done = max(done or covered[1], covered[1])
    if only is None:
        schedule.billed_through = done
    return created


async def _billed(
    session: AsyncSession, fee_ids: list[int], compound_id: int, days: Days
) -> dict[int, list[Days]]:
    """The days each home of the compound already has a bill of this fee for, within `days`."""
    found: dict[int, list[Days]] = defaultdict(list)
    for home_id, first, last in (
        await session.exec(
            select(col(Bill.household_id), col(Bill.period_start), col(Bill.period_end))
            .where(col(Bill.compound_id) == compound_id, col(Bill.schedule_id).in_(fee_ids))
            .where(col(Bill.adjusts_bill_id).is_(None))
            .where(col(Bill.period_end) >= days[0], col(Bill.period_start) <= days[1])
        )
    ).all():
        found[home_id].append((first, last))
    return found


@dataclass(frozen=True)
class OpenBill:
    bill: Bill
    remaining: Decimal
    late_charge: (
        Decimal  # accrued under the contract's late-charge term, if any (shown, not billed)
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
    """Money paid in advance plus fee credits from price changes, not yet used on a bill."""
    amounts = (
        await session.exec(
            select(col(Payment.unallocated)).where(
                col(Payment.household_id) == household_id, col(Payment.unallocated) > 0
            )
        )
    ).all()
    credits = (
        await session.exec(
            select(col(FeeCredit.unallocated)).where(
                col(FeeCredit.household_id) == household_id, col(FeeCredit.unallocated) > 0
            )
        )
    ).all()
    return sum((Decimal(a) for a in [*amounts, *credits]), ZERO)


def _owed_a_month(household: Household, schedules: list[FeeSchedule], day: date) -> Decimal:
    return sum(
        (
            bill_amounts(
                household.area or ZERO, Decimal(s.price_per_m2), 1, Decimal(s.subsidy_share)
            )[2]
            for s in schedules
            if in_force(s, day)
        ),
        ZERO,
    )


async def monthly_fee(session: AsyncSession, household: Household, *, on: date) -> Decimal:
    """What the household owes per month under the schedules in force on `on` (after subsidies)."""
    return _owed_a_month(household, await schedules_on(session, household.compound_id, on), on)


async def prepayment_limit(session: AsyncSession, household: Household, *, on: date) -> Decimal:
    """The most a household may pay in advance: the 12 months after `on`'s, each at the prices
    in force on its first day (so a price already announced counts from its month)."""
    schedules = (
        await session.exec(
            select(FeeSchedule).where(
                col(FeeSchedule.compound_id) == household.compound_id, col(FeeSchedule.active)
            )
        )
    ).all()
    return sum(
        (
            _owed_a_month(household, list(schedules), add_months(on.replace(day=1), month))
            for month in range(1, PREPAY_MONTHS + 1)
        ),
        ZERO,
    )


async def allocate(session: AsyncSession, household_id: int) -> list[int]:
    """Pay open bills, oldest due first, from the household's fee credits, then its unallocated
    payments, oldest first. Returns the ids of bills paid off."""
    credits = (
        await session.exec(
            select(FeeCredit)
            .where(col(FeeCredit.household_id) == household_id, col(FeeCredit.unallocated) > 0)
            .order_by(col(FeeCredit.id))
        )
    ).all()
    payments: list[Payment | FeeCredit] = [
        *credits,
        *(
            await session.exec(
                select(Payment)
                .where(col(Payment.household_id) == household_id, col(Payment.unallocated) > 0)
                .order_by(col(Payment.paid_on), col(Payment.id))
            )
        ).all(),
    ]
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
            session.add(
                FeeCreditAllocation(credit_id=pk(payment), bill_id=pk(bill), amount=share)
                if isinstance(payment, FeeCredit)
                else PaymentAllocation(payment_id=pk(payment), bill_id=pk(bill), amount=share)
            )
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


async def _allocate_all(session: AsyncSession, household_ids: set[int] | None) -> None:
    """Let the credit of these households (None: every household holding some) pay their bills."""
    holders = set(
        (
            await session.exec(
                select(col(Payment.household_id)).where(col(Payment.unallocated) > 0).distinct()
            )
        ).all()
    ) | set(
        (
            await session.exec(
                select(col(FeeCredit.household_id)).where(col(FeeCredit.unallocated) > 0).distinct()
            )
        ).all()
    )
    for household_id in sorted(holders if household_ids is None else holders & household_ids):
        await allocate(session, household_id)


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
