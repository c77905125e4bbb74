"""The basics every user has: help per role, language, cancel, my data, forget me, errors."""

from __future__ import annotations

import json

from sqlmodel import col, select

from models import AuditEvent, Membership, OutboxMessage, Resident, Role
from services import outbox
from services.outbox import Outgoing


async def test_help_lists_the_commands_of_the_role(world):
    await world.seed_roster()
    owner = world.user("王芳")
    await world.onboard(owner)
    await owner.send("/help")
    assert "/mydata" in owner.last_text and "/forgetme" in owner.last_text


async def test_language_switch_changes_replies_and_menu(world):
    await world.seed_roster()
    owner = world.user("王芳")
    await world.onboard(owner)
    await owner.send("/help")
    assert "我能为您做什么" in owner.last_text or "/help" in owner.last_text
    zh_menu = dict(owner.user.commands)
    await owner.send("/language")
    await owner.press("English")
    assert owner.last_text == "Language set to English."
    await owner.send("/help")
    assert "Here is what I can do for you" in owner.last_text
    en_menu = dict(owner.user.commands)
    assert en_menu["mydata"] == "See and export my data"
    assert zh_menu["mydata"] != en_menu["mydata"]
    await owner.send("/language")
    await owner.press("繁體中文")
    await owner.send("/help")
    assert dict(owner.user.commands)["mydata"] not in (zh_menu["mydata"], en_menu["mydata"])


async def test_telegram_language_is_used_until_one_is_chosen(world):
    visitor = world.user("Alice", language="en")
    await visitor.send("/start")
    assert "invite link" in visitor.last_text


async def test_cancel_leaves_a_conversation_and_nothing_changes(world):
    await world.seed_roster()
    owner = world.user("王芳")
    await world.onboard(owner)
    await owner.send("/setphone")
    await owner.send("/whoami")  # another command mid-conversation is refused politely
    assert "/cancel" in owner.last_text
    await owner.send("/cancel")
    assert "已取消" in owner.last_text
    await owner.send("13800138000")  # no longer in the conversation
    async with world.session() as session:
        assert (await session.exec(select(Resident))).one().phone is None
    await owner.send("/cancel")
    assert "没有" in owner.last_text


async def test_setphone_accepts_a_number_and_refuses_nonsense(world):
    await world.seed_roster()
    owner = world.user("王芳")
    await world.onboard(owner)
    await owner.send("/setphone")
    await owner.send("hello")
    assert "电话号码" in owner.last_text
    await owner.send_location(30.6, 114.3)
    assert "电话号码" in owner.last_text
    await owner.send_contact("+86 138 0013 8000")
    assert "已保存" in owner.last_text
    async with world.session() as session:
        assert (await session.exec(select(Resident))).one().phone == "+86 138 0013 8000"


async def test_a_half_finished_conversation_survives_a_restart(world):
    await world.seed_roster()
    owner = world.user("王芳")
    await world.onboard(owner)
    await owner.send("/setphone")
    await world.restart()
    await owner.send("13800138000")
    assert "已保存" in owner.last_text


async def test_mydata_shows_and_exports_everything(world):
    await world.seed_roster()
    owner = world.user("王芳")
    await world.onboard(owner)
    await owner.send("/mydata")
    document = owner.last_message
    assert document.kind == "document" and document.document["file_name"] == "my-data.json"
    data = json.loads(world.emulator.file_bytes(document.document["file_id"]))
    assert data["resident"]["display_name"] == "王芳"
    assert data["households"][0]["household"] == "1栋 1单元 101"
    async with world.session() as session:
        actions = [e.action for e in (await session.exec(select(AuditEvent))).all()]
    assert "resident.export" in actions


async def test_forgetme_deletes_personal_data_after_confirmation(world):
    await world.seed_roster()
    owner = world.user("王芳")
    await world.onboard(owner)
    async with world.session() as session:  # something was once sent to them through the outbox
        await outbox.enqueue(
            session,
            "notice:test",
            [Outgoing(chat_id=owner.id, payload={"text": "x"}, resident_id=1)],
            now=world.clock.now(),
            quiet=None,
        )
    await world.deliver()
    await owner.send("/forgetme")
    await owner.press("不，保留")
    async with world.session() as session:
        assert (await session.exec(select(Membership))).all()
    await owner.send("/forgetme")
    await owner.press("是的，删除")
    assert "已删除" in owner.last_text
    async with world.session() as session:
        assert (await session.exec(select(Membership))).all() == []
        resident = (await session.exec(select(Resident))).one()
        assert (resident.telegram_id, resident.display_name, resident.phone) == (None, "", None)
        assert resident.forgotten_at is not None
        events = (await session.exec(select(AuditEvent))).all()
        assert all("王芳" not in json.dumps(e.details, ensure_ascii=False) for e in events)
        assert all(m.chat_id != owner.id for m in (await session.exec(select(OutboxMessage))).all())
    await owner.send("/whoami")
    assert "尚未注册" in owner.last_text
    assert "mydata" not in owner.commands


