"""Corrections through the bot (DOMAIN §9): a payment booked on the wrong home is reversed with a
reason and booked again on the right one; receipts are numbered per compound and printable; a
resident withdraws an "I have paid" made by mistake."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from jobs.fees import tick
from models import AuditEvent, Bill, ClaimStatus, Payment, PaymentClaim
from services import billing, fee_reports
from services.kpi_figures import figures
from services.places import compound_ids_in_scope
from tests.test_fees import _payment_code, _people, _set_fee
from views.bills import ClaimWithdraw
from views.corrections import ReceiptPdf, ReverseStart

SHANGHAI = ZoneInfo("Asia/Shanghai")


async def _book(staff, home: str, amount: str) -> None:
    await staff.send("/payment")
    await staff.send(home)
    await staff.send(amount)
    await staff.press("现金")


async def _payment_account(world) -> None:
    """The compound's WeChat Pay code, so residents can say "I have paid"."""
    from services import fee_claims

    async with world.session() as session:
        await fee_claims.set_account(
            session,
            None,
            compound_id=1,
            payee="幸福家园物业",
            image=_payment_code(),
            now=world.clock.now(),
        )


async def _paid_in_november(world, compound_id: int) -> tuple[Decimal, Decimal]:
    """What /arrears and the KPI report count as collected for bills due in November."""
    async with world.session() as session:
        rate = await fee_reports.collection_rate(
            session, compound_id, date(2026, 11, 1), date(2026, 11, 30)
        )
        kpi = await figures(
            session, compound_ids_in_scope("compound", compound_id), ("2026-11",), SHANGHAI
        )
    return rate.paid, kpi["2026-11"]["compound"][compound_id].paid


async def test_a_payment_on_the_wrong_home_is_reversed_and_booked_on_the_right_one(world, clock):
    admin, owner, _tenant, staff = await _people(world)
    neighbour = world.user("高静")
    await world.onboard(neighbour, "1栋 1单元 102", "owner")
    await _set_fee(admin)
    await tick(world.runtime)
    wrong = await world.household_id("1栋", "1单元", "101")
    right = await world.household_id("1栋", "1单元", "102")

    # 102's ¥99.42 is booked on 101 by mistake: 101's ¥75.18 is paid, ¥24.24 is credit.
    await _book(staff, "1栋 1单元 101", "99.42")
    assert "已登记 ¥99.42（现金）" in staff.last_text and "收据号：000001" in staff.last_text
    assert "预缴余额：¥24.24" in staff.last_text
    assert staff.last_message.buttons() == ["收据 000001 · ¥99.42", "冲正此笔"]
    reverse = staff.last_message.inline_keyboard[0][1]["callback_data"]
    await world.deliver()
    assert "我们已收到" in owner.last_text and "收据号：000001" in owner.last_text
    async with world.session() as session:
        compound_id = (await session.exec(select(Bill))).first().compound_id
    assert await _paid_in_november(world, compound_id) == (Decimal("75.18"), Decimal("75.18"))

    await staff.press("冲正此笔")
    assert "收据 000001：1栋 1单元 101 于" in staff.last_text and "冲正原因" in staff.last_text
    await staff.send("x")
    assert "请用 2 至 300 个字说明原因" in staff.last_text
    await staff.press("误登记到其他房屋")
    assert "确认冲正此笔缴费？" in staff.last_text and "原因：误登记到其他房屋" in staff.last_text
    confirm = staff.last_message.inline_keyboard[0][0]["callback_data"]
    await staff.press("确认冲正")
    assert (
        "已冲正：1栋 1单元 101 的收据 000001（¥99.42）作废。待缴：¥75.18；预缴余额：¥0.00"
        in staff.last_text
    )
    await staff.press_data(confirm)  # a double tap: the question is gone
    assert "此按钮已不再有效" in staff.alerts[-1]
    await staff.press_data(reverse)  # the old "Reverse" under the booking
    assert "收据 000001 已冲正过，未做任何更改" in staff.last_text

    await world.deliver()
    told = owner.last_text
    assert "更正通知：1栋 1单元 101 于" in told and "¥99.42 缴费（收据号 000001）已冲正" in told
    assert "原因：误登记到其他房屋" in told and "待缴：¥75.18" in told
    await owner.send("/bills")
    assert "待缴：¥75.18" in owner.last_text and "收据 000001" in owner.last_text
    assert "已冲正" in owner.last_text and "预缴" not in owner.last_text
    assert await _paid_in_november(world, compound_id) == (Decimal("0.00"), Decimal("0.00"))
    clock.set(datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI))
    await staff.send("/arrears")
    assert "60 户共欠缴逾期费用 ¥5,156.04" in staff.texts()[-2]  # nothing counts as collected

    await _book(staff, "1栋 1单元 102", "99.42")
    assert "收据号：000002" in staff.last_text and "待缴：¥0.00" in staff.last_text
    await world.deliver()
    assert "我们已收到" in neighbour.last_text and "收据号：000002" in neighbour.last_text
    assert await _paid_in_november(world, compound_id) == (Decimal("99.42"), Decimal("99.42"))
    async with world.session() as session:
        first, second = (await session.exec(select(Payment).order_by(col(Payment.id)))).all()
        assert (first.household_id, first.receipt_no, first.unallocated) == (wrong, 1, 0)
        assert first.reversed_at is not None and first.reversal_reason == "误登记到其他房屋"
        assert (second.household_id, second.receipt_no) == (right, 2)
        assert await billing.outstanding(session, wrong) == Decimal("75.18")
        assert await billing.outstanding(session, right) == Decimal("0.00")
        audit = (
            await session.exec(
                select(AuditEvent).where(col(AuditEvent.action) == "fee.payment_reversed")
            )
        ).one()
        assert (
            audit.details["reason"] == "误登记到其他房屋" and audit.details["receipt"] == "000001"
        )


