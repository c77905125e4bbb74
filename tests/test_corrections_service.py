"""Corrections in the database: receipt numbers under concurrency, a reversal's trail and what
it lets the reminders do again, withdrawing a claim before staff saw it, the amount in capitals,
and the command line (`admin payments`, `admin reverse-payment`, `admin receipt`)."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import col, func, select

from core.db import unit_of_work
from jobs.fees import tick
from models import Bill, OutboxMessage, Payment, PaymentAllocation
from services import billing, payments, reversals
from services.errors import DomainError
from services.receipts import parse_receipt, receipt_label
from tests.test_cli import _cli
from tests.test_fees_service import _schedule
from tests.utils.paths import SAMPLE_ROSTER
from views.receipt_sheet import capitals

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_the_amount_in_capitals_and_receipt_numbers():
    assert capitals(Decimal("75.18")) == "柒拾伍元壹角捌分"
    assert capitals(Decimal("100.00")) == "壹佰元整"
    assert capitals(Decimal("1005.08")) == "壹仟零伍元零捌分"
    assert capitals(Decimal("0.50")) == "伍角整"
    assert capitals(Decimal("120050.00")) == "壹拾贰万零伍拾元整"
    assert capitals(Decimal("10000001.10")) == "壹仟万零壹元壹角整"
    assert receipt_label(42) == "000042" and receipt_label(None) == "—"
    assert parse_receipt("000042") == parse_receipt("No.42") == parse_receipt("收据 42") == 42
    for bad in ("", "abc", "0", "-3"):
        with pytest.raises(DomainError):
            parse_receipt(bad)


async def _pay(world, home: int, amount: str, reference: str, *, on: date | None = None):
    async with world.session() as session:
        return await payments.record_payment(
            session,
            None,
            household_id=home,
            amount=Decimal(amount),
            method="bank",
            reference=reference,
            paid_on=on or date(2026, 11, 3),
            now=world.clock.now(),
        )


async def test_two_bookings_racing_get_consecutive_numbers(world, clock):
    """The counter row is bumped in each booking's transaction: the second booking waits for the
    first to commit (PostgreSQL: its row lock; SQLite: the write lock) and takes the next
    number; a booking that rolls back gives nothing away."""
    await world.seed_roster()
    await _schedule(world)
    await tick(world.runtime)
    homes = [await world.household_id("1栋", "1单元", room) for room in ("101", "102")]
    first_booked = asyncio.Event()

    async def book(home: int, reference: str, *, first: bool) -> int:
        if not first:
            await first_booked.wait()
        async with unit_of_work(world.runtime.sessions) as session:
            booking = await payments.record_payment(
                session,
                None,
                household_id=home,
                amount=Decimal("10.00"),
                method="bank",
                reference=reference,
                paid_on=date(2026, 11, 3),
                now=clock.now(),
            )
            if first:
                first_booked.set()
                for _ in range(20):  # let the other booking reach the counter before committing
                    await asyncio.sleep(0)
            return booking.payment.receipt_no or 0

    results = await asyncio.gather(
        book(homes[0], "R1", first=True), book(homes[1], "R2", first=False), return_exceptions=True
    )
    numbers = [r for r in results if isinstance(r, int)]
    for failed in (r for r in results if not isinstance(r, int)):  # SQLite: "database is locked"
        assert isinstance(
            failed, OperationalError
        ) and world.runtime.settings.database_url.startswith("sqlite")
        numbers.append((await _pay(world, homes[1], "10.00", "R2")).payment.receipt_no or 0)
    assert sorted(numbers) == [1, 2]
    with pytest.raises(DomainError):  # refused (more than 12 months ahead): rolled back
        await _pay(world, homes[0], "99999.00", "R3")
    assert (await _pay(world, homes[0], "10.00", "R4")).payment.receipt_no == 3


async def test_a_reversal_negates_its_allocations_and_lets_the_reminder_go_again(world, clock):
    await world.seed_roster()
    await _schedule(world)  # ¥107.40 a month for 1栋 1单元 101, due on the 15th
    await tick(world.runtime)
    home = await world.household_id("1栋", "1单元", "101")
    owner = world.user("徐丽")
    await world.onboard(owner, "1栋 1单元 101", "owner")
    clock.set(datetime(2026, 11, 10, 10, 0, tzinfo=SHANGHAI))
    wrong = await _pay(world, home, "200.00", "B1")  # pays November, ¥92.60 credit
    clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI))
    await tick(world.runtime)  # December's bill is paid in part from the credit
    later = await _pay(world, home, "30.00", "B2")
    async with world.session() as session:
        assert await billing.outstanding(session, home) == Decimal("0.00")
        assert await billing.credit(session, home) == Decimal("15.20")
    clock.set(datetime(2026, 12, 15, 10, 0, tzinfo=SHANGHAI))
    assert (await tick(world.runtime))[1] == 0  # nothing to remind on the due day
    clock.set(datetime(2026, 12, 16, 10, 0, tzinfo=SHANGHAI))
    async with world.session() as session:
        result = await reversals.reverse_payment(
            session, None, wrong.payment.id or 0, "银行流水匹配错误", now=clock.now()
        )
    # November (107.40) and December (107.40) are open again; the ¥30.00 pays November in part.
    assert (result.already, result.outstanding, result.credit) == (
        False,
        Decimal("184.80"),
        Decimal("0.00"),
    )
    async with world.session() as session:
        again = await reversals.reverse_payment(
            session, None, wrong.payment.id or 0, "again", now=clock.now()
        )
        assert again.already
        for bill in (await session.exec(select(Bill).where(col(Bill.household_id) == home))).all():
            allocated = (
                await session.exec(
                    select(func.sum(PaymentAllocation.amount)).where(
                        col(PaymentAllocation.bill_id) == bill.id
                    )
                )
            ).one()
            assert Decimal(allocated or 0) == bill.paid and not bill.paid_off
        negated = (
            await session.exec(
                select(PaymentAllocation).where(
                    col(PaymentAllocation.payment_id) == wrong.payment.id,
                    col(PaymentAllocation.amount) < 0,
                )
            )
        ).all()
        assert sorted(a.amount for a in negated) == [Decimal("-107.40"), Decimal("-92.60")]
        stored = await session.get(Payment, later.payment.id)
        assert stored is not None and stored.unallocated == Decimal("0.00")
    await world.deliver()
    assert "更正通知" in owner.last_text and "待缴：¥184.80" in owner.last_text
    # The due day's reminder (within the catch-up window), per bill: what is left of each.
    assert (await tick(world.runtime))[1] == 1
    await world.deliver()
    assert "温馨提醒" in owner.last_text
    assert "¥92.20" in owner.last_text and "¥92.60" in owner.last_text


async def test_a_claim_withdrawn_before_staff_saw_it_tells_nobody(world, clock):
    from services import fee_claims
    from services.actors import load_actor
    from tests.test_fees import _payment_code

    await world.seed_roster()
    await _schedule(world)
    await tick(world.runtime)
    owner, staff = world.user("徐丽"), world.user("陈会计")
    await world.onboard(owner, "1栋 1单元 101", "owner")
    from models import Role

    await world.join_as(staff, Role.STAFF)
    home = await world.household_id("1栋", "1单元", "101")
    async with world.session() as session:
        await fee_claims.set_account(
            session, None, compound_id=1, payee="物业", image=_payment_code(), now=clock.now()
        )
        actor = await load_actor(session, owner.id)
        made = await fee_claims.claim(
            session, actor, household_id=home, method="alipay", fen=10740, now=clock.now()
        )
    async with world.session() as session:
        actor = await load_actor(session, owner.id)
        done = await fee_claims.withdraw(session, actor, made.claim.id or 0, now=clock.now())
        assert not done.already
    await world.deliver()
    assert not any("报告已缴纳" in t or "已撤回" in t for t in staff.texts())
    async with world.session() as session:
        statuses = dict(
            (
                await session.exec(
                    select(col(OutboxMessage.purpose), col(OutboxMessage.status)).where(
                        col(OutboxMessage.purpose).startswith("fee-claim:")
                    )
                )
            ).all()
        )
    assert statuses == {f"fee-claim:{made.claim.id}": "cancelled"}


async def test_payments_reversal_and_receipts_on_the_command_line(
    database_url, monkeypatch, tmp_path, capsys
):
    statement = tmp_path / "bank.csv"
    statement.write_text("流水号,金额,房号\nX1,100.00,1栋 1单元 101\n", encoding="utf-8")
    pdf, void = tmp_path / "r.pdf", tmp_path / "void.pdf"

    def run() -> list[int]:
        cli = lambda *args: _cli(monkeypatch, database_url, "admin", *args)  # noqa: E731
        return [
            cli("import-roster", str(SAMPLE_ROSTER)),
            cli("fee-schedule", "幸福家园", "--price", "1.20"),
            cli("import-payments", str(statement)),
            cli("payments", "幸福家园", "1栋 1单元 101"),
            cli("receipt", "幸福家园", "000001", "--out", str(pdf)),
            cli("reverse-payment", "幸福家园", "1", "--reason", "wrong home"),
            cli("reverse-payment", "幸福家园", "1", "--reason", "wrong home"),
            cli("receipt", "幸福家园", "No.1", "--out", str(void)),
            cli("receipt", "幸福家园", "7"),
            cli("import-payments", str(statement)),
            cli("payments", "幸福家园", "1栋 1单元 101"),
        ]

    codes = await asyncio.to_thread(run)
    out, err = capsys.readouterr()
    assert codes == [0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0]
    assert "Receipts 000001 to 000001." in out
    assert "bank transfer · receipt 000001" in out
    assert "Reversed receipt 000001 (CN¥100.00) of 1栋 1单元 101." in out
    assert "Receipt 000001 has already been reversed; nothing was changed." in out
    assert "It is void: the payment was reversed." in out
    assert "There is no receipt 000007 in 幸福家园." in err
    assert "Row 2: booked before as receipt 000001, which was reversed; not booked again" in out
    assert out.rstrip().endswith("reversed")  # the listing marks it
    assert pdf.read_bytes().startswith(b"%PDF") and b"receipt 000001" in pdf.read_bytes()
    assert b"receipt 000001 VOID" in void.read_bytes()
