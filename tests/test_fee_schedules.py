"""A fee's price over time (DOMAIN §9): a new price from its own date, never earlier; periods
that straddle a change prorated by day to the fen; no day billed twice, whatever the sequence
of changes; issued bills stand and the difference is settled (调价补差 or a credit).

Every amount is worked out by hand for 1栋 1单元 101 (89.50 ㎡): 89.50 × 1.20 = 107.40 a month,
× 12 = 1,288.80 a year; 89.50 × 1.50 = 134.25 a month, 1,611.00 a year.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select

from jobs.fees import generate_bills
from models import Bill, FeeCredit, FeeSchedule, Household
from services import billing
from services.errors import DomainError
from services.fee_rules import ScheduleState, state

SHANGHAI = ZoneInfo("Asia/Shanghai")
D = Decimal


async def _on(world, day: date, hour: int = 9) -> int:
    """The clock to `day` and the bill tick run (twice: the second run makes nothing)."""
    world.clock.set(datetime(day.year, day.month, day.day, hour, 0, tzinfo=SHANGHAI))
    made = await generate_bills(world.runtime)
    assert await generate_bills(world.runtime) == 0
    return made


async def _price(world, price: str, starts: date, period: str = "monthly", **terms):
    async with world.session() as session:
        return await billing.start_schedule(
            session,
            None,
            compound_id=1,
            price_per_m2=D(price),
            period=period,
            due_day=terms.pop("due_day", 15),
            starts_on=starts,
            now=world.clock.now(),
            **terms,
        )


async def _end(world, last_day: date):
    async with world.session() as session:
        return await billing.end_schedule(
            session, None, compound_id=1, last_day=last_day, now=world.clock.now()
        )


async def _bills(world, home: int) -> list[tuple]:
    """(first day, last day, amount, days, period days, adjustment?, due) in order."""
    async with world.session() as session:
        found = (
            await session.exec(
                select(Bill)
                .where(col(Bill.household_id) == home)
                .order_by(col(Bill.period_start), col(Bill.id))
            )
        ).all()
    return [
        (
            b.period_start,
            b.period_end,
            b.amount,
            b.days,
            b.period_days,
            b.adjusts_bill_id is not None,
            b.due_date,
        )
        for b in found
    ]


async def _credits(world, home: int) -> list[tuple]:
    async with world.session() as session:
        found = (
            await session.exec(select(FeeCredit).where(col(FeeCredit.household_id) == home))
        ).all()
    return [(c.period_start, c.period_end, c.amount, c.unallocated) for c in found]


async def _home(world) -> int:
    await world.seed_roster()
    return await world.household_id("1栋", "1单元", "101")


async def test_a_price_announced_for_january_leaves_december_at_the_old_price(world):
    """The defect: the new schedule switched the old one off at once, so December came to ¥0."""
    home = await _home(world)
    await _price(world, "1.20", date(2026, 11, 1), due_day=20)
    assert await _on(world, date(2026, 11, 2)) == 60
    world.clock.set(datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI))
    change = await _price(world, "1.50", date(2027, 1, 1), due_day=20)
    assert [(s.price_per_m2, last) for s, last in change.ended] == [
        (D("1.2000"), date(2026, 12, 31))
    ]
    assert change.adjustments == change.credits == 0  # nothing billed from January yet
    assert await _on(world, date(2026, 12, 1)) == 60
    assert await _on(world, date(2027, 1, 1)) == 60
    month, year = 31, False
    assert await _bills(world, home) == [
        (date(2026, 11, 1), date(2026, 11, 30), D("107.40"), 30, 30, year, date(2026, 11, 20)),
        (date(2026, 12, 1), date(2026, 12, 31), D("107.40"), month, 31, year, date(2026, 12, 20)),
        (date(2027, 1, 1), date(2027, 1, 31), D("134.25"), month, 31, year, date(2027, 1, 20)),
    ]
    async with world.session() as session:
        old, new = (await session.exec(select(FeeSchedule).order_by(col(FeeSchedule.id)))).all()
        assert state(old, date(2027, 1, 1)) == ScheduleState.ENDED
        assert state(new, date(2026, 12, 31)) == ScheduleState.ANNOUNCED
        assert state(new, date(2027, 1, 1)) == ScheduleState.CURRENT
        household = await session.get(Household, home)
        assert household is not None
        # Paying ahead on 25 November: the next twelve months, each at the price in force on
        # its first day: December at 107.40, then eleven months at 134.25.
        limit = await billing.prepayment_limit(session, household, on=date(2026, 11, 25))
        assert limit == D("107.40") + 11 * D("134.25") == D("1584.15")
        assert await billing.monthly_fee(session, household, on=date(2026, 12, 31)) == D("107.40")
        assert await billing.monthly_fee(session, household, on=date(2027, 1, 1)) == D("134.25")


async def test_yearly_billing_with_a_june_price_rise_bills_no_day_twice(world):
    """The defect: a new yearly schedule from June billed June–November twice (¥1,288.80 and
    ¥1,611.00). Now the year already billed stands, June–November is settled by 调价补差, and the
    new schedule's first year bills only the days not billed yet."""
    home = await _home(world)
    world.clock.set(datetime(2025, 12, 1, 9, 0, tzinfo=SHANGHAI))
    await _price(world, "1.20", date(2025, 12, 1), "yearly")
    assert await _on(world, date(2025, 12, 1)) == 60
    world.clock.set(datetime(2026, 5, 10, 10, 0, tzinfo=SHANGHAI))
    change = await _price(world, "1.50", date(2026, 6, 1), "yearly")
    # 1 Jun – 30 Nov 2026 is 183 of the 365 days of the year billed: 1,611.00 × 183 ÷ 365 =
    # 807.7068… → 807.71 at the new price, 1,288.80 × 183 ÷ 365 = 646.1655… → 646.17 at the old.
    assert change.adjustments == 60 and change.credits == 0
    assert await _on(world, date(2026, 6, 1)) == 60
    # The new year 1 Jun 2026 – 31 May 2027: 182 of its 365 days are not billed yet (from
    # 1 December): 1,611.00 × 182 ÷ 365 = 803.2931… → 803.29.
    assert await _on(world, date(2026, 12, 1)) == 0
    assert await _on(world, date(2027, 6, 1)) == 60
    assert await _bills(world, home) == [
        (date(2025, 12, 1), date(2026, 11, 30), D("1288.80"), 365, 365, False, date(2025, 12, 15)),
        (date(2026, 6, 1), date(2026, 11, 30), D("161.54"), 183, 365, True, date(2026, 6, 1)),
        (date(2026, 12, 1), date(2027, 5, 31), D("803.29"), 182, 365, False, date(2026, 12, 1)),
        (date(2027, 6, 1), date(2028, 5, 31), D("1611.00"), 366, 366, False, date(2027, 6, 15)),
    ]


