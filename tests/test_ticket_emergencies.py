"""Emergencies first, and dispatch: an urgent report is never merged into an ordinary ticket, its
reporter is told whom to call at once, its alert repeats until staff acknowledge it; tickets are
auto-assigned by rule, taken by the first staff member (抢单), and at night the duty rota decides
who is woken. As residents and staff use the bot, and as an office sets it up on the CLI."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlmodel import col, select

import bot
from core.settings import get_settings
from jobs.tickets import repeat_urgent
from models import Compound, Resident, Role, TicketEvent, pk
from services import ticket_dispatch
from tests.test_tickets import _cast, _report, _ticket
from tests.utils.paths import SAMPLE_ROSTER

SHANGHAI = ZoneInfo("Asia/Shanghai")
DUTY_PHONE = "027-8288 0110"


async def _compound(world) -> Compound:
    async with world.session() as session:
        return (await session.exec(select(Compound).where(col(Compound.name) == "幸福家园"))).one()


async def _settings(world, **changes) -> None:
    compound = await _compound(world)
    async with world.session() as session:
        await ticket_dispatch.configure(
            session, None, pk(compound), now=world.clock.now(), **changes
        )


async def _resident(world, person) -> Resident:
    async with world.session() as session:
        return (
            await session.exec(select(Resident).where(col(Resident.telegram_id) == person.id))
        ).one()


def _buttons(person) -> list[str]:
    return [b["text"] for row in person.last_message.inline_keyboard or [] for b in row]


async def _lift_entrapment(person, text="1栋电梯困人了！快来！"):
    """An urgent report of a lift entrapment in 1栋, up to the summary."""
    await person.send("/report")
    await person.press("设施设备运行")
    await person.press("⚠️ 电梯困人")
    await person.send(text)
    await person.press("不加照片")
    await person.press("在楼栋里")
    await person.press("1栋")
    await person.press("1单元")
    await person.press("不在某一层")


async def test_an_urgent_entrapment_is_never_merged_into_an_older_ordinary_ticket(world):
    owner, neighbour, staff, liaison, _sup = await _cast(world)
    await _settings(world, duty_phone=DUTY_PHONE)
    await _report(neighbour, category="设施设备运行", text="1栋电梯运行时有异响", photo=False)
    await neighbour.press("提交报事")
    await world.deliver()

    await owner.send("/report")
    await owner.press("设施设备运行")
    await owner.press("⚠️ 电梯困人")
    # whom to call, already while the report is being written
    advice = owner.texts()[-2]
    assert DUTY_PHONE in advice and "119" in advice and "96333" in advice and "120" in advice
    assert "描述" in owner.last_text
    await owner.send("1栋电梯困人了！快来！")
    await owner.press("不加照片")
    await owner.press("在楼栋里")
    await owner.press("1栋")
    await owner.press("1单元")
    await owner.press("不在某一层")
    assert "紧急：电梯困人" in owner.last_text
    assert not any("+1" in label for label in _buttons(owner))  # not offered #1 (not urgent)
    await owner.press("提交报事")
    sent = owner.last_text
    assert "工单 #2" in sent and DUTY_PHONE in sent and "119" in sent and "96333" in sent
    assert "已立即通知物业服务人员和联络员" in sent

    await world.deliver()
    for person in (staff, liaison):
        assert "⚠️ 紧急：电梯困人 #2" in person.last_text and "快来" in person.last_text
    ticket = await _ticket(world, 2)
    assert (ticket.urgent, ticket.urgent_kind) == (True, "lift")
    assert not (await _ticket(world, 1)).urgent
    await staff.send("/tickets urgent")
    listed = [label for label in _buttons(staff) if "#" in label]  # the filters are buttons too
    assert listed and all(label.startswith("⚠️ #2") for label in listed)
    await staff.press("#2")
    assert "紧急：电梯困人" in staff.last_text


async def test_each_kind_of_emergency_gets_its_numbers(world):
    owner, *_ = await _cast(world)
    expected = {
        "⚠️ 燃气泄漏": ("119", "立即离开", "不要开关"),
        "⚠️ 外墙/高空坠物危险": ("110", "120"),
        "⚠️ 火情/消防设施": ("119", "楼梯"),
        "⚠️ 漏水/爆管": ("水阀",),
    }
    for label, words in expected.items():
        await owner.send("/cancel")
        await owner.send("/report")
        await owner.press("公共部位日常维修")
        await owner.press(label)
        advice = owner.texts()[-2]
        assert all(word in advice for word in words), (label, advice)
        assert "值班电话" not in advice  # no duty phone configured: none is made up
    await owner.send("/cancel")
    await owner.send("/report")
    await owner.press("清扫保洁")
    await owner.press("不紧急")
    assert "拨打" not in owner.last_text and "描述" in owner.last_text


async def test_a_resident_is_not_offered_their_own_households_ticket(world):
    owner, neighbour, *_ = await _cast(world)
    family = world.user("王芳的租客")
    await world.onboard(family, "1栋 1单元 101", "tenant")
    await _report(owner, photo=False)
    await owner.press("提交报事")
    for person in (owner, family):  # the reporter, and another member of the same home
        await _report(person, photo=False, text="楼道灯还是不亮")
        assert not any("+1" in label for label in _buttons(person))
        await person.send("/cancel")
    await _report(neighbour, photo=False, text="楼道灯坏了")
    assert "+1，关注工单 #1" in _buttons(neighbour)


async def test_a_neighbour_following_an_urgent_ticket_alerts_with_their_words(world):
    owner, neighbour, staff, liaison, _sup = await _cast(world)
    await _lift_entrapment(owner)
    await owner.press("提交报事")
    await world.deliver()
    before = len(staff.bot_messages), len(liaison.bot_messages)
    await _lift_entrapment(neighbour, text="我家老人也被困在1栋电梯里，已经十分钟了")
    assert "+1，关注工单 #1" in _buttons(neighbour)
    await neighbour.press("+1，关注工单 #1")
    assert "已关注工单 #1" in neighbour.last_text
    await world.deliver()
    for person, count in zip((staff, liaison), before, strict=True):
        assert len(person.bot_messages) == count + 1
        assert "紧急：电梯困人 #1" in person.last_text
        assert "我家老人也被困在1栋电梯里" in person.last_text
    async with world.session() as session:
        follow = (
            await session.exec(select(TicketEvent).where(col(TicketEvent.kind) == "follow"))
        ).one()
    assert follow.visible and "我家老人" in (follow.note or "")
    await staff.press("查看工单")
    await staff.press("处理记录")
    assert "邻居也反映了" in staff.last_text and "我家老人" in staff.last_text
    # an ordinary report may still follow the urgent ticket of the same service
    other = world.user("赵邻居")
    await world.onboard(other, "1栋 1单元 301", "owner")
    await _report(other, category="设施设备运行", text="电梯停了", photo=False)
    assert "+1，关注工单 #1" in _buttons(other)


async def test_urgent_alerts_repeat_until_acknowledged_then_stop(world, clock):
    owner, _n, staff, liaison, _sup = await _cast(world)
    await _settings(world, repeat_minutes=10)
    await _lift_entrapment(owner)
    await owner.press("提交报事")
    await world.deliver()
    first = len(staff.bot_messages), len(liaison.bot_messages)
    clock.advance(minutes=9)
    assert await repeat_urgent(world.runtime) == 0
    clock.advance(minutes=2)
    assert await repeat_urgent(world.runtime) == 1
    assert await repeat_urgent(world.runtime) == 0  # the same repeat only once
    await world.deliver()
    assert len(staff.bot_messages) == first[0] + 1 and len(liaison.bot_messages) == first[1] + 1
    assert "紧急：电梯困人 #1" in staff.last_text and "仍未受理" in staff.last_text
    clock.advance(minutes=25)  # two intervals missed (the bot was down): one repeat, not two
    await world.restart()
    assert await repeat_urgent(world.runtime) == 1
    assert await repeat_urgent(world.runtime) == 0
    await world.deliver()
    assert len(staff.bot_messages) == first[0] + 2
    await staff.press("查看工单")
    await staff.press("受理")
    acknowledged = len(staff.bot_messages), len(liaison.bot_messages)
    clock.advance(minutes=30)
    assert await repeat_urgent(world.runtime) == 0
    await world.deliver()
    assert (len(staff.bot_messages), len(liaison.bot_messages)) == acknowledged


async def test_a_dispatch_rule_assigns_the_ticket_to_its_staff_member(world):
    owner, _n, staff, _liaison, _sup = await _cast(world)
    li = world.user("李师傅")
    await world.join_as(li, Role.STAFF)
    compound = await _compound(world)
    chen, li_row = await _resident(world, staff), await _resident(world, li)
    async with world.session() as session:
        building = (await _buildings(session, compound.id))["1栋"]
        now = world.clock.now()
        await ticket_dispatch.set_rule(
            session, None, compound.id, assignee_id=chen.id, category="repair", now=now
        )
        await ticket_dispatch.set_rule(
            session,
            None,
            compound.id,
            assignee_id=li_row.id,
            category="repair",
            building_id=building,
            now=now,
        )
    before = len(staff.bot_messages)
    await _report(owner, photo=False)  # common-area repair in 1栋: the specific rule wins
    await owner.press("提交报事")
    await world.deliver()
    ticket = await _ticket(world)
    assert ticket.assignee_id == li_row.id
    assert "新工单 #1" in li.last_text and len(staff.bot_messages) == before
    async with world.session() as session:
        kinds = [
            e.kind
            for e in (
                await session.exec(select(TicketEvent).where(col(TicketEvent.ticket_id) == 1))
            ).all()
        ]
    assert kinds == ["report", "assign"]
    await _report(owner, photo=False, category="绿化养护", text="草坪需要修剪", where="home")
    await owner.press("提交报事")
    await world.deliver()
    assert (await _ticket(world, 2)).assignee_id is None  # no rule: everyone is told
    assert "新工单 #2" in staff.last_text and "新工单 #2" in li.last_text


async def _buildings(session, compound_id: int) -> dict[str, int]:
    from services.ticket_reading import buildings

    return {b.name: pk(b) for b in await buildings(session, compound_id)}


async def test_offered_tickets_go_to_whoever_takes_them_first(world):
    owner, _n, staff, _liaison, _sup = await _cast(world)
    li = world.user("李师傅")
    await world.join_as(li, Role.STAFF)
    await _settings(world, offers=True)
    await _report(owner, photo=False)
    await owner.press("提交报事")
    await world.deliver()
    assert "接单" in _buttons(staff) and "接单" in _buttons(li)
    await li.press("接单")
    assert "您已接单" in li.last_text
    await li.press_data("v1:tt:1")  # a double tap
    assert "已由您负责" in li.last_text
    await staff.press("接单")
    assert "已被李师傅接单" in staff.last_text
    assert (await _ticket(world)).assignee_id == (await _resident(world, li)).id
    await world.deliver()
    assert "已指派" in owner.last_text
    await owner.press_data("v1:tt:1")  # a resident cannot take tickets
    assert "只有本小区的物业服务人员" in owner.last_text or "不存在" in owner.last_text
    for forged in ("v1:tt:x", "v1:tt", "v1:tt:1:2"):
        await staff.press_data(forged)
        assert "不再有效" in staff.last_text
    await staff.press_data("v1:tt:999")
    assert "不存在" in staff.last_text


async def test_at_night_only_the_staff_on_duty_are_woken(world, clock):
    owner, neighbour, staff, liaison, _sup = await _cast(world)
    li = world.user("李师傅")
    await world.join_as(li, Role.STAFF)
    await world.deliver()
    compound = await _compound(world)
    on_duty = await _resident(world, staff)
    evening = datetime(2026, 11, 2, 18, 0, tzinfo=SHANGHAI)
    async with world.session() as session:
        await ticket_dispatch.add_shift(
            session,
            None,
            compound.id,
            on_duty.id,
            evening.astimezone(UTC),
            datetime(2026, 11, 3, 8, 0, tzinfo=SHANGHAI).astimezone(UTC),
            now=clock.now(),
        )
    clock.set(datetime(2026, 11, 2, 23, 30, tzinfo=SHANGHAI).astimezone(UTC))
    quiet = len(li.bot_messages)
    await _lift_entrapment(owner)
    await owner.press("提交报事")
    await world.deliver()
    assert "紧急：电梯困人 #1" in staff.last_text and "紧急：电梯困人 #1" in liaison.last_text
    assert len(li.bot_messages) == quiet
    clock.advance(minutes=11)
    assert await repeat_urgent(world.runtime) == 1
    await world.deliver()
    assert "仍未受理" in staff.last_text and len(li.bot_messages) == quiet
    # in the morning, after the shift: every staff member hears of an urgent ticket again
    clock.set(datetime(2026, 11, 3, 9, 0, tzinfo=SHANGHAI).astimezone(UTC))
    await _lift_entrapment(neighbour, text="2号电梯也困人了")
    await neighbour.press("提交报事")
    await world.deliver()
    assert any("紧急：电梯困人" in t for t in li.texts()[quiet:])


async def test_stale_and_forged_answers_of_the_urgent_step(world):
    owner, neighbour, *_ = await _cast(world)
    await _report(neighbour, category="设施设备运行", text="电梯有异响", photo=False)
    await neighbour.press("提交报事")
    await owner.send("/report")
    await owner.press("设施设备运行")
    await owner.press_data("v1:rp:urgent:meteor")
    assert "不再有效" in owner.last_text
    await owner.press("⚠️ 电梯困人")
    await owner.send("电梯困人")
    await owner.press("不加照片")
    await owner.press("在楼栋里")
    await owner.press("1栋")
    await owner.press("1单元")
    await owner.press("不在某一层")
    await owner.press_data("v1:rp:summary:follow-1")  # forged: #1 is not urgent
    assert "不再有效" in owner.last_text
    await owner.press("提交报事")  # the summary (above the refusal) becomes the ticket's number
    assert "工单 #2" in owner.texts()[-2]
    assert (await _ticket(world, 2)).urgent_kind == "lift"


# --- the office's set-up on the command line ---------------------------------------------------
def _cli(monkeypatch, database_url: str, *argv: str) -> int:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("DEFAULT_LANGUAGE", "en")
    get_settings.cache_clear()
    try:
        return bot.main(list(argv))
    finally:
        get_settings.cache_clear()


async def test_emergency_and_dispatch_settings_from_the_command_line(
    database_url, monkeypatch, capsys
):
    from sqlmodel.ext.asyncio.session import AsyncSession

    from core.db import create_engine

    def cli(*argv: str) -> int:
        return _cli(monkeypatch, database_url, "admin", *argv)

    def setup() -> None:
        cli("import-roster", str(SAMPLE_ROSTER))
        cli("grant", "staff", "compound:幸福家园", "555")

    await asyncio.to_thread(setup)
    engine = create_engine(database_url)  # the staff member has opened the bot and agreed
    async with AsyncSession(engine) as session:
        person = (
            await session.exec(select(Resident).where(col(Resident.telegram_id) == 555))
        ).one()
        person.consent_at, person.display_name = datetime(2026, 11, 1, tzinfo=UTC), "陈师傅"
        session.add(person)
        await session.commit()
    await engine.dispose()

    def run() -> list[int]:
        return [
            cli("ticket-settings", "幸福家园", "--duty-phone", DUTY_PHONE, "--offers", "on"),
            cli("ticket-settings", "幸福家园", "--urgent-repeat-minutes", "0"),
            cli("ticket-settings", "幸福家园", "--duty-phone", "call 110"),
            cli("dispatch", "幸福家园", "--staff", "陈师傅", "--category", "repair"),
            cli("dispatch", "幸福家园", "--staff", "555", "--building", "1栋"),
            cli("dispatch", "幸福家园", "--staff", "nobody", "--building", "1栋"),
            cli("dispatch", "幸福家园", "--building", "9栋", "--staff", "555"),
            cli("dispatch", "幸福家园", "--remove", "--category", "repair"),
            cli(
                "duty",
                "幸福家园",
                "--staff",
                "陈师傅",
                "--from",
                "2030-12-02 18:00",
                "--to",
                "2030-12-03 08:00",
            ),
            cli("duty", "幸福家园", "--staff", "陈师傅", "--from", "tonight"),
            cli(
                "duty",
                "幸福家园",
                "--staff",
                "陈师傅",
                "--from",
                "2030-12-03 08:00",
                "--to",
                "2030-12-02 18:00",
            ),
            cli("duty", "幸福家园"),
        ]

    codes = await asyncio.to_thread(run)
    captured = capsys.readouterr()
    assert codes == [0, 1, 1, 0, 0, 1, 1, 0, 0, 2, 1, 0], captured
    out, err = captured.out, captured.err
    assert f"duty phone {DUTY_PHONE}, urgent alerts repeat every 10 minutes" in out
    assert "staff take tickets: yes" in out
    assert "repeat every 1 to" in err and "digits" in err
    assert "repair in any building goes to 陈师傅" in out
    assert "any category in 1栋 goes to 陈师傅" in out
    assert "No staff member nobody" in err and "No building 9栋" in err
    assert "陈师傅 on duty from Dec 2, 2030, 6:00 PM to Dec 3, 2030, 8:00 AM" in out
    assert "YYYY-MM-DD HH:MM" in err and "end after it starts" in err


async def test_a_night_entrapment_goes_to_the_one_assigned_staff_member_on_duty(world, clock):
    """Auto-assignment and the rota together: the lifts of 1栋 are 陈师傅's, he is on duty
    tonight; an entrapment at 02:00 wakes him and the liaison, and not the two colleagues."""
    owner, _n, staff, liaison, _sup = await _cast(world)
    colleagues = [world.user("李师傅"), world.user("王师傅")]
    for person in colleagues:
        await world.join_as(person, Role.STAFF)
    await world.deliver()
    await _settings(world, duty_phone=DUTY_PHONE)
    compound = await _compound(world)
    chen = await _resident(world, staff)
    night = datetime(2026, 11, 2, 22, 0, tzinfo=SHANGHAI)
    async with world.session() as session:
        building = (await _buildings(session, compound.id))["1栋"]
        await ticket_dispatch.set_rule(
            session,
            None,
            compound.id,
            assignee_id=chen.id,
            category="facility",
            building_id=building,
            now=clock.now(),
        )
        await ticket_dispatch.add_shift(
            session,
            None,
            compound.id,
            chen.id,
            night.astimezone(UTC),
            datetime(2026, 11, 3, 8, 0, tzinfo=SHANGHAI).astimezone(UTC),
            now=clock.now(),
        )
    clock.set(datetime(2026, 11, 3, 2, 0, tzinfo=SHANGHAI).astimezone(UTC))
    quiet = [len(p.bot_messages) for p in colleagues]
    await _lift_entrapment(owner, text="1栋2号电梯困人了，有老人在里面")
    await owner.press("提交报事")
    assert DUTY_PHONE in owner.last_text and "119" in owner.last_text
    await world.deliver()
    assert (await _ticket(world)).assignee_id == chen.id
    for person in (staff, liaison):
        assert "紧急：电梯困人 #1" in person.last_text and "老人" in person.last_text
    assert [len(p.bot_messages) for p in colleagues] == quiet
    await staff.press("查看工单")
    assert "负责人：陈师傅" in staff.last_text
