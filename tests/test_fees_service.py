"""Fees in the database: amounts to the fen, bills once per period, payments, credit, reminders."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import col, select

from jobs.fees import tick
from models import Bill, FeeReminder, FeeSchedule, OutboxMessage, Payment, PaymentAllocation
from services import billing, fee_reminders, payments
from services.errors import DomainError

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_amounts_are_exact_to_the_fen_and_round_half_up():
    assert billing.bill_amounts(Decimal("89.50"), Decimal("1.20"), 1, Decimal(0)) == (
        Decimal("107.40"),
        Decimal("0.00"),
        Decimal("107.40"),
    )
    # 118.36 × 0.85 × 3 = 301.818 → 301.82; 30 % of it = 90.546 → 90.55; owed 211.27
    assert billing.bill_amounts(Decimal("118.36"), Decimal("0.85"), 3, Decimal("0.3")) == (
        Decimal("301.82"),
        Decimal("90.55"),
        Decimal("211.27"),
    )
    # 0.5 fen rounds up: 10.01 × 0.25 × 1 = 2.5025 → 2.50; 10.02 × 0.25 = 2.505 → 2.51
    assert billing.bill_amounts(Decimal("10.02"), Decimal("0.25"), 1, Decimal(0))[0] == Decimal(
        "2.51"
    )
    assert billing.parse_money("¥1,234.5") == Decimal("1234.50")
    for bad in ("1.234", "-5", "0", "abc", "NaN", "1e12"):
        with pytest.raises(DomainError):
            billing.parse_money(bad)


@given(
    st.decimals(min_value=Decimal("10.00"), max_value=Decimal("500.00"), places=2),
    st.decimals(min_value=Decimal("0.1000"), max_value=Decimal("9.9999"), places=4),
    st.sampled_from([1, 3, 12]),
    st.decimals(min_value=Decimal("0"), max_value=Decimal("0.9000"), places=2),
)
def test_owed_plus_subsidy_is_always_the_gross_and_every_figure_is_whole_fen(
    area, price, months, share
):
    gross, subsidy, owed = billing.bill_amounts(area, price, months, share)
    assert owed + subsidy == gross
    for value in (gross, subsidy, owed):
        assert value == value.quantize(Decimal("0.01"))
    assert abs(gross - area * price * months) <= Decimal("0.005")


async def _schedule(world, **kwargs):
    values = dict(
        compound_id=1,
        price_per_m2=Decimal("1.20"),
        period="monthly",
        due_day=15,
        starts_on=date(2026, 11, 1),
        now=world.clock.now(),
    )
    values.update(kwargs)
    async with world.session() as session:
        return (await billing.create_schedule(session, None, **values)).id


async def test_bills_are_generated_once_per_household_and_period_across_reruns_and_restarts(
    world, clock
):
    await world.seed_roster()
    await _schedule(world, starts_on=date(2026, 10, 1), subsidy_share=Decimal("0.3"))
    assert (await tick(world.runtime))[0] == 120  # October (caught up) and November, 60 homes each
    assert (await tick(world.runtime))[0] == 0
    await world.restart()
    assert (await tick(world.runtime))[0] == 0
    clock.set(datetime(2026, 12, 1, 0, 5, tzinfo=SHANGHAI))
    assert (await tick(world.runtime))[0] == 60
    async with world.session() as session:
        bills = (
            await session.exec(select(Bill).where(col(Bill.period_start) == date(2026, 12, 1)))
        ).all()
        home = await world.household_id("1栋", "1单元", "101")  # 89.50 ㎡
        mine = next(b for b in bills if b.household_id == home)
    assert (mine.gross, mine.subsidy, mine.amount, mine.due_date) == (
        Decimal("107.40"),
        Decimal("32.22"),
        Decimal("75.18"),
        date(2026, 12, 15),
    )


async def test_partial_payment_overpayment_credit_and_the_twelve_month_limit(world, clock):
    await world.seed_roster()
    await _schedule(world)
    await tick(world.runtime)
    home = await world.household_id("1栋", "1单元", "101")  # 107.40 a month

    async def pay(amount: str, reference: str) -> payments.Booking:
        async with world.session() as session:
            return await payments.record_payment(
                session,
                None,
                household_id=home,
                amount=Decimal(amount),
                method="bank",
                reference=reference,
                paid_on=date(2026, 11, 5),
                now=clock.now(),
            )

    first = await pay("50.00", "B1")
    assert (first.outstanding, first.credit, first.paid_off) == (
        Decimal("57.40"),
        Decimal("0.00"),
        [],
    )
    second = await pay("100.00", "B2")
    assert (second.outstanding, second.credit, len(second.paid_off)) == (
        Decimal("0.00"),
        Decimal("42.60"),
        1,
    )
    again = await pay("100.00", "B2")  # the same bank reference twice: booked once
    assert not again.new and again.credit == Decimal("42.60")
    with pytest.raises(DomainError, match="12 months"):
        await pay("1246.21", "B3")  # 42.60 + 1,246.21 > 12 × 107.40 = 1,288.80
    assert (await pay("1246.20", "B4")).credit == Decimal("1288.80")
    clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI))
    await tick(world.runtime)  # December's bill is paid from the credit
    async with world.session() as session:
        december = (
            await session.exec(
                select(Bill).where(
                    col(Bill.household_id) == home, col(Bill.period_start) == date(2026, 12, 1)
                )
            )
        ).one()
        assert december.paid_off and december.paid == Decimal("107.40")
        assert await billing.credit(session, home) == Decimal("1181.40")
        paid_in = sum(
            p.amount
            for p in (
                await session.exec(select(Payment).where(col(Payment.household_id) == home))
            ).all()
        )
        allocated = sum(a.amount for a in (await session.exec(select(PaymentAllocation))).all())
        assert paid_in == allocated + await billing.credit(session, home)  # not a fen lost or made


async def test_reminders_once_per_offset_weekly_limit_quiet_hours_and_none_after_payment(
    world, clock
):
    await world.seed_roster()
    owner, other = world.user("徐丽"), world.user("高静")
    await world.onboard(owner, "1栋 1单元 101", "owner")
    await world.onboard(other, "1栋 1单元 102", "owner")
    await _schedule(world)
    reminders = lambda person: [t for t in person.texts() if "温馨提醒" in t]  # noqa: E731

    async def at(day: int, hour: int = 10) -> None:
        clock.set(datetime(2026, 11, day, hour, 0, tzinfo=SHANGHAI))
        await tick(world.runtime)
        await tick(world.runtime)  # a second run the same day changes nothing
        await world.deliver()

    await at(8)  # 7 days before the 15th
    assert len(reminders(owner)) == 1 and "¥107.40" in reminders(owner)[0]
    assert not any(w in reminders(owner)[0] for w in ("停水", "停电", "断", "起诉", "律师"))
    await at(9)
    assert len(reminders(owner)) == 1
    async with world.session() as session:  # another offset within the same week: skipped
        clock.set(datetime(2026, 11, 12, 10, 0, tzinfo=SHANGHAI))
        queued = await fee_reminders.queue_reminders(
            session, today=date(2026, 11, 12), now=clock.now(), tz=SHANGHAI, offsets=(-3,)
        )
        assert queued == 0
        skipped = (
            await session.exec(select(FeeReminder).where(col(FeeReminder.offset_days) == -3))
        ).all()
        assert skipped and not any(r.sent for r in skipped)
    await at(15)  # the due day, a week after the first: sent
    assert len(reminders(owner)) == 2 and "今天到期" in reminders(owner)[1]
    assert len(reminders(other)) == 2
    async with world.session() as session:  # the neighbour pays
        await payments.record_payment(
            session,
            None,
            household_id=await world.household_id("1栋", "1单元", "102"),
            amount=Decimal("142.03"),
            method="cash",
            reference="R1",
            paid_on=date(2026, 11, 15),
            now=clock.now(),
        )
    clock.set(datetime(2026, 11, 22, 23, 30, tzinfo=SHANGHAI))  # 7 days after, in quiet hours
    await tick(world.runtime)
    async with world.session() as session:
        held = (
            await session.exec(
                select(OutboxMessage).where(
                    col(OutboxMessage.purpose).startswith("fee-remind:2026-11-22")
                )
            )
        ).all()
    assert held and all(m.not_before.astimezone(SHANGHAI).hour == 8 for m in held)
    await world.deliver()
    assert len(reminders(owner)) == 2  # nothing at night
    clock.set(datetime(2026, 11, 23, 8, 0, 1, tzinfo=SHANGHAI))
    await world.deliver()
    assert len(reminders(owner)) == 3 and len(reminders(other)) == 2  # the neighbour paid: no more
    async with world.session() as session:  # paying cancels what is still queued
        clock.set(datetime(2026, 12, 15, 22, 0, tzinfo=SHANGHAI))
        await tick(world.runtime)
        await payments.record_payment(
            session,
            None,
            household_id=await world.household_id("1栋", "1单元", "101"),
            amount=Decimal("214.80"),
            method="cash",
            reference="R2",
            paid_on=date(2026, 12, 15),
            now=clock.now(),
        )
    clock.set(datetime(2026, 12, 16, 9, 0, tzinfo=SHANGHAI))
    await world.deliver()
    assert len(reminders(owner)) == 3
    assert not [t for t in owner.texts() if "2026年12月" in t and "温馨提醒" in t]


async def test_late_charge_only_with_a_contract_term_and_capped(world, clock):
    schedule = FeeSchedule(
        compound_id=1,
        price_per_m2=Decimal("1"),
        due_day=15,
        starts_on=date(2026, 1, 1),
        created_at=clock.now(),
        late_charge_daily_rate=Decimal("0.0005"),
        late_charge_cap=Decimal("0.3"),
    )
    bill = Bill(
        schedule_id=1,
        household_id=1,
        compound_id=1,
        period_start=date(2026, 1, 1),
        period_end=date(2026, 1, 31),
        months=1,
        area=Decimal(100),
        price_per_m2=Decimal(1),
        gross=Decimal("100.00"),
        subsidy=Decimal(0),
        amount=Decimal("100.00"),
        paid=Decimal("0.00"),
        due_date=date(2026, 1, 15),
        created_at=clock.now(),
        days=31,
        period_days=31,
    )
    assert billing.late_charge(bill, schedule, date(2026, 1, 15)) == Decimal("0.00")
    assert billing.late_charge(bill, schedule, date(2026, 2, 14)) == Decimal(
        "1.50"
    )  # 30 days × 0.05 %
    assert billing.late_charge(bill, schedule, date(2028, 1, 1)) == Decimal("30.00")  # the cap
    schedule.late_charge_daily_rate = None
    assert billing.late_charge(bill, schedule, date(2028, 1, 1)) == Decimal("0.00")
    assert timedelta(days=1)


async def test_a_home_has_at_most_one_pending_payment_claim(world, clock):
    """The database itself refuses a second pending claim (two co-owners tapping at once), while
    decided claims of the same home may be any number."""
    from sqlalchemy.exc import IntegrityError

    from models import PaymentClaim, Resident

    await world.seed_roster()
    home = await world.household_id("1栋", "1单元", "101")
    async with world.session() as session:
        person = Resident(
            telegram_id=9, display_name="x", created_at=clock.now(), consent_at=clock.now()
        )
        session.add(person)
        await session.flush()

        def claim(status: str) -> PaymentClaim:
            return PaymentClaim(
                household_id=home,
                compound_id=1,
                claimed_by=person.id,
                amount=Decimal("1.00"),
                method="wechat",
                claimed_at=clock.now(),
                status=status,
            )

        session.add_all(
            [claim("confirmed"), claim("not_found"), claim("not_found"), claim("pending")]
        )
        await session.flush()
        with pytest.raises(IntegrityError):
            async with session.begin_nested():
                session.add(claim("pending"))
