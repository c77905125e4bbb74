"""Limits a notice's sender meets: reminders at most once per cool-down (a double tap sends
one; a tap too soon says when the last went out and when the next may go), and no reminder
when there is nobody left to remind."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from core.i18n import translator
from models import Notice, OutboxMessage, Role
from tests.test_notices import _compose, _people

SHANGHAI = ZoneInfo("Asia/Shanghai")
REMIND = "提醒未阅读的住户"


async def _reminders(world) -> list[str]:
    async with world.session() as session:
        rows = await session.exec(
            select(OutboxMessage).where(col(OutboxMessage.purpose).startswith("notice:1:remind"))
        )
        return [row.purpose for row in rows]


async def test_reminders_wait_out_the_cool_down_and_a_double_tap_sends_once(world, clock):
    owner, tenant, _far_owner, liaison = await _people(world)
    await _compose(liaison, text="请阅读垃圾分类新规")
    await liaison.press("确认发送")
    await world.deliver()
    await tenant.press("我已阅读")
    await liaison.press("送达报告")
    first = clock.now()
    await liaison.press(REMIND)
    assert "2 人" in liaison.last_text
    await liaison.press(REMIND)  # a double tap
    _ = translator("zh_Hans")
    last, allowed = _.datetime(first, SHANGHAI), _.datetime(first + timedelta(hours=6), SHANGHAI)
    assert last in liaison.last_text and allowed in liaison.last_text, liaison.last_text
    clock.advance(hours=5, minutes=59)
    await liaison.press(REMIND)
    assert last in liaison.last_text and allowed in liaison.last_text
    await world.deliver()
    assert len(await _reminders(world)) == 2  # owner and far owner, once
    assert sum("请阅读此通知" in t for t in owner.texts()) == 1
    clock.advance(minutes=1)  # six hours after the first
    await liaison.press(REMIND)
    assert "2 人" in liaison.last_text
    await world.deliver()
    assert sum("请阅读此通知" in t for t in owner.texts()) == 2


async def test_a_reminder_with_nobody_left_to_remind_is_refused(world, clock):
    owner, tenant, far_owner, liaison = await _people(world)
    await _compose(liaison, text="请阅读垃圾分类新规")
    await liaison.press("确认发送")
    await world.deliver()
    for person in (owner, tenant, far_owner):
        await person.press("我已阅读")
    await liaison.press("送达报告")
    await liaison.press(REMIND)
    assert "nobody to remind" in liaison.last_text or "无需提醒" in liaison.last_text
    assert await _reminders(world) == []


async def test_a_notice_that_would_reach_nobody_is_refused_and_the_target_asked_again(world):
    await world.seed_roster()
    owner, liaison = world.user("王芳"), world.user("刘书记")
    await world.onboard(owner, "1栋 1单元 101", "owner")
    await world.join_as(liaison, Role.LIAISON)
    await _compose(liaison, target="指定楼栋", picks=["3栋"], text="3栋停电 <b>&", ack=False)
    await liaison.press("确认发送")
    refusal = liaison.texts()[-2]
    assert "chosen buildings" in refusal or "所选楼栋" in refusal, refusal
    assert "发给谁？" in liaison.last_text  # the target question again
    async with world.session() as session:
        assert (await session.exec(select(Notice))).all() == []
    await liaison.press("指定角色")
    await liaison.press("业委会")  # nobody holds it either
    await liaison.press("确认发送")
    assert "role" in liaison.texts()[-2] or "角色" in liaison.texts()[-2]
    await liaison.press("全体住户")  # the text is kept: straight to the preview
    assert "3栋停电 <b>&" in "\n".join(liaison.texts()[-2:])
    await liaison.press("确认发送")
    await world.deliver()
    assert any("3栋停电 <b>&" in t for t in owner.texts())
    async with world.session() as session:
        assert len((await session.exec(select(Notice))).all()) == 1
