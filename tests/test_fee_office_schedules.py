"""Price changes through the bot: an administrator announces a new price from a date in /fees
and sees what happens to the price in force, ends the fee, and residents' /bills shows the old
price up to the change, the new one after it, prorated days and price adjustments (调价补差).

1栋 1单元 101 has 89.50 ㎡: 107.40 a month at 1.20, 134.25 at 1.50; 1,288.80 a year at 1.20.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from jobs.fees import tick
from models import Role
from views.fee_office import FeeAnswer

SHANGHAI = ZoneInfo("Asia/Shanghai")


async def _people(world):
    await world.seed_roster()
    admin, owner = world.user("管理员"), world.user("徐丽")
    await world.join_as(admin, Role.ADMIN)
    await world.onboard(owner, "1栋 1单元 101", "owner")
    return admin, owner


async def _new_price(admin, price: str, period: str, due: str = "20") -> None:
    await admin.send("/fees")
    await admin.send(price)
    await admin.press(period)
    await admin.press(due)
    await admin.press("无补贴")
    await admin.press("不收违约金")


async def _at(world, year: int, month: int, day: int, hour: int) -> None:
    world.clock.set(datetime(year, month, day, hour, tzinfo=SHANGHAI))
    await tick(world.runtime)


async def test_a_price_announced_for_january_bills_december_at_the_current_price(world, clock):
    admin, owner = await _people(world)
    await _new_price(admin, "1.20", "按月")
    await admin.press("本月")
    assert "新单价自2026年11月1日起执行" in admin.last_text
    await admin.press("保存")
    assert "已保存" in admin.last_text
    await _at(world, 2026, 11, 2, 10)

    clock.set(datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI))
    await _new_price(admin, "1.50", "按月")
    assert "新单价自哪一天起执行" in admin.last_text
    await admin.send("2027-13-01")
    assert "请按 YYYY-MM-DD 格式输入日期，范围为2025年11月1日至2028年11月1日" in admin.last_text
    await admin.send("2027-01-01")
    confirm = admin.last_text
    assert "现行单价 ¥1.20 执行至2026年12月31日，新单价自2027年1月1日起执行。" in confirm
    assert "已有" not in confirm  # nothing is billed from January yet
    save = admin.last_message.inline_keyboard[0][0]["callback_data"]
    await admin.press("保存")
    assert "现行单价 ¥1.20 执行至2026年12月31日" in admin.last_text
    await admin.press_data(save)  # a second tap saves nothing more
    assert "此按钮已不再有效" in admin.alerts[-1]

    await admin.send("/fees")
    listing = admin.texts()[-2]
    assert "幸福家园的收费标准" in listing
    assert "物业服务费 ¥1.50/㎡/月，按月收取，每期 20 日到期，自2027年1月1日起（已公告）" in listing
    assert (
        "物业服务费 ¥1.20/㎡/月，按月收取，每期 20 日到期，2026年11月1日至2026年12月31日（现行）"
        in listing
    )
    await admin.send("/cancel")

    await _at(world, 2026, 12, 1, 9)
    await owner.send("/bills")
    assert "2026年12月：¥107.40，截止 2026年12月20日" in owner.last_text  # not ¥0
    assert "待缴：¥214.80" in owner.last_text
    await _at(world, 2027, 1, 1, 9)
    await owner.send("/bills")
    assert "2027年1月：¥134.25，截止 2027年1月20日" in owner.last_text
    assert "待缴：¥349.05" in owner.last_text  # 107.40 + 107.40 + 134.25


async def test_a_yearly_price_rise_from_june_is_settled_and_shown_in_bills(world, clock):
    admin, owner = await _people(world)
    clock.set(datetime(2025, 12, 1, 9, 0, tzinfo=SHANGHAI))
    await _new_price(admin, "1.20", "按年", due="15")
    await admin.press("本月")
    await admin.press("保存")
    await tick(world.runtime)
    clock.set(datetime(2026, 5, 10, 10, 0, tzinfo=SHANGHAI))
    await _new_price(admin, "1.50", "按年", due="15")
    await admin.press("下月")
    confirm = admin.last_text
    assert "现行单价 ¥1.20 执行至2026年5月31日，新单价自2026年6月1日起执行。" in confirm
    assert "已有 60 户的账单含 2026年6月1日起的天数" in confirm
    await admin.press("保存")
    assert "已开出 60 张调价补差账单。" in admin.last_text
    await owner.send("/bills")
    # 1 Jun – 30 Nov, 183 of 365 days: 807.71 at 1.50 less 646.17 at 1.20
    assert "调价补差 2026年6月1日 – 2026年11月30日（183 天）：¥161.54，截止 2026年6月1日" in (
        owner.last_text
    )
    assert "待缴：¥1,450.34" in owner.last_text  # 1,288.80 + 161.54
    await _at(world, 2026, 6, 1, 9)
    await owner.send("/bills")
    # The new year from 1 June, billed from 1 December (182 of 365 days): 803.29
    assert "2026年12月1日 – 2027年5月31日（182 天，按日折算）：¥803.29" in owner.last_text


async def test_ending_the_fee_in_the_bot(world, clock):
    admin, owner = await _people(world)
    await admin.send("/fees")
    assert "停止收取此项费用" not in str(admin.last_message.inline_keyboard)  # nothing to end
    await admin.press_data(FeeAnswer("price", "end").pack())
    assert "今日起并未收取此项费用，无需停止。" in admin.last_text
    await admin.send("/cancel")
    await _new_price(admin, "1.20", "按月")
    await admin.press("本月")
    await admin.press("保存")

    clock.set(datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI))
    await admin.send("/fees")
    await admin.press("停止收取此项费用")
    assert "收取至哪一天（含当天）" in admin.last_text
    await admin.send("下个月")
    assert "请按 YYYY-MM-DD 格式输入日期" in admin.last_text
    await admin.send("2026-12-15")
    assert "单价 ¥1.20 执行至2026年12月15日，此后不再收取此项费用。" in admin.last_text
    await admin.press("保存")
    assert "已保存" in admin.last_text

    await _at(world, 2026, 12, 1, 9)
    await owner.send("/bills")
    # 1–15 December: 107.40 × 15 ÷ 31 = 51.9677… → 51.97
    assert "2026年12月1日 – 2026年12月15日（15 天，按日折算）：¥51.97" in owner.last_text
    await _at(world, 2027, 1, 1, 9)
    await owner.send("/bills")
    assert "2027年1月" not in owner.last_text and "待缴：¥159.37" in owner.last_text
    await admin.send("/fees")
    assert "2026年11月1日至2026年12月15日（已停止）" in admin.texts()[-2]
    assert "停止收取此项费用" not in str(admin.last_message.inline_keyboard)


async def test_a_half_yearly_fee_is_set_in_the_bot_and_billed_for_six_months(world, clock):
    admin, owner = await _people(world)
    await _new_price(admin, "1.20", "按半年", due="15")
    await admin.press("本月")
    assert "新单价自2026年11月1日起执行" in admin.last_text
    await admin.press("保存")
    await _at(world, 2026, 11, 2, 10)
    await owner.send("/bills")
    # 89.50 ㎡ × ¥1.20 × 6 months = ¥644.40 for November to April.
    assert "¥644.40" in owner.last_text and "待缴：¥644.40" in owner.last_text
    await _at(world, 2027, 4, 30, 10)
    await owner.send("/bills")
    assert "待缴：¥644.40" in owner.last_text  # nothing more until May
    await _at(world, 2027, 5, 1, 10)
    await owner.send("/bills")
    assert "待缴：¥1,288.80" in owner.last_text