async def test_a_lower_price_entered_after_the_year_was_billed_is_a_credit(world):
    home = await _home(world)
    world.clock.set(datetime(2026, 1, 1, 9, 0, tzinfo=SHANGHAI))
    await _price(world, "1.20", date(2026, 1, 1), "yearly")
    assert await _on(world, date(2026, 1, 2)) == 60
    world.clock.set(datetime(2026, 7, 10, 10, 0, tzinfo=SHANGHAI))
    # 1.00 from 1 June, entered in July: 1 Jun – 31 Dec is 214 of 365 days.
    # 1,288.80 × 214 ÷ 365 = 755.6252… → 755.63; 89.50 × 1.00 × 12 × 214 ÷ 365 = 629.6876… →
    # 629.69; the home is owed 125.94, which pays its open bill at once.
    change = await _price(world, "1.00", date(2026, 6, 1), "yearly")
    assert change.adjustments == 0 and change.credits == 60
    assert await _credits(world, home) == [
        (date(2026, 6, 1), date(2026, 12, 31), D("125.94"), D("0.00"))
    ]
    async with world.session() as session:
        assert await billing.outstanding(session, home) == D("1162.86")
    # The new schedule's year from 1 June 2026: the days from 1 January 2027 (151 of 365).
    # 1,074.00 × 151 ÷ 365 = 444.3123… → 444.31
    assert await _on(world, date(2026, 7, 11)) == 60
    assert (await _bills(world, home))[-1][:5] == (
        date(2027, 1, 1),
        date(2027, 5, 31),
        D("444.31"),
        151,
        365,
    )


