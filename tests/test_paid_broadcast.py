"""Paid broadcast for emergency notices: a bot whose switch is on sends them with
allow_paid_broadcast (up to 1000/s, 0.1 Stars each), and the liaison sees the cost first."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from redis.asyncio import Redis
from sqlmodel import col, select

from core.runtime import Runtime
from core.settings import Settings
from emulator.limits import ApiLimits, FloodControl
from jobs.pacing import LocalPacer, RedisPacer
from models import OutboxMessage
from services import bots, outbox, paid_broadcast
from services.outbox import Outgoing
from tests.test_notices import _compose, _people
from tests.utils.bots import record_bot
from tests.utils.shared_redis import REDIS_URL, redis_keys
from tests.utils.world import TOKEN, World

EMERGENCY = "紧急通知"


async def _paid(world: World, on: bool) -> None:
    """What `bot.py admin bot paid 123456 on|off` does."""
    async with world.session() as session:
        await bots.set_paid_broadcast(session, await bots.find_bot(session, "123456"), on)
        await session.commit()


async def _city(world: World, *, paid: bool):
    people = await _people(world)
    await record_bot(world, TOKEN, "江岸区", "district:江岸区")
    await _paid(world, paid)
    return people


def _data(message, label: str) -> str:
    return next(
        b["callback_data"] for row in message.inline_keyboard for b in row if b["text"] == label
    )


async def _notice_rows(world: World) -> list[OutboxMessage]:
    async with world.session() as session:
        found = await session.exec(
            select(OutboxMessage).where(col(OutboxMessage.purpose).like("notice:%"))
        )
        return list(found.all())


async def test_an_emergency_goes_by_paid_broadcast_and_its_cost_is_shown_first(world):
    owner, tenant, far_owner, liaison = await _city(world, paid=True)
    await _compose(liaison, category=EMERGENCY, text="3栋燃气泄漏，请勿用火", ack=False)
    summary = liaison.last_text
    assert "付费广播：3 条消息 × 每条 0.1 星星 = 0.3 星星，从机器人余额扣除" in summary
    # 3 messages: at 1000/s and at 25/s both round to a second; the line is there all the same.
    assert "大约1秒钟送达，而不是1秒钟。" in summary
    await liaison.press("确认发送")
    assert "正在发送给 3 人" in liaison.last_text
    await world.deliver()
    for person in (owner, tenant, far_owner):
        assert "燃气泄漏" in person.last_text
        assert person.last_message.paid_broadcast  # the request carried allow_paid_broadcast
    assert world.emulator.stats["paid_broadcast"] == 3
    assert world.emulator.paid_stars == Decimal("0.3")
    assert all(row.paid_broadcast for row in await _notice_rows(world))
    # The liaison's own replies never cost anything.
    assert not any(m.paid_broadcast for m in liaison.bot_messages)


async def test_the_english_screen_counts_in_english(world):
    _owner, _tenant, _far, liaison = await _city(world, paid=True)
    await liaison.send("/language")
    await liaison.press("English")
    await liaison.send("/notice")
    await liaison.press("Emergency notice")
    await liaison.press("all residents")
    await liaison.send("Gas leak in building 3")
    await liaison.press("No")
    await liaison.press("Send now")
    assert "Paid broadcast: 3 messages × 0.1 Stars = 0.3 Stars" in liaison.last_text
    assert "Delivery takes about 1 second instead of 1 second." in liaison.last_text


async def test_with_the_switch_off_nothing_is_paid_and_the_screen_is_as_before(world):
    owner, _tenant, _far, liaison = await _city(world, paid=False)
    await _compose(liaison, category=EMERGENCY, text="3栋燃气泄漏，请勿用火", ack=False)
    assert "付费广播" not in liaison.last_text and "星星" not in liaison.last_text
    await liaison.press("确认发送")
    await world.deliver()
    assert "燃气泄漏" in owner.last_text and not owner.last_message.paid_broadcast
    assert world.emulator.stats["paid_broadcast"] == 0
    assert not any(row.paid_broadcast for row in await _notice_rows(world))


async def test_a_service_notice_never_goes_by_paid_broadcast(world):
    owner, _tenant, _far, liaison = await _city(world, paid=True)
    await _compose(liaison, text="明天停水", ack=False)
    assert "付费广播" not in liaison.last_text
    await liaison.press("确认发送")
    await world.deliver()
    assert "停水" in owner.last_text and not owner.last_message.paid_broadcast
    assert world.emulator.paid_stars == 0


async def test_a_cancelled_preview_and_a_stale_confirm_cost_nothing(world):
    owner, _tenant, _far, liaison = await _city(world, paid=True)
    await _compose(liaison, category=EMERGENCY, text="3栋燃气泄漏", ack=False)
    confirm = _data(liaison.last_message, "确认发送")
    await liaison.press("取消")
    await liaison.press_data(confirm)  # the old button, pressed after cancelling
    assert "确认发送" not in liaison.last_message.buttons()
    await world.deliver()
    assert not any("燃气" in t for t in owner.texts())
    assert world.emulator.stats["paid_broadcast"] == 0 and not await _notice_rows(world)


async def test_a_double_tap_on_confirm_pays_once_per_person(world):
    owner, _tenant, _far, liaison = await _city(world, paid=True)
    await _compose(liaison, category=EMERGENCY, text="3栋燃气泄漏", ack=False)
    confirm = _data(liaison.last_message, "确认发送")
    await liaison.press_data(confirm)
    await liaison.press_data(confirm)
    await world.deliver()
    assert sum("燃气" in t for t in owner.texts()) == 1
    assert world.emulator.stats["paid_broadcast"] == 3


async def test_the_default_bot_follows_its_setting(world):
    """No bot rows: PAID_BROADCAST is the switch of TELEGRAM_TOKEN's bot."""
    async with world.session() as session:
        assert await paid_broadcast.paying_bots(session) == set()
        session.info[paid_broadcast.DEFAULT_SWITCH] = True
        assert await paid_broadcast.paying_bots(session) == {None}
        found = await paid_broadcast.cost(session, [(1, None)] * 2500)
    assert found is not None and found.messages == 2500 and found.stars == Decimal("250.0")
    assert found.paid_time.total_seconds() == 2.5 and found.normal_time.total_seconds() == 100


