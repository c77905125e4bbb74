"""The staff's day with tickets, as users: a card that says whom to call and how late it is, a
history that says who did what, a queue that counts, pages and filters, and escalation as one
digest per person and run. Many tickets are put in the database directly (the report flow is
tested in tests/test_tickets.py); everything after that goes through the bot."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlmodel import col, select

from jobs.tickets import escalate_overdue
from models import AuditEvent, Building, Compound, Resident, Role, Ticket, pk
from tests.test_tickets import _cast, _report


async def _resident(world, name: str) -> int:
    async with world.session() as session:
        return (
            await session.exec(select(col(Resident.id)).where(col(Resident.display_name) == name))
        ).one()


async def _add(
    world,
    count: int,
    *,
    building: str = "1栋",
    category: str = "repair",
    urgent: bool = False,
    assignee: str | None = None,
    age: timedelta = timedelta(0),
    status: str = "new",
    text: str = "楼道灯不亮",
) -> list[int]:
    """`count` tickets reported by 王芳, `age` ago; their ids."""
    reporter = await _resident(world, "王芳")
    assigned = await _resident(world, assignee) if assignee else None
    now = world.clock.now()
    async with world.session() as session:
        compound = (await session.exec(select(Compound).where(Compound.name == "幸福家园"))).one()
        place = (
            await session.exec(
                select(Building)
                .where(Building.compound_id == compound.id)
                .where(Building.name == building)
            )
        ).one()
        tickets = [
            Ticket(
                compound_id=compound.id,
                building_id=place.id,
                category=category,
                urgent=urgent,
                description=f"{text} {n}",
                status=status,
                reporter_id=reporter,
                assignee_id=assigned,
                created_at=now - age,
                acknowledged_at=None if status == "new" else now - age,
            )
            for n in range(count)
        ]
        session.add_all(tickets)
        await session.flush()
        return [pk(t) for t in tickets]


def _listed(person) -> list[int]:
    """The ticket numbers on the buttons of the newest message."""
    return [
        int(found.group(1))
        for label in person.last_message.buttons()
        if (found := re.match(r"^(?:⚠️ )?(?:⏰ )?#(\d+) ·", label))
    ]


async def test_the_staff_card_says_whom_to_call_who_has_it_and_how_late_it_is(world, clock):
    owner, _n, staff, liaison, _sup = await _cast(world)
    colleague = world.user("李师傅")
    await world.join_as(colleague, Role.STAFF)
    await owner.send("/setphone")
    await owner.send("13800138000")
    await _report(owner, photo=False)
    await owner.press("提交报事")
    await staff.send("/tickets")
    await staff.press("#1")
    card = staff.last_text
    assert "报事人：王芳 · 13800138000" in card and "尚未指派" in card
    assert "（刚刚）" in card and "处理时限：" in card and "已超时" not in card
    await staff.press("指派")
    await staff.press("李师傅")
    clock.advance(hours=2)
    await staff.send("/tickets")
    await staff.press("#1")
    card = staff.last_text
    assert "负责人：李师傅" in card and "（2小时前）" in card
    assert "⏰ 已超时 2小时" in card  # 15 minutes to respond, not acknowledged
    await staff.press("受理")  # acknowledged: the handling target (24 hours) is the deadline
    assert "已超时" not in staff.last_text and "处理时限：" in staff.last_text
    async with world.session() as session:
        reads = (
            await session.exec(select(AuditEvent).where(col(AuditEvent.action) == "people.read"))
        ).all()
    assert reads and {(r.subject_type, r.subject_id, r.details["what"]) for r in reads} == {
        ("ticket", "1", "reporter")
    }
    assert {r.actor_id for r in reads} == {await _resident(world, "陈师傅")}

    # the resident's card and the liaison's: no phone, no other residents' names
    await owner.send("/mytickets")
    await owner.press("#1")
    mine = owner.last_text
    assert "13800138000" not in mine and "报事人" not in mine and "李师傅" not in mine
    assert "2小时前" in mine
    await liaison.send("/help")
    await liaison.press_data("v1:tk:view:1")
    theirs = liaison.last_text
    assert "工单 #1" in theirs and "13800138000" not in theirs and "报事人" not in theirs
    assert "负责人：李师傅" in theirs and "处理时限：" in theirs


async def test_the_history_says_who_did_what_with_the_note_text(world, clock):
    owner, _n, staff, _liaison, _sup = await _cast(world)
    colleague = world.user("李师傅")
    await world.join_as(colleague, Role.STAFF)
    await _report(owner, photo=False)
    await owner.press("提交报事")
    await staff.send("/tickets")
    await staff.press("#1")
    await staff.press("指派")
    await staff.press("李师傅")
    await staff.send("/tickets")
    await staff.press("#1")
    await staff.press("内部备注")
    await staff.send("需要买新灯管")
    await staff.press("给住户的说明")
    await staff.send("灯管已订购，明天更换")
    clock.advance(minutes=16)
    assert await escalate_overdue(world.runtime) == 1
    await staff.press("处理记录")
    lines = staff.last_text.splitlines()
    assert lines[1].endswith("· 报事人 · 报事")
    assert lines[2].endswith("· 陈师傅 · 指派给 李师傅")
    assert lines[3].endswith("· 陈师傅 · 备注（内部）: 需要买新灯管")
    assert lines[4].endswith("· 陈师傅 · 备注: 灯管已订购，明天更换")
    assert lines[5].endswith("· 系统 · 超时，已通知联络员（内部）")
    await owner.send("/mytickets")
    await owner.press("#1")
    await owner.press("处理记录")
    seen = owner.last_text
    assert "陈师傅 · 备注: 灯管已订购，明天更换" in seen and "报事人 · 报事" in seen
    assert "需要买新灯管" not in seen and "系统" not in seen


async def test_the_queue_counts_every_open_ticket_and_pages_through_them(world):
    _owner, _n, staff, *_ = await _cast(world)
    made = await _add(world, 25)
    await _add(world, 2, status="confirmed")  # closed: not in the queue
    await staff.send("/tickets")
    assert "待处理工单：25 件" in staff.last_text and "第 1/3 页" in staff.last_text
    seen = _listed(staff)
    assert len(seen) == 10 and "‹" not in staff.last_message.buttons()
    await staff.press("›")
    assert "第 2/3 页" in staff.last_text
    seen += _listed(staff)
    await staff.press("›")
    assert "第 3/3 页" in staff.last_text and "›" not in staff.last_message.buttons()
    seen += _listed(staff)
    assert seen == made  # oldest first, each once
    await staff.press("‹")
    assert _listed(staff) == made[10:20]
    for forged in ("v1:tq:3:", "v1:tq:-1:", "v1:tq:0:b99999", "v1:tq:0:nonsense", "v1:tq:x:"):
        await staff.press_data(forged)
        assert "不再有效" in staff.last_text, forged


async def test_each_filter_lists_the_right_tickets_and_they_combine(world, clock):
    owner, _n, staff, *_ = await _cast(world)
    colleague = world.user("李师傅")
    await world.join_as(colleague, Role.STAFF)
    mine = await _add(world, 3, assignee="陈师傅")
    late = await _add(world, 2, building="2栋", category="greening", age=timedelta(hours=2))
    urgent = await _add(
        world,
        1,
        building="2栋",
        category="facility",
        urgent=True,
        assignee="李师傅",
        status="acknowledged",
    )
    await _add(world, 1, building="2栋", category="greening", status="confirmed")

    async def listed(command: str) -> list[int]:
        await staff.send(command)
        return sorted(_listed(staff))

    assert await listed("/tickets mine") == mine
    assert await listed("/tickets 我的") == mine
    assert await listed("/tickets unassigned") == late
    assert await listed("/tickets overdue") == late
    assert await listed("/tickets 超时") == late
    assert "⏰ #" in staff.last_message.buttons()[0]
    assert await listed("/tickets urgent") == urgent
    assert await listed("/tickets 2栋") == sorted(late + urgent)
    assert "筛选：2栋" in staff.last_text and "待处理工单：3 件" in staff.last_text
    assert await listed("/tickets 2号楼") == sorted(late + urgent)
    assert await listed("/tickets ２栋") == sorted(late + urgent)
    assert await listed("/tickets 绿化") == late
    assert await listed("/tickets greening") == late
    assert await listed("/tickets 绿化养护") == late
    assert await listed("/tickets 维修") == mine
    assert await listed("/tickets 2栋 绿化 overdue") == late
    assert await listed("/tickets mine 2栋") == []
    assert "没有符合筛选条件" in staff.last_text
    await staff.send("/tickets 随便")
    assert "没有“随便”这个筛选条件" in staff.last_text and "未指派" in staff.last_text
    await staff.send("/tickets 9栋")
    assert "没有楼栋“9栋”" in staff.last_text
    await staff.send("/tickets mine unassigned")
    assert "选其一" in staff.last_text

    # the filter buttons on the queue switch filters on and off, and keep the typed ones
    await staff.send("/tickets 2栋")
    await staff.press("超时")
    assert sorted(_listed(staff)) == late and "✓ 超时" in staff.last_message.buttons()
    assert "筛选：超时 · 2栋" in staff.last_text
    await staff.press("✓ 超时")
    assert sorted(_listed(staff)) == sorted(late + urgent)
    await staff.press("全部待处理工单")
    assert "待处理工单：6 件" in staff.last_text

    # in English, the same words and the English names work
    await staff.send("/language")
    await staff.press("English")
    await staff.send("/tickets greening Overdue")
    assert sorted(_listed(staff)) == late and "Filter: Overdue · greening" in staff.last_text
    await staff.send("/tickets nonsense")
    assert "There is no filter “nonsense”" in staff.last_text
    await owner.send("/tickets")  # the resident has no queue
    assert "只有本小区的物业服务人员" in owner.last_text


async def test_an_overdue_batch_is_one_digest_per_person_and_run(world, clock):
    _owner, _n, staff, liaison, supervisor = await _cast(world)
    colleague, admin = world.user("李师傅"), world.user("管理员")
    await world.join_as(colleague, Role.STAFF)
    await world.join_as(admin, Role.ADMIN)
    await world.deliver()
    # 20 ordinary tickets, older the higher their number; 4 urgent, newer; one is the admin's
    ordinary = [
        (await _add(world, 1, age=timedelta(minutes=30 + n), text="楼道灯"))[0] for n in range(20)
    ]
    urgent = await _add(world, 4, urgent=True, category="facility", text="电梯异响")
    async with world.session() as session:
        ticket = await session.get(Ticket, ordinary[0])
        ticket.assignee_id = await _resident(world, "管理员")
    before = {p: len(p.bot_messages) for p in (staff, colleague, liaison, supervisor, admin)}

    clock.advance(minutes=16)
    assert await escalate_overdue(world.runtime) == 24
    assert await escalate_overdue(world.runtime) == 0  # the run again: nothing new
    await world.deliver()
    for person in (staff, colleague, liaison):
        assert len(person.bot_messages) == before[person] + 1
        assert "超时工单 24 件" in person.last_text
        assert len(person.last_message.buttons()) == 10
    assert len(supervisor.bot_messages) == before[supervisor]
    assert len(admin.bot_messages) == before[admin] + 1  # the assignee: their one ticket
    assert "超时工单 1 件" in admin.last_text and f"#{ordinary[0]} ·" in admin.last_text

    numbers = [int(n) for n in re.findall(r"^(?:⚠️ 紧急 )?#(\d+) ·", staff.last_text, re.M)]
    assert numbers == urgent + ordinary[::-1][:6]  # urgent first, then the most late first
    assert "⏰ 已超时" in staff.last_text
    assert "……另有 14 件：/tickets 超时" in staff.last_text
    assert "……另有 14 件（完整清单在物业那里）" in liaison.last_text

    await liaison.press(f"查看工单 #{urgent[0]}")
    assert f"工单 #{urgent[0]}" in liaison.last_text and "电梯异响" in liaison.last_text
    assert "不存在" not in liaison.last_text

    clock.advance(hours=48)
    counts = {p: len(p.bot_messages) for p in (staff, liaison, supervisor)}
    assert await escalate_overdue(world.runtime) == 24
    assert await escalate_overdue(world.runtime) == 0
    await world.deliver()
    assert len(supervisor.bot_messages) == counts[supervisor] + 1
    assert "超时工单 24 件" in supervisor.last_text and "已上报义务质量总监" in supervisor.last_text
    assert len(liaison.bot_messages) == counts[liaison]  # the liaison heard at level 1
    assert len(staff.bot_messages) == counts[staff] + 1  # staff hear of every level
    await supervisor.press("查看工单")
    assert "工单 #" in supervisor.last_text and "不存在" not in supervisor.last_text
    await world.restart()
    assert await escalate_overdue(world.runtime) == 0
