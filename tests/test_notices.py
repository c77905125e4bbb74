"""Notices as liaisons and residents use them: compose, target, schedule, acknowledge, follow up."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from sqlmodel import select

from models import NoticeAck, OutboxMessage, Role

SHANGHAI = ZoneInfo("Asia/Shanghai")


async def _people(world):  # type: ignore[no-untyped-def]
    await world.seed_roster()
    owner, tenant, far_owner = world.user("王芳"), world.user("李娜"), world.user("赵三")
    await world.onboard(owner, "1栋 1单元 101", "owner")
    await world.onboard(tenant, "2栋 1单元 302", "tenant")
    await world.onboard(far_owner, "3栋 1单元 201", "owner")
    liaison = world.user("刘书记")
    await world.join_as(liaison, Role.LIAISON)
    return owner, tenant, far_owner, liaison


async def _compose(
    liaison,
    *,
    category="服务通知",
    target="全体住户",
    picks=(),
    text="明天 9:00–12:00 停水",
    ack=True,
    when="立即发送",
):  # type: ignore[no-untyped-def]
    await liaison.send("/notice")
    await liaison.press(category)
    await liaison.press(target)
    for pick in picks:
        await liaison.press(pick)
    if picks:
        await liaison.press("完成")
    await liaison.send(text)
    await liaison.press("是，请求确认阅读" if ack else "否")
    await liaison.press(when)


async def test_a_notice_reaches_every_resident_who_can_acknowledge_it(world):
    owner, tenant, far_owner, liaison = await _people(world)
    await _compose(liaison)
    preview, summary = liaison.bot_messages[-2:]
    assert "【服务通知】" in preview.content and "停水" in preview.content
    assert "3 人" in summary.content and "60 户" in summary.content
    await liaison.press("确认发送")
    assert "正在发送给 3 人" in liaison.last_text
    await world.deliver()
    for person in (owner, tenant, far_owner):
        assert "停水" in person.last_text and person.last_message.buttons() == ["我已阅读"]
    await owner.press("我已阅读")
    assert "已记录" in owner.last_text
    await owner.press_data(owner.bot_messages[-2].inline_keyboard[0][0]["callback_data"])
    assert "已经确认" in owner.last_text
    async with world.session() as session:
        assert len((await session.exec(select(NoticeAck))).all()) == 1
    await owner.send("/notices")
    assert "停水" in owner.last_text and "✅" in owner.last_text


async def test_targets_reach_only_the_right_people(world):
    owner, tenant, far_owner, liaison = await _people(world)
    staff = world.user("陈师傅")
    await world.join_as(staff, Role.STAFF)
    await _compose(liaison, target="仅业主", text="业主大会通知", ack=False)
    await liaison.press("确认发送")
    await _compose(
        liaison, target="指定楼栋", picks=["1栋", "2栋"], text="1、2栋电梯检修", ack=False
    )
    await liaison.press("确认发送")
    await _compose(liaison, target="指定网格", picks=["第二网格"], text="第二网格消杀", ack=False)
    await liaison.press("确认发送")
    await liaison.send("/notice")
    await liaison.press("政策通知")
    await liaison.press("指定角色")
    await liaison.press("物业服务人员")
    await liaison.send("请各位同事周五开会")
    await liaison.press("是，请求确认阅读")
    await liaison.press("立即发送")
    await liaison.press("确认发送")
    await world.deliver()
    assert [t for t in owner.texts() if "通知】" in t] == [
        t for t in owner.texts() if "业主大会通知" in t or "电梯检修" in t
    ] and len([t for t in owner.texts() if "通知】" in t]) == 2
    assert not any("业主大会通知" in t for t in tenant.texts()) and any(
        "电梯" in t for t in tenant.texts()
    )
    assert any("业主大会" in t for t in far_owner.texts()) and any(
        "消杀" in t for t in far_owner.texts()
    )
    assert not any("电梯" in t for t in far_owner.texts())
    assert any("开会" in t for t in staff.texts()) and not any("开会" in t for t in owner.texts())
    await staff.press("我已阅读")  # a notice to a role has no household behind it
    assert "已记录" in staff.last_text


async def test_nobody_outside_the_senders_compound_is_reached(world, tmp_path):
    owner, tenant, far_owner, _liaison = await _people(world)
    await world.seed_other_compound(tmp_path)
    outsider = world.user("孙书记")
    await world.join_as(outsider, Role.LIAISON, "compound:和平里")
    await _compose(outsider, text="和平里通知", ack=False)
    assert "0 人" in outsider.last_text
    await outsider.press("确认发送")
    await world.deliver()
    assert not any("和平里通知" in t for p in (owner, tenant, far_owner) for t in p.texts())


async def test_residents_cannot_send_notices(world):
    owner, *_ = await _people(world)
    await owner.send("/notice")
    assert "只有" in owner.last_text
    assert "notice" not in owner.commands


async def test_schedule_edit_and_send_at_the_time(world, clock):
    owner, _tenant, _far, liaison = await _people(world)
    await _compose(liaison, text="原来的内容", ack=False, when="定时发送")
    await liaison.send("明天早上")
    assert "YYYY-MM-DD" in liaison.last_text
    await liaison.send("2026-11-01 09:00")
    assert "已经过去" in liaison.last_text
    await liaison.send("2026-11-03 09:00")
    await liaison.press("确认发送")
    assert "已定时" in liaison.last_text
    await world.run_jobs()
    assert not any("内容" in t for t in owner.texts())
    await liaison.send("/notices")
    await liaison.press("修改内容")
    await liaison.send("修改后的内容")
    assert "修改后的内容" in liaison.last_text
    clock.set(datetime(2026, 11, 3, 9, 0, tzinfo=SHANGHAI).astimezone(UTC))
    await world.run_jobs()
    await world.run_jobs()  # a second tick sends nothing twice
    assert [t for t in owner.texts() if "内容" in t] == ["【服务通知】\n修改后的内容"]


async def test_a_scheduled_notice_can_be_cancelled(world, clock):
    owner, _tenant, _far, liaison = await _people(world)
    await _compose(liaison, text="会被取消", ack=False, when="定时发送")
    await liaison.send("2026-11-03 09:00")
    await liaison.press("确认发送")
    await liaison.send("/notices")
    await liaison.press("取消发送")
    assert "已取消" in liaison.last_text
    clock.set(datetime(2026, 11, 4, 9, 0, tzinfo=SHANGHAI).astimezone(UTC))
    await world.run_jobs()
    assert not any("会被取消" in t for t in owner.texts())


async def test_too_long_text_is_refused_naming_the_limit(world):
    _owner, _tenant, _far, liaison = await _people(world)
    await liaison.send("/notice")
    await liaison.press("政策通知")
    await liaison.press("全体住户")
    await liaison.send("长" * 4090)
    assert "4056" in liaison.last_text and "4090" in liaison.last_text
    await liaison.send("短通知")
    assert "确认已阅读" in liaison.last_text


async def test_wrong_input_at_each_step_is_answered_and_nothing_is_lost(world):
    _owner, _tenant, _far, liaison = await _people(world)
    await liaison.send("/notice")
    await liaison.send("随便打字")
    assert "按钮" in liaison.last_text
    await liaison.press_data("v1:nq:target:compound")  # a button of a later step
    assert "不再有效" in liaison.last_text
    await liaison.press("服务通知")
    await liaison.press("全体住户")
    await liaison.send_location(30.6, 114.3)
    assert "文字" in liaison.last_text
    await liaison.send("/whoami")
    assert "/cancel" in liaison.last_text
    await world.restart()
    await liaison.send("重启后继续的通知")
    assert "确认已阅读" in liaison.last_text
    await liaison.press("否")
    await liaison.press("立即发送")
    await liaison.press("确认发送")
    assert "正在发送" in liaison.last_text


async def test_quiet_hours_hold_service_notices_but_not_emergencies(world, clock):
    owner, _tenant, _far, liaison = await _people(world)
    clock.set(datetime(2026, 11, 2, 22, 30, tzinfo=SHANGHAI).astimezone(UTC))
    await _compose(liaison, text="明天停电", ack=False)
    await liaison.press("确认发送")
    await _compose(liaison, category="紧急通知", text="3栋燃气泄漏，请勿用火", ack=False)
    await liaison.press("确认发送")
    await world.deliver()
    assert any("燃气" in t for t in owner.texts()) and not any("停电" in t for t in owner.texts())
    clock.set(datetime(2026, 11, 3, 8, 0, tzinfo=SHANGHAI).astimezone(UTC))
    await world.deliver()
    assert any("停电" in t for t in owner.texts())


async def test_delivery_report_lists_households_not_reached_and_reminds(world, clock):
    owner, tenant, far_owner, liaison = await _people(world)
    world.emulator.block(far_owner.id)
    await _compose(liaison, text="请阅读垃圾分类新规")
    await liaison.press("确认发送")
    await world.deliver()
    await tenant.press("我已阅读")
    await liaison.press("送达报告")
    report = liaison.bot_messages[-2].content
    assert "已发送：2" in report and "无法送达：1" in report and "已确认阅读：1" in report
    assert "1栋 · 第一网格" in report and "1栋 1单元 102 — 无人注册" in report
    assert "未送达的住户：58 / 60 户" in report  # 57 with nobody registered, 1 blocked
    sheet = load_workbook(filename=_download(world, liaison)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == ["楼栋", "网格", "住户", "原因"] and len(rows) == 1 + 58
    assert ["3栋", "第二网格", "3栋 1单元 201", "已屏蔽机器人"] in rows
    clock.advance(days=2)
    await liaison.press("送达报告")
    assert "1栋 1单元 101 — 未确认阅读" in liaison.bot_messages[-2].content
    await liaison.press("提醒未阅读的住户")
    assert "1 人" in liaison.last_text
    await world.deliver()
    assert "请阅读此通知" in owner.last_text
    assert not any("请阅读此通知" in t for t in tenant.texts())
    async with world.session() as session:
        rows = (
            await session.exec(
                select(OutboxMessage).where(OutboxMessage.purpose.startswith("notice:1:remind"))
            )
        ).all()
    assert len(rows) == 1


def _download(world, person):  # type: ignore[no-untyped-def]
    import io

    document = person.last_message.document
    assert document["file_name"].endswith(".xlsx")
    return io.BytesIO(world.emulator.file_bytes(document["file_id"]))


async def test_a_notice_with_a_photo_arrives_as_a_photo(world):
    owner, _tenant, _far, liaison = await _people(world)
    await liaison.send("/notice")
    await liaison.press("服务通知")
    await liaison.press("全体住户")
    await liaison.send_photo(b"JPEG-notice-board", caption="小区公告栏已更新")
    await liaison.press("否")
    await liaison.press("立即发送")
    assert liaison.bot_messages[-2].kind == "photo"
    await liaison.press("确认发送")
    await world.deliver()
    received = owner.last_message
    assert received.kind == "photo" and "公告栏" in received.caption
    assert world.emulator.file_bytes(received.photo_file_id) == b"JPEG-notice-board"


async def test_a_resident_cannot_acknowledge_a_notice_not_sent_to_them(world):
    owner, _tenant, _far, liaison = await _people(world)
    await _compose(liaison, target="指定楼栋", picks=["3栋"], text="只给3栋")
    await liaison.press("确认发送")
    await world.deliver()
    await owner.send("/help")
    await owner.press_data("v1:ack:1")
    assert "不是发给您的" in owner.last_text
    async with world.session() as session:
        assert (await session.exec(select(NoticeAck))).all() == []
