"""Sequences of fee changes (DOMAIN §9): two changes in one period, a change back, a switch from
monthly to yearly, the tick run many times and after a restart, and random sequences of prices
and ends in which no day is ever billed twice and the money always adds up.

1栋 1单元 101 has 89.50 ㎡: 107.40 a month and 1,288.80 a year at 1.20; 1,611.00 a year at 1.50;
1,933.20 a year at 1.80.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select

from jobs.fees import generate_bills
from models import Bill, FeeCredit, FeeSchedule, Household
from services.errors import DomainError
from services.fee_rules import owner, terms
from tests.test_fee_schedules import _bills, _credits, _end, _home, _on, _price

SHANGHAI = ZoneInfo("Asia/Shanghai")
D = Decimal


async def test_two_changes_in_one_year_and_a_change_back(world):
    home = await _home(world)
    world.clock.set(datetime(2026, 1, 1, 9, 0, tzinfo=SHANGHAI))
    await _price(world, "1.20", date(2026, 1, 1), "yearly")
    await _on(world, date(2026, 1, 1))
    world.clock.set(datetime(2026, 3, 1, 10, 0, tzinfo=SHANGHAI))
    await _price(world, "1.50", date(2026, 4, 1), "yearly")
    world.clock.set(datetime(2026, 3, 15, 10, 0, tzinfo=SHANGHAI))
    await _price(world, "1.80", date(2026, 7, 1), "yearly")
    world.clock.set(datetime(2026, 9, 10, 10, 0, tzinfo=SHANGHAI))
    back = await _price(world, "1.20", date(2026, 10, 1), "yearly")
    assert [s.price_per_m2 for s, _last in back.ended] == [D("1.8000")]
    # 1 Apr – 31 Dec (275 days) 1.20 → 1.50: 1,611.00 × 275 ÷ 365 = 1,213.7671… → 1,213.77 less
    #   1,288.80 × 275 ÷ 365 = 971.0136… → 971.01: 242.76 to pay;
    # 1 Jul – 31 Dec (184 days) 1.50 → 1.80: 1,933.20 × 184 ÷ 365 = 974.5446… → 974.54 less
    #   1,611.00 × 184 ÷ 365 = 812.1205… → 812.12: 162.42 to pay;
    # 1 Oct – 31 Dec (92 days) 1.80 → 1.20: 1,933.20 × 92 ÷ 365 = 487.2723… → 487.27 less
    #   1,288.80 × 92 ÷ 365 = 324.8482… → 324.85: 162.42 back.
    assert [(b[0], b[1], b[2], b[5]) for b in await _bills(world, home)] == [
        (date(2026, 1, 1), date(2026, 12, 31), D("1288.80"), False),
        (date(2026, 4, 1), date(2026, 12, 31), D("242.76"), True),
        (date(2026, 7, 1), date(2026, 12, 31), D("162.42"), True),
    ]
    assert await _credits(world, home) == [
        (date(2026, 10, 1), date(2026, 12, 31), D("162.42"), D("0.00"))
    ]
    # The year costs 1,288.80 + 242.76 + 162.42 − 162.42 = 1,531.56; by the day it would be
    # 1,531.55 (90 + 92 days at 1.20, 91 at 1.50, 92 at 1.80): a fen of rounding, never a day.
    # The last schedule's year runs 1 Oct 2026 – 30 Sep 2027; from 1 Jan 2027 (273 days) it is
    # not billed yet: 1,288.80 × 273 ÷ 365 = 963.9518… → 963.95.
    assert await _on(world, date(2026, 10, 1)) == 60
    assert (await _bills(world, home))[-1][:4] == (
        date(2027, 1, 1),
        date(2027, 9, 30),
        D("963.95"),
        273,
    )


async def test_a_switch_from_monthly_to_yearly_in_the_middle_of_a_month(world):
    home = await _home(world)
    await _price(world, "1.20", date(2026, 11, 1))
    await _on(world, date(2026, 11, 2))
    world.clock.set(datetime(2026, 12, 20, 10, 0, tzinfo=SHANGHAI))
    await _price(world, "1.20", date(2027, 1, 15), "yearly")
    assert await _on(world, date(2027, 1, 1)) == 120  # December, and 1–14 January
    assert await _on(world, date(2027, 1, 15)) == 60
    assert await _on(world, date(2027, 2, 1)) == 0  # yearly now: nothing in February
    # 1–14 January monthly: 107.40 × 14 ÷ 31 = 48.5032… → 48.50; the year from 1 January,
    # billed from the 15th (351 of 365 days): 1,288.80 × 351 ÷ 365 = 1,239.3665… → 1,239.37.
    assert [b[:5] for b in await _bills(world, home)][1:] == [
        (date(2026, 12, 1), date(2026, 12, 31), D("107.40"), 31, 31),
        (date(2027, 1, 1), date(2027, 1, 14), D("48.50"), 14, 31),
        (date(2027, 1, 15), date(2027, 12, 31), D("1239.37"), 351, 365),
    ]


async def test_the_tick_bills_once_however_often_it_runs_and_after_a_restart(world):
    home = await _home(world)
    await _price(world, "1.20", date(2026, 10, 1))
    world.clock.set(datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI))
    await _price(world, "1.50", date(2026, 11, 16))
    assert await _on(world, date(2026, 11, 2)) == 120  # October, and 1–15 November
    for _ in range(3):
        assert await generate_bills(world.runtime) == 0
    await world.restart()
    assert await generate_bills(world.runtime) == 0
    assert await _on(world, date(2026, 11, 16)) == 60
    await world.restart()
    for day in (date(2026, 11, 17), date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 2)):
        await _on(world, day)
    # 107.40 × 15 ÷ 30 = 53.70; 134.25 × 15 ÷ 30 = 67.125 → 67.13 (half up)
    assert [b[:3] for b in await _bills(world, home)] == [
        (date(2026, 10, 1), date(2026, 10, 31), D("107.40")),
        (date(2026, 11, 1), date(2026, 11, 15), D("53.70")),
        (date(2026, 11, 16), date(2026, 11, 30), D("67.13")),
        (date(2026, 12, 1), date(2026, 12, 31), D("134.25")),
    ]
    async with world.session() as session:
        assert len((await session.exec(select(Bill))).all()) == 4 * 60


async def test_a_home_added_later_is_billed_from_the_period_in_progress(world):
    await world.seed_roster()
    await _price(world, "1.20", date(2026, 9, 1))
    assert await _on(world, date(2026, 11, 2)) == 180
    async with world.session() as session:
        home = await session.get(Household, await world.household_id("1栋", "1单元", "101"))
        assert home is not None
        session.add(
            Household(
                compound_id=home.compound_id,
                building_id=home.building_id,
                unit=home.unit,
                room="1901",
                registered_area=D("100.00"),
            )
        )
    assert await _on(world, date(2026, 11, 3)) == 1  # November only, not September or October


@pytest.mark.parametrize("seed", [3, 16, 278, 944])
async def test_random_sequences_of_changes_bill_each_day_once_at_its_price(world, seed):
    """Prices from random dates (past and future), random periods, ends and new starts, entered
    on random days with the tick between: every day of the fee up to today is billed exactly
    once, and what the home owes (bills less credits) is, to the fen per bill, the price in
    force on each day times its share of the period it was billed in."""
    home = await _home(world)
    rng = random.Random(seed)
    today = date(2026, 1, 10)
    world.clock.set(datetime(2026, 1, 10, 10, 0, tzinfo=SHANGHAI))
    await _price(world, "1.20", date(2026, 1, 1), rng.choice(["monthly", "quarterly"]))
    for _step in range(9):
        today += timedelta(days=rng.randint(5, 75))
        await _on(world, today)
        when = today + timedelta(days=rng.randint(-80, 80))
        try:
            if rng.random() < 0.25:
                await _end(world, when)
            else:
                price = str(D(rng.randint(16, 40)) / 20)  # 0.80 – 2.00
                period = rng.choice(["monthly", "quarterly", "half_yearly", "yearly"])
                await _price(world, price, when, period)
        except DomainError:
            continue  # ending a fee that is not charged then
        await _on(world, today)
    await _check_every_day_billed_once_at_its_price(world, home, today)


async def _check_every_day_billed_once_at_its_price(world, home: int, today: date) -> None:
    async with world.session() as session:
        schedules = (await session.exec(select(FeeSchedule).order_by(col(FeeSchedule.id)))).all()
        bills = (await session.exec(select(Bill).where(col(Bill.household_id) == home))).all()
        credits = (
            await session.exec(select(FeeCredit).where(col(FeeCredit.household_id) == home))
        ).all()
    timeline = terms(schedules)
    by_id = {s.id: s for s in schedules}
    billed: dict[date, Bill] = {}
    for bill in (b for b in bills if b.adjusts_bill_id is None):
        day = bill.period_start
        while day <= bill.period_end:
            assert day not in billed, f"{day} billed twice"
            billed[day] = bill
            day += timedelta(days=1)
    ideal = Fraction(0)
    first = min((t.first for t in timeline), default=today)
    day = first
    while day <= today:  # every day the fee is charged up to today has its bill
        if owner(timeline, day) is not None:
            assert day in billed, f"{day} not billed"
        day += timedelta(days=1)
    for day, bill in billed.items():  # what each billed day costs now, by its bill's period
        found = owner(timeline, day)
        if found is not None:
            ideal += (
                Fraction(bill.area)
                * Fraction(by_id[found].price_per_m2)
                * bill.months
                / bill.period_days
            )
    owed = sum((b.amount for b in bills), D(0)) - sum((c.amount for c in credits), D(0))
    rows = len(bills) + len(credits)
    assert abs(Fraction(owed) - ideal) <= Fraction(rows, 100), (owed, float(ideal), rows)