async def test_staff_menu_differs_from_a_residents(world):
    await world.seed_roster()
    code = await world.role_invite(Role.STAFF, "compound:幸福家园")
    staff = world.user("物业小陈")
    await staff.send(f"/start {code}")
    await staff.press("同意")
    assert "mydata" in staff.commands


async def test_unknown_commands_text_and_stale_buttons_get_helpful_answers(world):
    person = world.user("路人")
    await person.send("/frobnicate")
    assert "/help" in person.last_text
    await person.send("你好")
    assert "/help" in person.last_text
    await person.send_photo(b"\x89PNG fake")
    assert "/help" in person.last_text
    await person.send("/language")
    await person.press_data("v1:nonsense:1")
    assert any("不再有效" in alert for alert in person.alerts)
    await person.press_data("v1:lang:xx")
    assert "不可用" in person.last_text


async def test_a_crash_in_a_handler_answers_politely_without_traceback(world, monkeypatch):
    from services import residents

    async def broken(*args, **kwargs):
        raise RuntimeError("database exploded")

    monkeypatch.setattr(residents, "describe_roles", broken)
    await world.seed_roster()
    owner = world.user("王芳")
    await world.onboard(owner)
    await owner.send("/whoami")
    assert "出错" in owner.last_text
    assert "Traceback" not in owner.last_text and "exploded" not in owner.last_text


async def test_a_redelivered_update_is_applied_once(world):
    await world.seed_roster()
    owner = world.user("王芳")
    await world.onboard(owner)
    await owner.send("/setphone")
    before = len(owner.bot_messages)
    update_id = owner.user.send("13800138000")
    await world.settle(update_id)
    world.emulator.redeliver(update_id)  # as Telegram does when the bot died before confirming
    await world.settle_again(update_id)
    assert len(owner.bot_messages) == before + 1
    async with world.session() as session:
        events = (
            await session.exec(
                select(AuditEvent).where(col(AuditEvent.action) == "resident.set_phone")
            )
        ).all()
    assert len(events) == 1


async def test_forgetme_also_deletes_unfinished_inputs_and_subscriptions(world):
    """Drafts (a comment half written) and the monthly report subscription are personal too."""
    from models import Draft, KpiSubscription

    await world.seed_roster()
    owner = world.user("王芳")
    await world.onboard(owner)
    await world.join_as(owner, Role.SUPERVISOR)
    await owner.send("/rate")
    await owner.press("5", owner.last_message.message_id)
    await owner.press("补充意见")  # the bot now waits for the comment: a draft
    await owner.send("/cancel")
    await owner.send("/kpi 2026-10")
    await owner.press("每月发送给我", owner.user.chat.bot_messages[-3].message_id)
    async with world.session() as session:
        assert (await session.exec(select(Draft))).all()
        assert (await session.exec(select(KpiSubscription))).all()
    await owner.send("/mydata")
    data = json.loads(world.emulator.file_bytes(owner.last_message.document["file_id"]))
    assert data["unfinished_inputs"][0]["flow"] == "survey-comment"
    assert data["kpi_subscriptions"][0]["scope"].startswith("compound:")
    await owner.send("/forgetme")
    await owner.press("是的，删除")
    async with world.session() as session:
        assert (await session.exec(select(Draft))).all() == []
        assert (await session.exec(select(KpiSubscription))).all() == []


async def test_menus_and_help_follow_the_policy(world):
    """Each command is shown to whoever holds its permission somewhere, before joining too."""
    await world.seed_roster()
    guest, owner, staff = world.user("路人"), world.user("王芳"), world.user("物业小陈")
    await guest.send("/help")
    shown = {line.split(" ")[0] for line in guest.last_text.splitlines() if line.startswith("/")}
    assert shown == {"/start", "/help", "/language", "/whoami"}
    await world.onboard(owner)
    await world.join_as(staff, Role.STAFF)
    for command in ("start", "help", "language", "whoami", "mydata", "setphone", "forgetme"):
        assert command in owner.commands and command in staff.commands
    assert "rate" in owner.commands and "rate" not in staff.commands  # SURVEY_ANSWER: residents
    assert "kpi" not in owner.commands and "kpi" not in staff.commands  # KPI_VIEW: not staff
    await staff.send("/help")
    assert "/rate" not in staff.last_text and "/mydata" in staff.last_text


async def test_counts_read_naturally_in_english(world):
    await world.seed_roster()
    owner = world.user("Grace", language="en")
    await world.onboard(owner)
    await owner.send("/mydata")
    summary = owner.texts()[-2]
    assert "Household: 1栋 1单元 101 (owner)" in summary and "Role:" not in summary
    assert "No one else has seen your data through the bot." in summary