async def test_reversing_from_a_homes_list_with_a_typed_reason_and_other_credit(world, clock):
    """/receipts lists a home's payments; the reversed one's bills are paid again from the
    home's other credit, oldest first."""
    admin, owner, tenant, staff = await _people(world)
    await _set_fee(admin)
    await tick(world.runtime)
    home = await world.household_id("1栋", "1单元", "101")
    await _book(staff, "1栋 1单元 101", "75.18")  # pays November
    await _book(staff, "1栋 1单元 101", "50.00")  # credit for December
    await tenant.send("/receipts")
    assert "只有本小区的物业服务人员可以冲正缴费" in tenant.last_text
    await staff.send("/receipts")
    await staff.send("1栋 9单元 101")
    assert "没有唯一匹配" in staff.last_text
    await staff.send("1栋 1单元 101")
    listing = staff.last_message
    assert "1栋 1单元 101 的缴费记录" in listing.text and "待缴：¥0.00" in listing.text
    assert listing.buttons() == [
        "收据 000002 · ¥50.00",
        "冲正 000002",
        "收据 000001 · ¥75.18",
        "冲正 000001",
    ]
    await staff.press("冲正 000001")
    await staff.send("金额登记错误，应为 70 元")
    await staff.press("保留")
    assert "已保留，未做任何更改" in staff.last_text
    await staff.press("冲正 000001", listing.message_id)
    await staff.send("金额登记错误，应为 70 元")
    await staff.press("确认冲正")
    # November's ¥75.18 is open again and ¥50.00 of credit pays it in part.
    assert "待缴：¥25.18；预缴余额：¥0.00" in staff.last_text
    await tenant.press_data(ReverseStart(1).pack())  # forged: not staff
    assert "只有本小区的物业服务人员可以冲正缴费" in tenant.last_text
    await world.deliver()
    assert "原因：金额登记错误，应为 70 元" in owner.last_text and "待缴：¥25.18" in owner.last_text
    async with world.session() as session:
        bill = (await session.exec(select(Bill).where(col(Bill.household_id) == home))).one()
        assert (bill.paid, bill.paid_off) == (Decimal("50.00"), False)
        assert await billing.credit(session, home) == Decimal("0.00")
    await staff.send("/receipts")
    await staff.send("1栋 1单元 101")
    assert staff.last_message.buttons() == [
        "收据 000002 · ¥50.00",
        "冲正 000002",
        "收据 000001 · ¥75.18 · 已作废",
    ]


