"""Tickets as residents and staff use them: report, handle, confirm, rate; SLA; permissions."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from jobs.tickets import auto_confirm, escalate_overdue
from models import Role, Ticket, TicketEvent, TicketFollower, TicketPhoto

SHANGHAI = ZoneInfo("Asia/Shanghai")


async def _cast(world):
    await world.seed_roster()
    owner, neighbour, staff, liaison, supervisor = (
        world.user(name) for name in ("王芳", "陈邻居", "陈师傅", "刘书记", "赵总监")
    )
    await world.onboard(owner, "1栋 1单元 101", "owner")
    await world.onboard(neighbour, "1栋 1单元 202", "owner")
    await world.join_as(staff, Role.STAFF)
    await world.join_as(liaison, Role.LIAISON)
    await world.join_as(supervisor, Role.SUPERVISOR)
    return owner, neighbour, staff, liaison, supervisor


async def _report(
    person,
    *,
    category="公共部位日常维修",
    urgent: bool | str = False,
    text="3楼楼道灯不亮",
    photo=True,
    where="building",
):
    await person.send("/report")
    await person.press(category)
    # urgent: True for a lift entrapment, or the label of another kind of emergency
    await person.press("⚠️ 电梯困人" if urgent is True else urgent or "不紧急")
    await person.send(text)
    if photo:
        await person.send_photo(b"JPEG-broken-light")
        await person.press("完成")
    else:
        await person.press("不加照片")
    if where == "building":
        await person.press("在楼栋里")
        await person.press("1栋")
        await person.press("1单元")
        await person.send("3")
    elif where == "home":
        await person.press("在我家")
    else:
        await person.send_location(30.6312, 114.3120)


async def _ticket(world, ticket_id: int = 1) -> Ticket:
    async with world.session() as session:
        return await session.get(Ticket, ticket_id)


async def test_the_whole_path_report_handle_confirm_rate(world):
    owner, _neighbour, staff, _liaison, _sup = await _cast(world)
    await _report(owner)
    assert (
        "请核对" in owner.last_text
        and "幸福家园 1栋 1单元，3层" in owner.last_text
        and "照片：1 张" in owner.last_text
    )
    await owner.press("提交报事")
    assert "工单 #1" in owner.last_text
    await world.deliver()
    assert "新工单 #1" in staff.last_text
    await staff.send("/tickets")
    await staff.press("#1")
    assert "楼道灯" in staff.last_text
    await staff.press("受理")
    await world.deliver()
    assert "已被物业受理" in owner.last_text
    await staff.press("完成")
    assert "处理后的照片" in staff.last_text
    await staff.send_photo(b"JPEG-light-fixed")
    await world.deliver()
    assert "已处理完毕" in owner.last_text and owner.last_message.buttons() == [
        "已修好，确认",
        "没修好，重新处理",
    ]
    await owner.press("已修好，确认")
    await owner.press("5★")
    await owner.send("师傅很快，谢谢")
    assert "感谢您的意见" in owner.last_text
    ticket = await _ticket(world)
    assert (ticket.status, ticket.rating, ticket.rating_comment) == (
        "confirmed",
        5,
        "师傅很快，谢谢",
    )
    async with world.session() as session:
        photos = (await session.exec(select(TicketPhoto))).all()
        kinds = [
            e.kind
            for e in (await session.exec(select(TicketEvent).order_by(col(TicketEvent.id)))).all()
        ]
    assert [p.after for p in photos] == [False, True]
    assert kinds == ["report", "acknowledge", "photo", "done", "confirm", "rate"]
    await owner.send("/mytickets")
    assert owner.last_message.buttons()[0].startswith("#1 · 已确认完成")


async def test_location_and_home_reports(world):
    owner, *_ = await _cast(world)
    await _report(owner, where="location", photo=False)
    assert "幸福家园 · 共享位置 30.63120, 114.31200" in owner.last_text
    await owner.press("提交报事")
    ticket = await _ticket(world)
    assert (round(ticket.latitude, 4), round(ticket.longitude, 4)) == (30.6312, 114.312)
    await _report(owner, where="home", photo=False, category="清扫保洁")
    await owner.press("提交报事")
    assert (await _ticket(world, 2)).household_id is not None


async def test_reopen_reject_and_cancel(world):
    owner, _neighbour, staff, *_ = await _cast(world)
    await _report(owner, photo=False)
    await owner.press("提交报事")
    await staff.send("/tickets")
    await staff.press("#1")
    await staff.press("开始处理")
    await staff.press("完成")
    await staff.press("跳过")
    await world.deliver()
    heard = len(staff.bot_messages)
    await owner.press("没修好，重新处理")
    assert "哪里还没修好" in owner.last_text  # reopening asks why
    told = len(owner.bot_messages)
    await owner.send("灯还是不亮")
    await world.deliver()
    assert (await _ticket(world)).status == "reopened"
    assert len(staff.bot_messages) == heard + 1 and "灯还是不亮" in staff.last_text
    # the reporter gets the card, not a message about their own move
    assert len(owner.bot_messages) == told + 1 and "已重新打开" in owner.last_text
    await staff.send("/tickets")
    await staff.press("#1")
    await staff.press("不予受理")
    await staff.send("属于业主自家设施，不在公共维修范围")
    await world.deliver()
    assert "未予受理" in owner.last_text and "自家设施" in owner.last_text
    # a second report, cancelled by the reporter before work starts
    await _report(owner, photo=False, category="绿化养护")
    await owner.press("提交报事")
    await owner.send("/mytickets")
    await owner.press("#2")
    await owner.press("撤销我的报事")
    await owner.press("是的，撤销")
    assert (await _ticket(world, 2)).status == "cancelled"
    await owner.press_data("v1:tk:cancel:2")
    assert "不能执行" in owner.last_text


async def test_illegal_moves_through_the_bot_are_refused(world):
    owner, _n, staff, *_ = await _cast(world)
    await _report(owner, photo=False)
    await owner.press("提交报事")
    await staff.send("/tickets")
    await staff.press("#1")
    await staff.press_data("v1:tk:done:1")  # done straight from new
    assert "不能执行" in staff.last_text
    await owner.press_data("v1:tk:confirm:1")
    assert "不能执行" in owner.last_text
    await owner.press_data("v1:tk:acknowledge:1")
    assert "只有本小区的物业服务人员" in owner.last_text
    assert (await _ticket(world)).status == "new"


async def test_duplicate_offer_lets_a_neighbour_follow(world):
    owner, neighbour, staff, *_ = await _cast(world)
    await _report(owner, photo=False)
    await owner.press("提交报事")
    await _report(neighbour, photo=False, text="楼道灯坏了")
    assert "工单 #1" in neighbour.last_text
    await neighbour.press("+1，关注工单 #1")
    assert "已关注工单 #1" in neighbour.last_text
    async with world.session() as session:
        assert len((await session.exec(select(Ticket))).all()) == 1
        assert len((await session.exec(select(TicketFollower))).all()) == 1
    await staff.send("/tickets")
    await staff.press("#1")
    await staff.press("受理")
    await world.deliver()
    assert "已被物业受理" in neighbour.last_text


async def test_wrong_input_at_each_step(world):
    owner, *_ = await _cast(world)
    await owner.send("/report")
    await owner.send("灯坏了")
    assert "按钮" in owner.last_text
    await owner.press("公共部位日常维修")
    await owner.send_photo(b"x")
    assert "按钮" in owner.last_text
    await owner.press("不紧急")
    await owner.send_location(1, 2)
    assert "文字" in owner.last_text
    await owner.send("x")
    assert "几句话" in owner.last_text
    await owner.send("楼道灯坏了")
    await owner.send("这不是照片")
    assert "照片" in owner.last_text
    for _ in range(5):
        await owner.send_photo(b"p")
    await owner.send_photo(b"p")
    assert "最多 5 张" in owner.last_text
    await owner.press("完成")
    await owner.send_photo(b"p")  # typed text is a place now (tests/test_ticket_places.py)
    assert "分享位置" in owner.last_text
    await owner.press("在楼栋里")
    await owner.press("2栋")
    await owner.press("2单元")
    await owner.send("三楼")
    assert "数字" in owner.last_text
    await owner.send("/mytickets")
    assert "/cancel" in owner.last_text
    await owner.send("3")
    await owner.press("提交报事")
    assert "工单 #1" in owner.last_text


async def test_cancel_and_restart_mid_report(world):
    owner, *_ = await _cast(world)
    await owner.send("/report")
    await owner.press("清扫保洁")
    await owner.send("/cancel")
    assert "已取消" in owner.last_text
    await owner.send("/report")
    await owner.press("清扫保洁")
    await owner.press("不紧急")
    await world.restart()
    await owner.send("电梯口有垃圾")
    assert "照片" in owner.last_text
    await owner.press("不加照片")
    await owner.press("在我家")
    await owner.press("提交报事")
    assert (await _ticket(world)).description == "电梯口有垃圾"


async def test_sla_escalates_once_per_level_even_across_restarts(world, clock):
    owner, _n, _staff, liaison, supervisor = await _cast(world)
    await _report(owner, photo=False)
    await owner.press("提交报事")
    await world.deliver()
    before = len(liaison.bot_messages), len(supervisor.bot_messages)
    clock.advance(minutes=14)
    assert await escalate_overdue(world.runtime) == 0
    clock.advance(minutes=2)
    assert await escalate_overdue(world.runtime) == 1
    assert await escalate_overdue(world.runtime) == 0
    await world.restart()
    assert await escalate_overdue(world.runtime) == 0
    await world.deliver()
    assert len(liaison.bot_messages) == before[0] + 1 and "超时工单 1 件\n#1 ·" in liaison.last_text
    assert len(supervisor.bot_messages) == before[1]
    clock.advance(hours=48)
    assert await escalate_overdue(world.runtime) == 1
    assert await escalate_overdue(world.runtime) == 0
    await world.deliver()
    assert "已上报义务质量总监" in supervisor.last_text
    assert len(liaison.bot_messages) == before[0] + 1


async def test_urgent_reports_alert_staff_and_liaison_at_night(world, clock):
    owner, _n, staff, liaison, _sup = await _cast(world)
    clock.set(datetime(2026, 11, 2, 23, 30, tzinfo=SHANGHAI).astimezone(UTC))
    await _report(owner, urgent=True, category="设施设备运行", text="电梯困人！", photo=False)
    await owner.press("提交报事")
    await world.deliver()
    assert "紧急：电梯困人 #1" in staff.last_text and "紧急：电梯困人 #1" in liaison.last_text
    await _report(owner, category="绿化养护", text="草坪需要修剪", photo=False, where="home")
    await owner.press("提交报事")
    await world.deliver()
    assert "新工单 #2" not in staff.last_text  # ordinary tickets wait for the morning


async def test_a_resident_never_sees_another_households_ticket(world):
    owner, neighbour, *_ = await _cast(world)
    await _report(owner, where="home", photo=False)
    await owner.press("提交报事")
    await neighbour.send("/help")
    await neighbour.press_data("v1:tk:view:1")
    assert "不存在" in neighbour.last_text
    await neighbour.send("/mytickets")
    assert "还没有工单" in neighbour.last_text
    await neighbour.press_data("v1:tk:cancel:1")
    assert (await _ticket(world)).status == "new"


async def test_staff_of_another_compound_cannot_act(world, tmp_path):
    owner, *_ = await _cast(world)
    await world.seed_other_compound(tmp_path)
    stranger = world.user("外小区师傅")
    await world.join_as(stranger, Role.STAFF, "compound:和平里")
    await _report(owner, photo=False)
    await owner.press("提交报事")
    await stranger.send("/tickets")
    assert "没有待处理" in stranger.last_text
    await stranger.press_data("v1:tk:acknowledge:1")
    assert "不存在" in stranger.last_text
    await stranger.press_data("v1:tk:acknowledge:x")
    assert "不再有效" in stranger.last_text
    assert (await _ticket(world)).status == "new"


async def test_a_liaison_files_for_a_household(world):
    owner, _n, staff, liaison, _sup = await _cast(world)
    await liaison.send("/report")
    await liaison.press("替住户代办")
    await liaison.send("1栋 9单元 999")
    assert "没有唯一匹配“1栋 9单元 999”" in liaison.last_text
    await liaison.send("1栋 1单元 101")
    await liaison.press("秩序维护")
    await liaison.press("不紧急")
    await liaison.send("楼下有车辆堵住消防通道")
    await liaison.press("不加照片")
    await liaison.press("在我家")
    await liaison.press("提交报事")
    ticket = await _ticket(world)
    async with world.session() as session:
        from models import Resident

        filer = await session.get(Resident, ticket.filed_by_id)
        reporter = await session.get(Resident, ticket.reporter_id)
    assert filer.display_name == "刘书记" and reporter.display_name == "王芳"
    await staff.send("/tickets")
    await staff.press("#1")
    await staff.press("受理")
    await world.deliver()
    assert "已被物业受理" in owner.last_text and "已被物业受理" in liaison.last_text


async def test_unconfirmed_fixes_confirm_themselves(world, clock):
    owner, _n, staff, *_ = await _cast(world)
    await _report(owner, photo=False)
    await owner.press("提交报事")
    await staff.send("/tickets")
    await staff.press("#1")
    await staff.press("开始处理")
    await staff.press("完成")
    await staff.press("跳过")
    clock.advance(days=2)
    assert await auto_confirm(world.runtime) == 0
    clock.advance(days=1, seconds=1)
    assert await auto_confirm(world.runtime) == 1
    assert await auto_confirm(world.runtime) == 0
    await world.deliver()
    assert "自动确认" in owner.last_text
    assert (await _ticket(world)).status == "confirmed"


async def test_assign_and_notes_internal_or_for_the_resident(world):
    owner, _n, staff, *_ = await _cast(world)
    colleague = world.user("李师傅")
    await world.join_as(colleague, Role.STAFF)
    await _report(owner, photo=False)
    await owner.press("提交报事")
    await staff.send("/tickets")
    await staff.press("#1")
    await staff.press("指派")
    await staff.press("李师傅")
    assert "已指派" in staff.last_text
    await staff.send("/tickets")
    await staff.press("#1")
    await staff.press("内部备注")
    await staff.send("需要买新灯管")
    await staff.press("给住户的说明")
    await staff.send("灯管已订购，明天更换")
    await world.deliver()
    assert "灯管已订购" in owner.last_text
    assert not any("买新灯管" in t for t in owner.texts())
    await owner.send("/mytickets")
    await owner.press("#1")
    await owner.press("处理记录")
    assert "灯管已订购" in owner.last_text and "买新灯管" not in owner.last_text
    await staff.press("处理记录")
    assert "买新灯管" in staff.last_text and "（内部）" in staff.last_text
    assert (await _ticket(world)).assignee_id is not None


# --- the middle layer: screens escape what people type, the card's buttons come from the state
# machine, services tell whom a change concerns, and whoever is alerted can open the ticket ----
HOSTILE = "<3 & <b> {0} %s"


async def test_typed_text_is_shown_as_typed_on_every_ticket_screen(world):
    owner, _n, staff, _liaison, _sup = await _cast(world)
    await _report(owner, text=f"灯坏了 {HOSTILE}", photo=False)
    assert f"描述：灯坏了 {HOSTILE}" in owner.last_text
    await owner.press("提交报事")
    await world.deliver()
    assert f"灯坏了 {HOSTILE}" in staff.last_text  # the staff alert
    await staff.send("/tickets")
    await staff.press("#1")
    assert f"灯坏了 {HOSTILE}" in staff.last_text  # the card
    await staff.press("给住户的说明")
    await staff.send("预计 <3 天修好")
    await staff.press("内部备注")
    await staff.send(f"内部 {HOSTILE}")
    await world.deliver()
    assert "预计 <3 天修好" in owner.last_text  # the resident's notice
    await owner.send("/mytickets")
    await owner.press("#1")
    await owner.press("处理记录")
    assert "预计 <3 天修好" in owner.last_text and "内部" not in owner.last_text
    await staff.press("处理记录")
    assert "预计 <3 天修好" in staff.last_text and f"内部 {HOSTILE}" in staff.last_text
    await staff.press("开始处理")
    await staff.press("完成")
    await staff.press("跳过")
    await world.deliver()
    await owner.press("已修好，确认")
    await owner.press("4★")
    await owner.send(f"还行 {HOSTILE}")
    assert "感谢您的意见" in owner.last_text
    assert (await _ticket(world)).rating_comment == f"还行 {HOSTILE}"

    await _report(owner, photo=False, category="绿化养护", text="草坪需要修剪")
    await owner.press("提交报事")
    await staff.send("/tickets")
    await staff.press("#2")
    await staff.press("不予受理")
    await staff.send(f"不归物业管 {HOSTILE}")
    assert f"原因：不归物业管 {HOSTILE}" in staff.last_text  # the card after rejecting
    await world.deliver()
    assert f"原因：不归物业管 {HOSTILE}" in owner.last_text
    await owner.send("/mytickets")
    await owner.press("#2")
    await owner.press("处理记录")
    assert f"不归物业管 {HOSTILE}" in owner.last_text
    assert not any("出错" in text for text in owner.texts() + staff.texts())


async def test_the_card_offers_each_viewer_what_they_may_do_now(world):
    owner, _n, staff, liaison, _sup = await _cast(world)
    await _report(owner, photo=False, urgent=True, category="设施设备运行", text="电梯困人")
    await owner.press("提交报事")
    await world.deliver()

    def rows(person) -> list[list[str]]:
        return [[b["text"] for b in row] for row in person.last_message.inline_keyboard]

    await staff.press("查看工单")
    assert rows(staff) == [
        ["受理", "开始处理"],
        ["指派", "给住户的说明", "内部备注"],
        ["不予受理"],
        ["需要更多信息"],
        ["处理记录"],
    ]
    await owner.press("查看工单")
    assert rows(owner) == [["撤销我的报事"], ["补充意见"], ["处理记录"]]
    await liaison.press("查看工单")  # alerted because it is urgent; not theirs to work on
    assert "工单 #1" in liaison.last_text and rows(liaison) == [["处理记录"]]
    await staff.press("开始处理")
    assert rows(staff)[0] == ["完成"]
    await staff.press("完成")
    await staff.press("跳过")
    assert rows(staff) == [["处理记录"]]  # done: the resident's turn
    await owner.send("/mytickets")
    await owner.press("#1")
    assert rows(owner) == [["已修好，确认", "没修好，重新处理"], ["处理记录"]]
    await owner.press("已修好，确认")
    assert rows(owner) == [["1★", "2★", "3★", "4★", "5★"]]
    await owner.press("3★")
    await owner.press("不评论了")
    assert "感谢您的反馈" in owner.last_text
    assert ((await _ticket(world)).rating, (await _ticket(world)).rating_comment) == (3, None)


async def test_whoever_an_escalation_reaches_can_open_the_ticket(world, clock, tmp_path):
    owner, _n, staff, liaison, supervisor = await _cast(world)
    officer, outsider = world.user("区房管局"), world.user("外小区联络员")
    await world.join_as(officer, Role.OFFICER, "district:江岸区")
    await world.seed_other_compound(tmp_path)
    await world.join_as(outsider, Role.LIAISON, "compound:和平里")
    await _report(owner, photo=False)
    await owner.press("提交报事")
    await staff.send("/tickets")
    await staff.press("#1")
    await staff.press("内部备注")
    await staff.send("业主不好沟通")
    clock.advance(minutes=16)
    assert await escalate_overdue(world.runtime) == 1
    await world.deliver()
    assert "超时工单 1 件\n#1 ·" in liaison.last_text
    await liaison.press("查看工单")
    assert "工单 #1" in liaison.last_text and "楼道灯" in liaison.last_text
    await liaison.press("处理记录")
    assert "备注" not in liaison.last_text  # internal notes are for staff only
    clock.advance(hours=48)
    assert await escalate_overdue(world.runtime) == 1
    await world.deliver()
    await supervisor.press("查看工单")
    assert "工单 #1" in supervisor.last_text and "不存在" not in supervisor.last_text
    for stranger in (officer, outsider):
        await stranger.send("/help")
        await stranger.press_data("v1:tk:view:1")
        assert "该工单不存在" in stranger.last_text
        await stranger.press_data("v1:tk:history:1")
        assert "该工单不存在" in stranger.last_text


async def test_a_liaison_names_the_home_as_staff_do_and_sees_it_escaped(world):
    owner, _n, _staff, liaison, _sup = await _cast(world)
    await liaison.send("/report")
    await liaison.press("替住户代办")
    await liaison.send(f"<b>1栋</b> {HOSTILE}")
    assert f"没有唯一匹配“<b>1栋</b> {HOSTILE}”" in liaison.last_text
    await liaison.send("1-1-101")
    assert "哪方面的问题" in liaison.last_text
    await liaison.press("清扫保洁")
    await liaison.press("不紧急")
    await liaison.send("楼道里有垃圾")
    await liaison.press("不加照片")
    await liaison.press("在我家")
    await liaison.press("提交报事")
    ticket = await _ticket(world)
    assert ticket.household_id == await world.household_id("1栋", "1单元", "101")
    await liaison.send("/report")
    await liaison.press("替住户代办")
    await liaison.send("1栋1单元201")
    assert "哪方面的问题" in liaison.last_text
    async with world.session() as session:
        from models import Draft

        row = (await session.exec(select(Draft))).one()
    assert row.data["household_id"] == await world.household_id("1栋", "1单元", "201")
    await owner.send("/report")  # a resident is never asked whose report it is
    assert "哪方面的问题" in owner.last_text


async def test_drafts_are_typed_and_survive_a_restart(world):
    from models import Draft

    owner, _n, staff, *_ = await _cast(world)
    await owner.send("/report")
    await owner.press("清扫保洁")
    async with world.session() as session:
        rows = (await session.exec(select(Draft))).all()
        assert [(r.flow, r.step, r.data["category"]) for r in rows] == [
            ("report", "urgent", "cleaning")
        ]
    await owner.press("不紧急")
    await owner.send("门口有垃圾")
    await owner.press("不加照片")
    await owner.press("在我家")
    await owner.press("提交报事")
    await staff.send("/tickets")
    await staff.press("#1")
    await staff.press("不予受理")
    await world.restart()
    await staff.send("不属于物业服务范围")
    assert (await _ticket(world)).status == "rejected"
    await staff.press_data("v1:tk:skip:1")  # a Skip with no after-photo asked for: stale
    assert "不再有效" in staff.last_text
    async with world.session() as session:
        assert (await session.exec(select(Draft))).all() == []


async def test_counts_read_naturally_in_english(world):
    owner, _n, staff, *_ = await _cast(world)
    await staff.send("/language")
    await staff.press("English")
    await _report(owner)
    await owner.press("提交报事")
    await staff.send("/tickets")
    assert "1 open ticket (urgent first, then oldest)" in staff.last_text
    await staff.press("#1")
    assert staff.last_text.endswith("\n1 photo")
    await _report(owner, photo=False, category="清扫保洁", text="门口有垃圾", where="home")
    await owner.press("提交报事")
    await staff.send("/tickets")
    assert "2 open tickets" in staff.last_text


async def test_a_long_history_arrives_in_several_messages(world):
    """Telegram refuses a text over 4,096 characters: six long notes make a history longer than
    that, and the resident gets it in several messages, every note in full, in order."""
    owner, _n, staff, _liaison, _sup = await _cast(world)
    await _report(owner, photo=False)
    await owner.press("提交报事")
    await staff.send("/tickets")
    await staff.press("#1")
    card = staff.last_message.message_id
    for number in range(6):
        await staff.press("给住户的说明", card)
        await staff.send(f"第{number}条说明：" + "楼道灯线路检查中。" * 100)
    await owner.send("/mytickets")
    await owner.press("#1")
    before = len(owner.bot_messages)
    await owner.press("处理记录")
    pieces = [m.content for m in owner.bot_messages[before:]]
    assert len(pieces) >= 2 and all(len(p) <= 4096 for p in pieces)
    history = "\n".join(pieces)
    assert [history.index(f"第{n}条说明") for n in range(6)] == sorted(
        history.index(f"第{n}条说明") for n in range(6)
    )
    assert "系统出错" not in history