async def test_a_mid_month_change_in_monthly_billing_is_prorated_by_day(world):
    home = await _home(world)
    await _price(world, "1.20", date(2026, 12, 1))
    world.clock.set(datetime(2026, 11, 10, 10, 0, tzinfo=SHANGHAI))
    await _price(world, "1.50", date(2026, 12, 16))
    assert await _on(world, date(2026, 12, 1)) == 60  # the old price for 1–15 December
    assert await _on(world, date(2026, 12, 15)) == 0
    assert await _on(world, date(2026, 12, 16)) == 60  # the new one from the 16th, not before
    # 107.40 × 15 ÷ 31 = 51.9677… → 51.97; 134.25 × 16 ÷ 31 = 69.2903… → 69.29
    assert await _bills(world, home) == [
        (date(2026, 12, 1), date(2026, 12, 15), D("51.97"), 15, 31, False, date(2026, 12, 15)),
        (date(2026, 12, 16), date(2026, 12, 31), D("69.29"), 16, 31, False, date(2026, 12, 16)),
    ]
    # Entered after November was billed: a rise from the 16th, 15 of 30 days.
    world.clock.set(datetime(2027, 1, 20, 10, 0, tzinfo=SHANGHAI))
    await _on(world, date(2027, 1, 20))
    change = await _price(world, "1.80", date(2027, 1, 16))
    # 89.50 × 1.80 × 16 ÷ 31 = 83.1483… → 83.15; 134.25 × 16 ÷ 31 → 69.29; the difference 13.86
    assert change.adjustments == 60
    adjustment = (await _bills(world, home))[-1]
    assert adjustment == (
        date(2027, 1, 16),
        date(2027, 1, 31),
        D("13.86"),
        16,
        31,
        True,
        date(2027, 2, 3),  # 14 days after it was entered
    )


async def test_half_yearly_periods_and_a_start_in_the_middle_of_one(world):
    home = await _home(world)
    await _price(world, "1.20", date(2027, 3, 10), "half_yearly")
    assert await _on(world, date(2027, 3, 9)) == 0
    assert await _on(world, date(2027, 3, 10)) == 60
    assert await _on(world, date(2027, 9, 1)) == 60
    # From 1 March, six months: 1 Mar – 31 Aug (184 days), of which 10 March on is billed:
    # 644.40 × 175 ÷ 184 = 612.8804… → 612.88; then 1 Sep – 29 Feb 2028 in full, 644.40.
    assert [b[:5] for b in await _bills(world, home)] == [
        (date(2027, 3, 10), date(2027, 8, 31), D("612.88"), 175, 184),
        (date(2027, 9, 1), date(2028, 2, 29), D("644.40"), 182, 182),
    ]


async def test_ending_a_fee_credits_the_days_already_billed_and_a_new_start_later(world):
    home = await _home(world)
    world.clock.set(datetime(2026, 1, 1, 9, 0, tzinfo=SHANGHAI))
    await _price(world, "1.20", date(2026, 1, 1), "yearly")
    assert await _on(world, date(2026, 1, 1)) == 60
    world.clock.set(datetime(2026, 8, 1, 10, 0, tzinfo=SHANGHAI))
    change = await _end(world, date(2026, 9, 30))
    # 1 Oct – 31 Dec, 92 of 365 days: 1,288.80 × 92 ÷ 365 = 324.8482… → 324.85 back
    assert change.credits == 60 and [last for _s, last in change.ended] == [date(2026, 9, 30)]
    assert await _credits(world, home) == [
        (date(2026, 10, 1), date(2026, 12, 31), D("324.85"), D("0.00"))
    ]
    async with world.session() as session:
        assert await billing.outstanding(session, home) == D("963.95")
    assert await _on(world, date(2027, 1, 1)) == 0  # nothing is charged after the end
    world.clock.set(datetime(2027, 1, 20, 10, 0, tzinfo=SHANGHAI))
    await _price(world, "1.50", date(2027, 2, 1))
    assert await _on(world, date(2027, 2, 1)) == 60
    assert [b[:3] for b in await _bills(world, home)][-1] == (
        date(2027, 2, 1),
        date(2027, 2, 28),
        D("134.25"),
    )
    await _end(world, date(2027, 2, 28))
    with pytest.raises(DomainError, match="nothing to end"):
        await _end(world, date(2027, 3, 31))
    assert await _on(world, date(2027, 3, 1)) == 0
