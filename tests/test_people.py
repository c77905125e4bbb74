"""People over time, through the bot: a dismissed staff member, a tenant who moves out, an owner
who removes a family member, a home sold (on a future date, by the job), and joining with old
cards in the pocket."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from jobs.people import apply_transfers
from models import (
    EndReason,
    Household,
    HouseholdTransfer,
    Invite,
    Membership,
    MembershipHistory,
    Role,
    RoleGrant,
    RoleGrantHistory,
    StartAttempt,
    Ticket,
    TicketEvent,
)
from services import role_endings, transfers
from services.invites import issue_household_invites
from services.places import resolve_scope
from tests.test_tickets import _report
from views.people import LeaveHome

SHANGHAI = ZoneInfo("Asia/Shanghai")
HOME = "1栋 1单元 101"


async def _compound(world) -> int:
    async with world.session() as session:
        return (await resolve_scope(session, "compound:幸福家园")).id


def _shows_ticket(person, number: int = 1) -> bool:
    return any(f"#{number}" in label for label in person.last_message.buttons())


async def revoke(world, person, role: Role = Role.STAFF) -> role_endings.RoleEnded:
    """What `admin revoke ROLE compound:幸福家园 USER` does."""
    async with world.session() as session:
        scope = await resolve_scope(session, "compound:幸福家园")
        return await role_endings.revoke_role(
            session, role, scope, person.id, now=world.clock.now()
        )


async def sell(world, home: str, on: date, **buyer) -> transfers.Recorded:
    """What `admin transfer-home 幸福家园 HOME DATE` does."""
    async with world.session() as session:
        return await transfers.record_transfer(
            session,
            await _compound(world),
            home,
            on,
            now=world.clock.now(),
            tz=SHANGHAI,
            ttl=timedelta(days=30),
            **buyer,
        )


# --- Access cannot be taken away: a role ---------------------------------------------------------
async def test_a_revoked_staff_member_loses_the_queue_the_menu_and_their_tickets(world):
    await world.seed_roster()
    owner, staff, colleague = world.user("王芳"), world.user("陈师傅"), world.user("李师傅")
    await world.onboard(owner, HOME, "owner")
    await world.join_as(staff, Role.STAFF)
    await world.join_as(colleague, Role.STAFF)
    await _report(owner, photo=False)
    await owner.press("提交报事")
    await colleague.send("/tickets")
    await colleague.press("#1")
    await colleague.press("指派")
    await colleague.press("陈师傅")
    await staff.send("/tickets")
    assert _shows_ticket(staff) and "tickets" in staff.commands
    await staff.press("#1")
    await staff.press("内部备注")  # a note half-written when the role ends

    ended = await revoke(world, staff)
    assert ended.released == [1]
    await world.deliver()
    assert "tickets" not in staff.commands  # the menu changed without them doing anything
    assert "角色已结束" in staff.last_text

    await staff.send("需要买新灯管")  # the pending note cannot be finished: refused, not saved
    assert "该工单不存在" in staff.last_text
    await staff.send("/cancel")
    await staff.send("/tickets")
    assert not _shows_ticket(staff) and "只有本小区的物业服务人员" in staff.last_text
    async with world.session() as session:
        ticket = await session.get(Ticket, 1)
        assert ticket is not None and ticket.assignee_id is None
        events = (await session.exec(select(TicketEvent).where(TicketEvent.ticket_id == 1))).all()
        assert [e.kind for e in events].count("unassign") == 1
        assert not any(e.note == "需要买新灯管" for e in events)
        assert (await session.exec(select(RoleGrant).where(RoleGrant.role == Role.STAFF))).all()
        (past,) = (await session.exec(select(RoleGrantHistory))).all()
        assert past.reason == EndReason.OFFICE and past.role == Role.STAFF
    # The colleague finds it in the unassigned queue, with the event in its history.
    await colleague.send("/tickets unassigned")
    assert _shows_ticket(colleague)
    await colleague.press("#1")
    await colleague.press("处理记录")
    assert "未分配" in colleague.last_text


async def test_revoking_a_role_that_is_not_held_says_so(world):
    await world.seed_roster()
    stranger = world.user("路人")
    try:
        await revoke(world, stranger)
    except Exception as error:  # DomainError
        assert "does not hold" in str(getattr(error, "msgid", error))
    else:
        raise AssertionError("revoking a role nobody holds must be refused")


# --- Access cannot be taken away: a membership --------------------------------------------------
async def test_a_tenant_who_moves_out_gets_no_more_bills_or_notices_of_the_home(world):
    await world.seed_roster()
    owner, tenant, liaison = world.user("王芳"), world.user("李娜"), world.user("刘书记")
    await world.onboard(owner, HOME, "owner")
    await world.onboard(tenant, HOME, "tenant")
    await world.join_as(liaison, Role.LIAISON)
    async with world.session() as session:
        home = await session.get(Household, await world.household_id("1栋", "1单元", "101"))
        home.tenants_see_bills = True
    await tenant.send("/homes")
    assert HOME in tenant.last_text and "租户" in tenant.last_text
    assert "homes" in tenant.commands
    await tenant.press(f"我已搬走：{HOME}")
    assert "确定" in tenant.last_text  # a question first
    await tenant.press("不，保留")
    assert "未作任何更改" in tenant.last_text
    await tenant.send("/homes")
    await tenant.press(f"我已搬走：{HOME}")
    await tenant.press("是的，我已搬走")
    assert "不再登记" in tenant.last_text
    await world.deliver()
    assert "report" not in tenant.commands and "homes" not in tenant.commands
    await tenant.send("/bills")
    assert "只对已登记房屋的住户显示" in tenant.last_text

    await liaison.send("/notice")
    await liaison.press("服务通知")
    await liaison.press("全体住户")
    await liaison.send("明天停水")
    await liaison.press("否")
    await liaison.press("立即发送")
    await liaison.press("确认发送")
    await world.deliver()
    assert "明天停水" in owner.last_text
    assert not any("明天停水" in t for t in tenant.texts())
    async with world.session() as session:
        (past,) = (await session.exec(select(MembershipHistory))).all()
        assert past.reason == EndReason.MOVED_OUT and past.kind == "tenant"
    # The confirmation pressed again (a double tap, a stale button) changes nothing.
    await tenant.press_data(LeaveHome(past.household_id, True).pack())
    assert "未登记" in tenant.last_text


async def test_an_owner_removes_a_tenant_who_has_left(world):
    await world.seed_roster()
    owner, tenant, neighbour = world.user("王芳"), world.user("李娜"), world.user("赵三")
    await world.onboard(owner, HOME, "owner")
    await world.onboard(tenant, HOME, "tenant")
    await world.onboard(neighbour, "1栋 1单元 102", "owner")
    await owner.send("/homes")
    await owner.press(f"登记人员：{HOME}")
    assert "李娜" in owner.last_text and "王芳" in owner.last_text
    assert owner.last_message.buttons() == ["移除 李娜"]  # never the owner themself
    await owner.press("移除 李娜")
    assert "李娜" in owner.last_text and "确定" in owner.last_text
    await owner.press("是，移除")
    assert "已结束" in owner.last_text
    await world.deliver()
    assert "业主" in tenant.last_text and HOME in tenant.last_text
    assert "report" not in tenant.commands
    # Another home's owner cannot see or remove the members of this one.
    async with world.session() as session:
        membership_id = (
            await session.exec(select(Membership.id).where(Membership.kind == "owner"))
        ).first()
    await neighbour.press_data(f"v1:hrm:{membership_id}:1")
    assert "只有本户业主" in neighbour.last_text
    async with world.session() as session:
        assert len((await session.exec(select(Membership))).all()) == 2


# --- Access cannot be taken away: a sale ---------------------------------------------------------
async def test_a_sale_on_a_future_date_ends_the_sellers_rights_that_day(world, clock):
    await world.seed_roster()
    seller, tenant, buyer = world.user("王芳"), world.user("李娜"), world.user("新业主")
    await world.onboard(seller, HOME, "owner")
    await world.onboard(tenant, HOME, "tenant")
    old = await world.issue_invites()  # cards of another home stay valid through the sale
    recorded = await sell(
        world, "1-1-101", date(2026, 11, 20), buyer_name="孙新", buyer_phone="13900000000"
    )
    assert not recorded.applied and len(recorded.invites) == 2
    owner_code = next(i.code for i in recorded.invites if i.kind == "owner")
    await buyer.send(f"/start {owner_code}")
    assert "2026年11月20日" in buyer.last_text  # not yet: and it does not count as a wrong code
    async with world.session() as session:
        assert (await session.exec(select(StartAttempt))).all() == []
    assert await apply_transfers(world.runtime) == 0
    await seller.send("/bills")
    assert "只对已登记房屋的住户显示" not in seller.last_text

    clock.set(datetime_local(2026, 11, 20, 0, 5))
    await world.restart()  # nothing of the pending sale lives in memory
    assert await apply_transfers(world.runtime) == 1
    assert await apply_transfers(world.runtime) == 0  # exactly once
    await world.deliver()
    await seller.send("/bills")
    assert "只对已登记房屋的住户显示" in seller.last_text  # at once, at 00:05
    clock.set(datetime_local(2026, 11, 20, 8, 1))
    await world.deliver()  # the polite word waited for the end of the quiet hours
    assert "过户" in seller.bot_messages[-1].content and HOME in seller.bot_messages[-1].content
    await tenant.send("/whoami")
    assert HOME in tenant.last_text  # a sale does not end a lease
    await buyer.send(f"/start {owner_code}")
    await buyer.press("同意")
    await buyer.send("/whoami")
    assert HOME in buyer.last_text and "业主" in buyer.last_text
    other = world.user("邻居")
    await other.send(f"/start {old[('1栋 1单元 102', 'owner')].code}")
    assert "1栋 1单元 102" in other.last_text
    async with world.session() as session:
        home = await session.get(Household, await world.household_id("1栋", "1单元", "101"))
        assert (home.owner_name, home.owner_phone) == ("孙新", "13900000000")
        (sale,) = (await session.exec(select(HouseholdTransfer))).all()
        assert sale.applied_at is not None and len(sale.from_residents) == 1
        (past,) = (await session.exec(select(MembershipHistory))).all()
        assert past.reason == EndReason.SOLD
        assert past.ended_at.astimezone(SHANGHAI).date() == date(2026, 11, 20)


def datetime_local(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


async def test_a_second_pending_sale_of_a_home_is_refused(world):
    await world.seed_roster()
    await sell(world, "1-1-101", date(2026, 12, 1))
    try:
        await sell(world, "1栋1单元101", date(2026, 12, 2))
    except Exception as error:
        assert "already recorded" in getattr(error, "msgid", "")
    else:
        raise AssertionError("a second pending transfer must be refused")


# --- Reissuing one household's invites ---------------------------------------------------------
async def test_reissuing_one_homes_invites_leaves_the_other_homes_codes_valid(world):
    await world.seed_roster()
    old = await world.issue_invites()
    async with world.session() as session:
        home_id = await world.household_id("1栋", "1单元", "101")
        fresh = await issue_household_invites(
            session,
            await _compound(world),
            now=world.clock.now(),
            ttl=timedelta(days=30),
            household_ids=[home_id],
        )
    assert {(i.label, i.kind) for i in fresh} == {(HOME, "owner"), (HOME, "tenant")}
    lost, neighbour = world.user("丢卡人"), world.user("邻居")
    await lost.send(f"/start {old[(HOME, 'owner')].code}")
    assert "已撤回" in lost.last_text
    await lost.send(f"/start {next(i.code for i in fresh if i.kind == 'owner')}")
    assert HOME in lost.last_text
    await neighbour.send(f"/start {old[('1栋 1单元 102', 'owner')].code}")
    assert "1栋 1单元 102" in neighbour.last_text
    async with world.session() as session:
        revoked = (
            await session.exec(select(Invite).where(col(Invite.revoked_at).is_not(None)))
        ).all()
        assert {i.household_id for i in revoked} == {home_id}


# --- Joining is brittle --------------------------------------------------------------------------
async def test_old_cards_do_not_count_toward_the_lockout_but_typos_do(world, clock):
    """Two old cards (one used, one withdrawn) and three typos: a fresh valid code still joins."""
    await world.seed_roster()
    first = await world.issue_invites()
    someone = world.user("先来者")
    await someone.send(f"/start {first[(HOME, 'owner')].code}")
    await someone.press("同意")
    fresh = await world.issue_invites()  # withdraws every unused card of `first`
    newcomer = world.user("张三")
    await newcomer.send(f"/start {first[(HOME, 'owner')].code}")
    assert "已被使用" in newcomer.last_text
    await newcomer.send(f"/start {first[('2栋 1单元 302', 'tenant')].code}")
    assert "已撤回" in newcomer.last_text
    for typo in ("AAAAAAAAAAAAAAAA", "BBBBBBBBBBBBBBBB", "not*a*code!"):
        await newcomer.send(f"/start {typo}")
    await newcomer.send(f"/start {fresh[('2栋 1单元 302', 'tenant')].code}")
    assert "2栋 1单元 302" in newcomer.last_text and "请等待" not in newcomer.last_text
    await newcomer.press("同意")
    await newcomer.send("/whoami")
    assert "2栋 1单元 302" in newcomer.last_text
    async with world.session() as session:
        assert len((await session.exec(select(StartAttempt))).all()) == 3
    # Five typos still lock a guesser out; an expired card is answered and not counted.
    guesser = world.user("猜码者")
    for attempt in range(4):
        await guesser.send(f"/start guess{attempt:011d}")
    clock.advance(days=31)
    await guesser.send(f"/start {fresh[('3栋 2单元 501', 'owner')].code}")
    assert "已过期" in guesser.last_text
    clock.advance(minutes=-31 * 24 * 60 + 1)
    await guesser.send("/start guess99999999999")
    await guesser.send(f"/start {fresh[('3栋 2单元 501', 'owner')].code}")
    assert "请等待" in guesser.last_text