# --- pacing ---------------------------------------------------------------------------------
class Ticks:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_paid_sends_are_not_held_to_the_bot_rate_but_to_the_chat_spacing():
    ticks = Ticks()
    pacer = LocalPacer(rate=25, chat_interval=1.0, monotonic=ticks)
    reserved = await pacer.reserve_paid(list(range(1, 1001)))
    assert all(r.chat_wait == 0 for r in reserved)
    assert reserved[-1].send_in == pytest.approx(0.999)  # 1000 in a second, not 40 s at 25/s
    again = await pacer.reserve_paid([5, 2000])
    assert again[0].chat_wait == pytest.approx(1.0) and again[1].chat_wait == 0
    assert await pacer.acquire(6) == pytest.approx(1.0)  # the chat spacing is the same for both
    await pacer.pause(30)  # a 429 holds paid sends too
    assert (await pacer.reserve_paid([3000]))[0].send_in >= 30


@pytest.fixture
async def redis_prefix() -> AsyncIterator[str]:
    async with redis_keys() as prefix:
        yield prefix


async def test_redis_reserves_a_batch_of_paid_sends_in_one_call(redis_prefix):
    senders = [
        RedisPacer(
            Redis.from_url(REDIS_URL), prefix=redis_prefix, bot_id=7, rate=1, chat_interval=1.0
        )
        for _ in range(2)
    ]
    try:
        first = await senders[0].reserve_paid(list(range(1, 501)))
        second = await senders[1].reserve_paid([*range(501, 1001), 7])
        assert all(r.chat_wait == 0 for r in first + second[:-1])
        # One shared paid bucket at 1000/s: the two batches follow each other, within a second.
        assert max(r.send_in for r in second) <= 1.0
        assert second[-2].send_in >= first[-1].send_in
        assert second[-1].chat_wait > 0.5  # chat 7 got one from the other sender just now
        assert await senders[1].acquire(8) > 0.5  # and the normal path sees that chat too
        assert senders[0].fallbacks == senders[1].fallbacks == 0
    finally:
        for sender in senders:
            await sender.close()