async def test_receipts_are_numbered_per_compound_and_printable(world, clock, tmp_path):
    """Desk, bank import, a confirmed claim and Telegram Payments draw from one sequence; a
    reversed number is never given again; the household gets the PDF from /bills."""
    from services.payment_import import import_payments
    from views.fee_office import ClaimDecision

    world.runtime.settings.payment_provider_token = "284685063:TEST:provider"
    admin, owner, _tenant, staff = await _people(world)
    await _set_fee(admin)
    await tick(world.runtime)
    await _book(staff, "1栋 1单元 101", "75.18")
    statement = tmp_path / "bank.csv"
    statement.write_text(
        "交易流水号,金额,备注\nB1,99.42,1栋1单元102\nB2,75.18,1栋1单元201\n", encoding="utf-8"
    )
    async with world.session() as session:
        report = await import_payments(
            session, statement, None, today=date(2026, 11, 3), now=clock.now()
        )
        assert report.receipts == ["000002", "000003"]
    await _payment_account(world)
    other = world.user("高静")
    await world.onboard(other, "1栋 1单元 202", "owner")
    await other.send("/bills")
    await other.press("微信、支付宝或银行转账缴费")
    await other.press("我已用微信支付付款")
    await world.deliver()
    await staff.press("款项已到账")
    assert "收据号：000004" in staff.last_text
    claim_card = ClaimDecision(1, True).pack()
    await staff.press("冲正此笔")
    await staff.press("登记金额有误")
    await staff.press("确认冲正")
    await staff.press_data(claim_card)  # the claim's old card
    assert "已处理：1栋 1单元 202 的 ¥99.42 曾入账，后已冲正" in staff.last_text
    async with world.session() as session:
        claim = await session.get(PaymentClaim, 1)
        assert claim is not None and claim.status == ClaimStatus.REVERSED and claim.payment_id

    other_tg = world.user("赵敏")
    await world.onboard(other_tg, "1栋 1单元 301", "owner")
    await other_tg.send("/bills")
    await other_tg.press("在 Telegram 中支付 ¥75.18")
    await other_tg.pay()
    assert "收据号：000005" in other_tg.last_text  # 000004 is void, never given again

    await owner.send("/bills")
    await owner.press("收据（PDF）")
    assert owner.last_message.buttons() == ["收据 000001 · ¥75.18"]
    await owner.press("收据 000001 · ¥75.18")
    document = owner.last_message
    assert document.kind == "document" and "1栋 1单元 101 的收据 000001" in document.caption
    pdf = world.emulator.files[document.document["file_id"]].data
    assert pdf.startswith(b"%PDF") and b"receipt 000001" in pdf and b"VOID" not in pdf
    await owner.press_data(ReceiptPdf(4).pack(), document.message_id)  # another home's receipt
    assert "只有该户业主和物业服务中心可以查看此收据" in owner.last_text
    await other.send("/bills")
    await other.press("收据（PDF）")
    await other.press("收据 000004 · ¥99.42 · 已作废")
    void = other.last_message
    assert "已作废（此笔缴费已冲正）" in void.caption
    data = world.emulator.files[void.document["file_id"]].data
    assert b"receipt 000004 VOID" in data
    async with world.session() as session:
        numbers = (
            await session.exec(select(col(Payment.receipt_no)).order_by(col(Payment.id)))
        ).all()
        assert numbers == [1, 2, 3, 4, 5]


async def test_a_claim_made_by_mistake_is_withdrawn(world, clock):
    """/bills shows the open claim instead of a second way to pay; the resident withdraws it;
    the staff who had the card are told and its buttons answer clearly; reminders go again."""
    admin, owner, tenant, staff = await _people(world)
    await _set_fee(admin)
    await tick(world.runtime)
    await _payment_account(world)
    await owner.send("/bills")
    await owner.press("微信、支付宝或银行转账缴费")
    await owner.press("我已用微信支付付款")
    assert owner.last_message.buttons() == ["撤回我的缴费申报"]
    await world.deliver()
    card = staff.last_message
    assert "1栋 1单元 101 报告已缴纳 ¥75.18" in card.text
    await owner.send("/bills")
    assert "申报通过微信支付缴纳 ¥75.18，物业服务中心正在核对" in owner.last_text
    assert "您已于2026年11月2日" in owner.last_text
    assert "微信、支付宝或银行转账缴费" not in owner.last_message.buttons()
    assert "撤回我的缴费申报" in owner.last_message.buttons()

    clock.set(datetime(2026, 11, 15, 10, 0, tzinfo=SHANGHAI))  # the due day, while checked
    await tick(world.runtime)
    await world.deliver()
    reminders = lambda: [t for t in owner.texts() if "温馨提醒" in t]  # noqa: E731
    assert reminders() == []

    await owner.press("撤回我的缴费申报")
    assert "确定撤回此申报吗" in owner.last_text
    await tenant.press_data(ClaimWithdraw(1, "yes").pack())  # tenants do not see these bills
    assert "只有业主能看到" in tenant.last_text
    yes = owner.last_message.inline_keyboard[0][0]["callback_data"]
    await owner.press("确认撤回")
    assert "已撤回，物业服务中心不再核对此笔缴费" in owner.last_text
    await owner.press_data(yes)
    assert "此缴费申报已撤回" in owner.last_text
    await world.deliver()
    assert "1栋 1单元 101 已撤回缴纳 ¥75.18（微信支付" in staff.last_text
    await staff.press("款项已到账", card.message_id)
    replaced = staff.user.chat.by_id[card.message_id]  # the card now says so, without buttons
    assert "1栋 1单元 101 已撤回此缴费申报，无需确认" in replaced.text
    assert not replaced.inline_keyboard
    await staff.send("/claims")
    assert "没有等待确认的缴费报告" in staff.last_text
    async with world.session() as session:
        assert (await session.exec(select(Payment))).all() == []
        claim = await session.get(PaymentClaim, 1)
        assert claim is not None and claim.status == ClaimStatus.WITHDRAWN

    await tick(world.runtime)  # the due day's reminder, held back for the claim, goes now
    await world.deliver()
    assert len(reminders()) == 1 and "¥75.18" in reminders()[0]
    await owner.send("/bills")
    assert "微信、支付宝或银行转账缴费" in owner.last_message.buttons()
    await owner.press("微信、支付宝或银行转账缴费")
    assert owner.last_message.kind == "photo"  # a new claim may be made
