"""Joining by invite: owners and tenants, every kind of bad code, and rate-limited guessing."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from models import Membership, Resident, Role
from services.invites import revoke_invite


async def test_owner_joins_with_invite_after_consenting(world):
    await world.seed_roster()
    invites = await world.issue_invites()
    wang = world.user("王芳")
    await wang.send(f"/start {invites[('1栋 1单元 101', 'owner')].code}")
    assert "1栋 1单元 101" in wang.last_text
    assert "隐私" in wang.last_text  # the privacy notice comes before anything is stored
    async with world.session() as session:
        assert (await session.exec(select(Resident))).all() == []
    await wang.press("同意")
    assert any("您已登记为" in text for text in wang.texts())
    async with world.session() as session:
        membership = (await session.exec(select(Membership))).one()
        assert membership.kind == "owner"
    await wang.send("/whoami")
    assert "1栋 1单元 101" in wang.last_text and "业主" in wang.last_text


async def test_tenant_joins_as_tenant(world):
    await world.seed_roster()
    invites = await world.issue_invites()
    li = world.user("李四")
    await li.send(f"/start {invites[('2栋 1单元 302', 'tenant')].code}")
    await li.press("同意")
    await li.send("/whoami")
    assert "2栋 1单元 302" in li.last_text and "租户" in li.last_text


async def test_declining_consent_stores_nothing(world):
    await world.seed_roster()
    invites = await world.issue_invites()
    zhao = world.user("赵六")
    await zhao.send(f"/start {invites[('1栋 1单元 101', 'owner')].code}")
    await zhao.press("不用了")
    assert "没有保存" in zhao.last_text
    async with world.session() as session:
        assert (await session.exec(select(Membership))).all() == []


async def test_a_used_code_is_refused_and_changes_nothing(world):
    await world.seed_roster()
    invites = await world.issue_invites()
    code = invites[("1栋 1单元 101", "owner")].code
    first, second = world.user("王芳"), world.user("冒名者")
    await first.send(f"/start {code}")
    await first.press("同意")
    await second.send(f"/start {code}")
    assert "已被使用" in second.last_text
    assert not second.last_message.inline_keyboard


async def test_a_double_tap_on_agree_registers_once(world):
    await world.seed_roster()
    invites = await world.issue_invites()
    wang = world.user("王芳")
    await wang.send(f"/start {invites[('1栋 1单元 101', 'owner')].code}")
    consent = wang.last_message
    data = consent.inline_keyboard[0][0]["callback_data"]
    first = wang.user.press(consent.message_id, data)  # two taps before the bot answers either
    second = wang.user.press(consent.message_id, data)
    await world.settle(first)
    await world.settle(second)
    assert sum("您已登记为" in text for text in wang.texts()) == 1
    assert "已被使用" in wang.last_text
    async with world.session() as session:
        assert len((await session.exec(select(Membership))).all()) == 1


async def test_expired_revoked_malformed_and_unknown_codes(world, clock):
    await world.seed_roster()
    invites = await world.issue_invites()
    person = world.user("张三")
    await person.send("/start not*a*code!")
    assert "不是有效的邀请码" in person.last_text
    await person.send("/start AAAAAAAAAAAAAAAA")
    assert "无法识别" in person.last_text
    revoked = invites[("1栋 1单元 102", "owner")].code
    async with world.session() as session:
        await revoke_invite(session, revoked, now=clock.now())
    await person.send(f"/start {revoked}")
    assert "已撤回" in person.last_text
    clock.advance(days=31)
    await person.send(f"/start {invites[('1栋 1单元 201', 'owner')].code}")
    assert "已过期" in person.last_text
    async with world.session() as session:
        assert (await session.exec(select(Membership))).all() == []


async def test_guessing_codes_is_rate_limited(world, clock):
    await world.seed_roster()
    invites = await world.issue_invites()
    guesser = world.user("猜码者")
    for attempt in range(5):
        await guesser.send(f"/start guess{attempt:011d}")
    await guesser.send(f"/start {invites[('1栋 1单元 101', 'owner')].code}")
    assert "请等待" in guesser.last_text  # even a right code waits out the lock
    clock.advance(minutes=16)
    await guesser.send(f"/start {invites[('1栋 1单元 101', 'owner')].code}")
    assert "1栋 1单元 101" in guesser.last_text


async def test_role_invite_grants_a_scoped_role(world):
    await world.seed_roster()
    code = await world.role_invite(Role.STAFF, "compound:幸福家园")
    staff = world.user("物业小陈")
    await staff.send(f"/start {code}")
    assert "物业服务人员" in staff.last_text
    await staff.press("同意")
    await staff.send("/whoami")
    assert "物业服务人员" in staff.last_text and "幸福家园" in staff.last_text


async def test_a_user_without_household_is_told_how_to_join(world):
    stranger = world.user("路人")
    await stranger.send("/start")
    assert "邀请链接" in stranger.last_text
    await stranger.send("/mydata")
    assert "没有保存" in stranger.last_text or "没有" in stranger.last_text
    await stranger.send("/setphone")
    assert "尚未注册" in stranger.last_text
    await stranger.send("/whoami")
    assert "尚未注册" in stranger.last_text


async def test_invites_expire_after_their_ttl(world, clock):
    await world.seed_roster()
    invites = await world.issue_invites()
    clock.advance(timedelta(days=30, seconds=1))
    person = world.user("迟到者")
    await person.send(f"/start {invites[('3栋 2单元 501', 'owner')].code}")
    assert "已过期" in person.last_text