def test_the_emulator_lets_paid_sends_past_the_global_limit_but_not_the_chat_limit():
    ticks = Ticks()
    flood = FloodControl(ApiLimits(global_rate=30, per_chat_rate=1, per_chat_burst=1), ticks)
    assert all(flood.check(chat, paid=True) is None for chat in range(1, 501))
    assert flood.check(1, paid=True) is not None  # one a second per chat still
    assert all(flood.check(chat) is None for chat in range(1001, 1031))
    assert flood.check(2000) is not None  # the bot's own 30/s is spent
    assert flood.check(2001, paid=True) is None


# --- the switch on the command line and in the settings -------------------------------------
async def test_the_administrator_switches_a_bot_on_and_off(database_url, monkeypatch, capsys):
    from tests.test_bots_running import WUCHANG_TOKEN, _cli

    monkeypatch.setenv("BOT_WUCHANG", WUCHANG_TOKEN)
    monkeypatch.setenv("TELEGRAM_BASE_URL", "http://127.0.0.1:9/bot")  # no Telegram here
    admin = ("admin", "bot")

    def run() -> list[int]:
        return [
            _cli(monkeypatch, database_url, *admin, "add", "BOT_WUCHANG"),
            _cli(monkeypatch, database_url, *admin, "paid", "BOT_WUCHANG", "on"),
            _cli(monkeypatch, database_url, *admin, "paid", "654321", "off"),
            _cli(monkeypatch, database_url, *admin, "paid", "@nobody", "on"),
        ]

    results = await asyncio.to_thread(run)
    printed = capsys.readouterr()
    assert results[:3] == [0, 0, 0] and results[3] != 0
    assert "Bot 654321 sends emergency notices by paid broadcast." in printed.out
    assert "Bot 654321 no longer uses paid broadcast." in printed.out
    assert "No bot is recorded as @nobody." in printed.out + printed.err
    runtime = Runtime.create(Settings(DATABASE_URL=database_url, _env_file=None))
    try:
        async with runtime.sessions() as session:
            assert await paid_broadcast.paying_bots(session) == set()
    finally:
        await runtime.close()


async def test_paid_broadcast_setting_is_the_default_bots_switch(database_url):
    runtime = Runtime.create(
        Settings(DATABASE_URL=database_url, PAID_BROADCAST="1", _env_file=None)
    )
    try:
        async with runtime.sessions() as session:
            assert await paid_broadcast.paying_bots(session) == {None}
    finally:
        await runtime.close()


async def test_the_sender_sends_paid_rows_past_the_bot_rate_without_a_429(world):
    """300 paid messages with Telegram's limits on (30/s for the bot) and the sender at 25/s:
    at that rate they would take 12 s; paid, they go at once, each with the flag."""
    people = [world.user(f"住户{i}") for i in range(300)]
    async with world.session() as session:
        session.info[paid_broadcast.DEFAULT_SWITCH] = True  # PAID_BROADCAST=1
        await outbox.enqueue(
            session,
            "notice:9",
            [Outgoing(chat_id=p.id, payload={"text": "紧急：停气"}) for p in people],
            now=world.clock.now(),
            quiet=None,
            emergency=True,
            paid=True,
        )
    started = time.monotonic()
    stats = await world.deliver()
    assert time.monotonic() - started < 6
    assert stats.sent == 300 and stats.rate_limited == 0
    assert world.emulator.stats["429"] == 0 and world.emulator.paid_stars == Decimal("30.0")
    assert all(p.texts() == ["紧急：停气"] and p.last_message.paid_broadcast for p in people)


async def test_a_reminder_of_an_emergency_is_not_paid_as_nobody_saw_its_cost(world, clock):
    owner, tenant, _far, liaison = await _city(world, paid=True)
    await _compose(liaison, category=EMERGENCY, text="3栋燃气泄漏，请勿用火")
    await liaison.press("确认发送")
    await world.deliver()
    await tenant.press("我已阅读")
    clock.advance(days=1)
    await liaison.press("送达报告")
    await liaison.press("提醒未阅读的住户")
    await world.deliver()
    assert "请阅读此通知" in owner.last_text and not owner.last_message.paid_broadcast
    assert world.emulator.stats["paid_broadcast"] == 3  # the notice itself only
