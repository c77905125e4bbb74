"""Fees through the bot: an administrator sets the fee, residents read /bills, staff record
payments, arrears and the collection rate, and Telegram Payments against the emulator."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import openpyxl
from sqlmodel import select

from jobs.fees import tick
from models import FeeSchedule, Payment, Role
from services import fees

SHANGHAI = ZoneInfo("Asia/Shanghai")


async def _people(world):  # type: ignore[no-untyped-def]
    await world.seed_roster()
    admin, owner, tenant, staff = (
        world.user("管理员"),
        world.user("徐丽"),
        world.user("租客"),
        world.user("陈会计"),
    )
    await world.join_as(admin, Role.ADMIN)
    await world.onboard(owner, "1栋 1单元 101", "owner")
    await world.onboard(tenant, "1栋 1单元 101", "tenant")
    await world.join_as(staff, Role.STAFF)
    return admin, owner, tenant, staff


async def _set_fee(admin) -> None:  # type: ignore[no-untyped-def]
    await admin.send("/fees")
    assert "尚未设置" in admin.texts()[-2]
    await admin.send("一块二")
    assert "单价须在" in admin.last_text
    await admin.send("1.20")
    await admin.press("按月")
    await admin.press("15")
    await admin.press("30 %")
    await admin.press("不收违约金")
    await admin.press("本月")
    assert "¥84.00" in admin.last_text  # a 100 ㎡ home: 120.00 minus 36.00 of subsidy
    await admin.press("保存")


async def test_fee_bills_payments_and_arrears_through_the_bot(world, clock):
    admin, owner, tenant, staff = await _people(world)
    await owner.send("/fees")
    assert "只有本小区的管理员" in owner.last_text
    await _set_fee(admin)
    assert "已保存" in admin.last_text
    await tick(world.runtime)
    await owner.send("/bills")
    assert "待缴：¥75.18" in owner.last_text and "已扣除政府补贴 ¥32.22" in owner.last_text
    await tenant.send("/bills")
    assert "只有业主能看到" in tenant.last_text
    await owner.press("允许租户查看账单")
    await tenant.send("/bills")
    assert "待缴：¥75.18" in tenant.last_text

    await staff.send("/payment")
    await staff.send("1栋 9单元 101")
    assert "没有唯一匹配" in staff.last_text
    await staff.send("1栋 1单元 101")
    assert "欠缴 ¥75.18" in staff.last_text
    await staff.send("五十")
    assert "不是有效的金额" in staff.last_text
    await staff.send("50")
    cash = staff.last_message.inline_keyboard[0][0]["callback_data"]
    await staff.press("现金")
    assert "已登记 ¥50.00" in staff.last_text and "待缴：¥25.18" in staff.last_text
    await staff.press_data(cash)  # a double tap books nothing more
    assert "此按钮已不再有效" in staff.alerts[-1]
    await world.deliver()
    assert "我们已收到" in owner.last_text and "¥50.00" in owner.last_text
    assert "我们已收到" in tenant.last_text  # tenants who see bills hear of payments too
    async with world.session() as session:
        assert len((await session.exec(select(Payment))).all()) == 1

    clock.set(datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI))
    await staff.send("/arrears")
    summary = staff.texts()[-2]
    assert "60 户共欠缴逾期费用 ¥5,106.04" in summary and "1栋：20 户，¥1,696.00" in summary
    assert (
        "应收 ¥5,156.04，已收 ¥50.00（0.97%）" in summary and "应缴 60 户，已缴清 0 户" in summary
    )
    document = world.emulator.files[staff.last_message.document["file_id"]].data
    sheet = openpyxl.load_workbook(io.BytesIO(document)).active
    homes = {row[1]: row[4] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert len(homes) == 60 and homes["1栋 1单元 101"] == 25.18
    await staff.send("/arrears 2026-13")
    assert "YYYY-MM" in staff.last_text
    await tenant.send("/arrears")
    assert "仅供物业服务人员" in tenant.last_text


async def test_telegram_payments_with_a_repeated_successful_payment(world, clock):
    world.runtime.settings.payment_provider_token = "284685063:TEST:provider"
    admin, owner, _tenant, _staff = await _people(world)
    await _set_fee(admin)
    await tick(world.runtime)
    await owner.send("/bills")
    await owner.press("在 Telegram 中支付 ¥75.18")
    assert (
        owner.last_message.kind == "invoice"
        and owner.last_message.raw["invoice"]["total_amount"] == 7518
    )
    answer = await owner.pay()
    assert answer["answered"]["ok"] is True
    assert "已收到付款：¥75.18" in owner.last_text
    payment_update = answer["payment_update"]
    world.emulator.redeliver(payment_update)  # Telegram delivers the same update again
    await world.settle_again(payment_update)
    from emulator.api_payments import successful_payment

    again = successful_payment(
        world.emulator,
        owner.id,
        answer["invoice"],
        f"tg-{next(iter(world.emulator.pre_checkout_queries))}",
    )
    await world.settle(again)  # or a new update with the same charge
    async with world.session() as session:
        payments = (await session.exec(select(Payment))).all()
        assert (
            len(payments) == 1
            and payments[0].amount == Decimal("75.18")
            and payments[0].method == "telegram"
        )
        assert await fees.outstanding(session, payments[0].household_id) == Decimal("0.00")

    # An invoice paid after the amount changed is refused before any money moves.
    clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI))
    await tick(world.runtime)
    await owner.send("/bills")
    await owner.press("在 Telegram 中支付")
    async with world.session() as session:
        await fees.record_payment(session, None, household_id=payments[0].household_id, amount=Decimal("10"),
                                  method="cash", reference="desk-1", paid_on=date(2026, 12, 1), now=clock.now())  # fmt: skip
    answer = await owner.pay()
    assert (
        answer["answered"]["ok"] is False
        and "应缴金额已变化" in answer["answered"]["error_message"]
    )
    async with world.session() as session:
        assert len((await session.exec(select(Payment))).all()) == 2
        assert (await session.exec(select(FeeSchedule))).one().price_per_m2 == Decimal("1.2000")


async def test_a_notice_to_homes_with_overdue_fees(world, clock):
    from tests.test_notices import _compose

    admin, owner, tenant, _staff = await _people(world)
    neighbour, liaison = world.user("高静"), world.user("刘书记")
    await world.onboard(neighbour, "1栋 1单元 102", "owner")
    await world.join_as(liaison, Role.LIAISON)
    await _set_fee(admin)
    await tick(world.runtime)
    async with world.session() as session:
        await fees.record_payment(session, None, household_id=await world.household_id("1栋", "1单元", "102"),
                                  amount=Decimal("99.42"), method="cash", reference="desk", paid_on=date(2026, 11, 3),
                                  now=clock.now())  # fmt: skip
    clock.set(datetime(2026, 11, 16, 10, 0, tzinfo=SHANGHAI))
    await _compose(
        liaison,
        target="有逾期欠费的住户",
        text="本周六物业服务中心延长办公时间，欢迎咨询缴费事宜。",
        ack=False,
    )
    assert "1 位" in liaison.last_text or "1 人" in liaison.last_text
    await liaison.press("确认发送")
    await world.deliver()
    assert any("延长办公时间" in t for t in owner.texts())
    assert not any("延长办公时间" in t for t in neighbour.texts() + tenant.texts())
