"""Fees through the bot: an administrator sets the fee, residents read /bills, staff record
payments, arrears and the collection rate, and Telegram Payments against the emulator."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import openpyxl
from sqlmodel import col, select

from jobs.fees import tick
from models import FeeSchedule, Payment, Role
from services import billing, payments

SHANGHAI = ZoneInfo("Asia/Shanghai")


async def _people(world):
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


async def _set_fee(admin) -> None:
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
    assert sheet.title == "欠费" and [c.value for c in sheet[1]] == [
        "楼栋",
        "房屋",
        "业主（花名册）",
        "电话（花名册）",
        "逾期账单数",
        "欠费金额",
        "最早截止日",
    ]
    rows = list(sheet.iter_rows(min_row=2))
    homes = {row[1].value: row for row in rows[:-1]}
    first = homes["1栋 1单元 101"]
    assert len(homes) == 60 and [c.value for c in first[2:6]] == ["徐丽", "13806480894", 1, 25.18]
    assert first[5].data_type == "n" and first[5].number_format == "¥#,##0.00"
    assert first[6].is_date and first[6].number_format == "yyyy-mm-dd"
    total = rows[-1]
    assert total[0].value == "合计" and total[0].font.b and total[5].font.b
    assert total[4].value == 60 and round(total[5].value, 2) == 5106.04
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
        booked = (await session.exec(select(Payment))).all()
        assert (
            len(booked) == 1
            and booked[0].amount == Decimal("75.18")
            and booked[0].method == "telegram"
        )
        assert await billing.outstanding(session, booked[0].household_id) == Decimal("0.00")

    # An invoice paid after the amount changed is refused before any money moves.
    clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI))
    await tick(world.runtime)
    await owner.send("/bills")
    await owner.press("在 Telegram 中支付")
    async with world.session() as session:
        await payments.record_payment(
            session,
            None,
            household_id=booked[0].household_id,
            amount=Decimal("10"),
            method="cash",
            reference="desk-1",
            paid_on=date(2026, 12, 1),
            now=clock.now(),
        )
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
        await payments.record_payment(
            session,
            None,
            household_id=await world.household_id("1栋", "1单元", "102"),
            amount=Decimal("99.42"),
            method="cash",
            reference="desk",
            paid_on=date(2026, 11, 3),
            now=clock.now(),
        )
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


def _payment_code() -> bytes:
    import segno

    out = io.BytesIO()
    segno.make("wxp://f2f0-demo-幸福家园物业").save(out, kind="png", scale=4)
    return out.getvalue()


async def test_paying_by_the_compounds_qr_code_and_the_office_confirming(world, clock):
    """DOMAIN §6: residents pay by WeChat Pay, Alipay or transfer outside the bot, say so, and
    staff confirm when the money is in the account (booked once) or say it is not found yet."""
    from models import PaymentClaim
    from views.fee_office import ClaimDecision

    admin, owner, tenant, staff = await _people(world)
    await _set_fee(admin)
    await tick(world.runtime)
    await owner.send("/bills")
    assert "微信、支付宝或银行转账缴费" not in owner.last_message.buttons()  # no code uploaded yet
    home = await world.household_id("1栋", "1单元", "101")
    await owner.send("/paycode")
    assert "只有本小区的管理员可以设置住户的缴费方式" in owner.last_text
    await admin.send("/paycode")
    assert "请以图片形式发送微信或支付宝收款码" in admin.last_text
    await admin.send("幸福家园物业服务中心")
    assert "请以图片形式发送收款码" in admin.last_text
    await admin.send_photo(_payment_code())
    assert "图片说明中填写收款方名称" in admin.last_text
    await admin.send_photo(b"GIF89a" + bytes(64), caption="幸福家园物业服务中心")
    assert "收款码须为 PNG 或 JPEG 图片" in admin.last_text
    await admin.send_photo(_payment_code(), caption="  幸福家园物业服务中心 ")
    assert "幸福家园：住户现在可在 /bills 中看到 幸福家园物业服务中心 的收款码" in admin.last_text

    await owner.send("/bills")
    await owner.press("微信、支付宝或银行转账缴费")
    code = owner.last_message
    assert code.kind == "photo" and world.emulator.files[code.photo_file_id].data == _payment_code()
    assert "向 幸福家园物业服务中心 缴纳 ¥75.18" in code.caption and "1栋 1单元 101" in code.caption
    wechat = code.inline_keyboard[0][0]["callback_data"]
    await owner.press("我已用微信支付付款", code.message_id)
    assert "物业服务中心核对账户后将确认您缴纳的 ¥75.18（微信支付）" in owner.last_text
    assert not owner.user.chat.by_id[code.message_id].inline_keyboard  # buttons gone
    await owner.press_data(wechat, code.message_id)  # a double tap: still one claim
    assert "正在等待物业服务中心确认" in owner.last_text
    await owner.send("/bills")
    await owner.press("微信、支付宝或银行转账缴费")
    assert "正在等待物业服务中心确认" in owner.last_text  # no second code while one is open

    await world.deliver()
    assert (
        "1栋 1单元 101 报告已缴纳 ¥75.18" in staff.last_text
        and "付款备注：1栋 1单元 101" in staff.last_text
    )
    assert staff.last_message.buttons() == ["款项已到账", "暂未查到"]
    claim_id = ClaimDecision.parse(
        staff.last_message.inline_keyboard[0][0]["callback_data"]
    ).claim_id
    await staff.send("/claims")  # the same claim, for staff who missed (or cleared) the message
    assert (
        "1栋 1单元 101 报告已缴纳 ¥75.18" in staff.last_text
        and len(staff.last_message.buttons()) == 2
    )
    await tenant.send("/claims")
    assert "只有本小区的物业服务人员可以确认缴费" in tenant.last_text
    await tenant.press_data(ClaimDecision(claim_id, True).pack())  # forged: not staff
    assert "只有本小区的物业服务人员可以确认缴费" in tenant.last_text
    received = staff.last_message.inline_keyboard[0][0]["callback_data"]
    await staff.press("款项已到账")
    assert "已登记 ¥75.18（微信支付）" in staff.last_text
    await staff.press_data(received)  # a double tap books nothing more
    assert "已处理：1栋 1单元 101 的 ¥75.18 已入账" in staff.last_text
    await staff.send("/claims")
    assert "没有等待确认的缴费报告" in staff.last_text
    await world.deliver()
    assert "我们已收到" in owner.last_text and "¥75.18" in owner.last_text
    async with world.session() as session:
        booked = (await session.exec(select(Payment))).all()
        assert [(p.amount, p.method) for p in booked] == [(Decimal("75.18"), "wechat")]
        assert await billing.outstanding(session, home) == Decimal("0.00")

    # Next month: the amount changes between showing the code and "I have paid"; then the office
    # cannot find an Alipay payment, and the home may say it paid again.
    clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI))
    await tick(world.runtime)
    await owner.send("/bills")
    await owner.press("微信、支付宝或银行转账缴费")
    async with world.session() as session:
        await payments.record_payment(
            session,
            None,
            household_id=home,
            amount=Decimal("10"),
            method="cash",
            reference="desk-1",
            paid_on=date(2026, 12, 1),
            now=clock.now(),
        )
        await session.commit()
    await owner.press("我已用支付宝付款")
    assert "应缴金额已变化" in owner.last_text
    await owner.send("/bills")
    await owner.press("微信、支付宝或银行转账缴费")
    assert "缴纳 ¥65.18" in owner.last_text
    await owner.press("我已用支付宝付款")
    await world.deliver()
    reminders = lambda: [t for t in owner.texts() if "温馨提醒" in t]  # noqa: E731
    clock.set(
        datetime(2026, 12, 15, 10, 0, tzinfo=SHANGHAI)
    )  # the due day, while the office checks
    await tick(world.runtime)
    await world.deliver()
    assert reminders() == []  # no reminder to a home that said it has paid
    await staff.press("暂未查到")
    assert "已告知 1栋 1单元 101：款项暂未查到" in staff.last_text
    await world.deliver()
    assert "暂未查到您为 1栋 1单元 101 缴纳的 ¥65.18（支付宝" in owner.last_text
    assert not any(
        word in owner.last_text for word in ("停水", "停电", "违约", "起诉")
    )  # courteous only
    async with world.session() as session:
        claims = (await session.exec(select(PaymentClaim).order_by(col(PaymentClaim.id)))).all()
        assert [c.status for c in claims] == ["confirmed", "not_found"] and claims[0].payment_id
        assert len((await session.exec(select(Payment))).all()) == 2  # the desk payment only
    await owner.send("/bills")
    await owner.press("微信、支付宝或银行转账缴费")
    assert owner.last_message.kind == "photo"  # a new claim may be made
    clock.set(datetime(2026, 12, 22, 10, 0, tzinfo=SHANGHAI))  # a week after the due day
    await tick(world.runtime)
    await world.deliver()
    assert len(reminders()) == 1 and "¥65.18" in reminders()[0]  # reminders go on as before


HOSTILE = "<3 & <b>{0}%s"


async def test_hostile_text_in_the_office_fee_flows_is_shown_as_typed(world, clock):
    """A payee caption, a typed home and a typed amount with markup in them are answered as
    typed (the emulator parses every reply as Telegram would; World also checks nothing is shown
    escaped twice), and nothing is stored from a refused answer."""
    from models import PaymentAccount

    admin, owner, _tenant, staff = await _people(world)
    await _set_fee(admin)
    await tick(world.runtime)

    await admin.send("/paycode")
    await admin.send_photo(_payment_code(), caption=f"{HOSTILE} 物业")
    assert f"{HOSTILE} 物业" in admin.last_text and "/bills" in admin.last_text
    async with world.session() as session:
        account = (await session.exec(select(PaymentAccount))).one()
        assert account.payee == f"{HOSTILE} 物业"
    await owner.send("/bills")
    await owner.press("微信、支付宝或银行转账缴费")
    assert f"{HOSTILE} 物业" in owner.last_text

    await staff.send("/payment")
    await staff.send(f"1栋 {HOSTILE}")
    assert f"“1栋 {HOSTILE}”" in staff.last_text  # "no single home matches …", as typed
    await staff.send("1栋 1单元 101")
    await staff.send(HOSTILE)
    assert f"“{HOSTILE}”" in staff.last_text  # "… is not an amount of money"
    await staff.send("/cancel")
    async with world.session() as session:
        assert (await session.exec(select(Payment))).all() == []


async def test_a_home_and_an_amount_typed_in_full_width_digits(world, clock):
    """A Chinese keyboard types full-width digits by default: １栋１单元１０１ and ５０ are the
    roster's 1栋 1单元 101 and 50."""
    admin, _owner, _tenant, staff = await _people(world)
    await _set_fee(admin)
    await tick(world.runtime)
    await staff.send("/payment")
    await staff.send("１栋１单元１０１")
    assert "欠缴 ¥75.18" in staff.last_text
    await staff.send("５０")
    await staff.press("现金")
    assert "已登记 ¥50.00" in staff.last_text
