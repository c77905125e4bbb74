"""Pacing shared through Redis: every sender of a bot sees one rate, one pause and one per-chat
spacing; without Redis (or when it fails) a sender paces itself, as a single process always did."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from jobs.outbox import OutboxSender
from jobs.pacing import LocalPacer, RedisPacer, build_pacer
from services import outbox
from services.outbox import Outgoing
from tests.utils.shared_redis import REDIS_URL, redis_keys

BOT = 777


@pytest.fixture
async def redis_prefix() -> AsyncIterator[str]:
    async with redis_keys() as prefix:
        yield prefix


def pacer(prefix: str, *, rate: float = 10, chat_interval: float = 1.0, **kw) -> RedisPacer:
    client = Redis.from_url(REDIS_URL)
    return RedisPacer(
        client, prefix=prefix, bot_id=BOT, rate=rate, chat_interval=chat_interval, **kw
    )


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_a_pause_asked_by_one_sender_holds_the_other(redis_prefix):
    first, second = pacer(redis_prefix), pacer(redis_prefix)
    await first.pause(30)
    reservation = await second.reserve(1)
    assert reservation.chat_wait == 0
    assert 29 < reservation.send_in <= 30  # its next send waits for the pause, not for its rate
    await first.close()
    await second.close()


async def test_the_global_rate_is_one_bucket_for_all_senders_of_the_bot(redis_prefix):
    first, second = pacer(redis_prefix, rate=1), pacer(redis_prefix, rate=1)
    waits = [
        (await first.reserve(1)).send_in,
        (await second.reserve(2)).send_in,
        (await first.reserve(3)).send_in,
    ]
    assert waits[0] == 0
    assert 0.5 < waits[1] <= 1.0 and 1.5 < waits[2] <= 2.0  # one token a second between them
    other_bot = RedisPacer(
        Redis.from_url(REDIS_URL), prefix=redis_prefix, bot_id=BOT + 1, rate=1, chat_interval=1
    )
    assert (await other_bot.reserve(1)).send_in == 0  # another bot has its own limits
    for p in (first, second, other_bot):
        await p.close()


async def test_the_bucket_refills_at_the_rate(redis_prefix):
    one = pacer(redis_prefix, rate=20, chat_interval=0)
    assert (await one.reserve(1)).send_in == 0
    assert (await one.reserve(2)).send_in > 0  # the token for now is taken
    await asyncio.sleep(0.2)  # longer than the two tokens take to come back
    assert (await one.reserve(3)).send_in == 0
    await one.close()


async def test_a_burst_allows_that_many_sends_at_once(redis_prefix):
    one = pacer(redis_prefix, rate=1, chat_interval=0, burst=3)
    waits = [(await one.reserve(chat)).send_in for chat in range(4)]
    assert waits[:3] == [0, 0, 0] and waits[3] > 0.5
    await one.close()


async def test_a_chat_served_by_one_sender_waits_at_the_other(redis_prefix):
    first, second = pacer(redis_prefix), pacer(redis_prefix)
    assert await first.acquire(42) == 0
    wait = await second.acquire(42)
    assert 0.5 < wait <= 1.0  # deferred for the rest of the chat's second
    assert await second.acquire(43) == 0  # other chats go on
    assert first.fallbacks == second.fallbacks == 0
    await first.close()
    await second.close()


async def test_without_redis_sending_goes_on_paced_locally_and_says_so():
    broken = RedisPacer(
        Redis.from_url(f"redis://127.0.0.1:{closed_port()}/0", socket_connect_timeout=0.5),
        prefix="rp",
        bot_id=BOT,
        rate=100,
        chat_interval=1.0,
    )
    assert await broken.acquire(1) == 0
    assert await broken.acquire(1) > 0  # the per-chat spacing still holds, locally
    await broken.pause(0.01)  # no error either
    assert broken.fallbacks == 2
    assert broken._local.rate == 25  # a quarter of the rate: senders falling back together fit
    await broken.close()


def test_no_redis_url_means_the_local_pacer():
    assert isinstance(build_pacer(None, "rp", BOT, 25, 1.0), LocalPacer)
    assert isinstance(build_pacer(REDIS_URL, "rp", BOT, 25, 1.0), RedisPacer)


async def test_the_bot_without_redis_url_paces_itself_as_before(world):
    assert isinstance(world.sender.pacer, LocalPacer)
    person = world.user("王芳")
    async with world.session() as session:
        await outbox.enqueue(
            session,
            "notice:1",
            [Outgoing(chat_id=person.id, payload={"text": "<b>停水</b>"})],
            now=world.clock.now(),
            quiet=None,
        )
    await world.deliver()
    assert person.texts() == ["停水"]
    assert world.sender.stats.pacing_fallbacks == 0


async def test_a_sender_whose_redis_is_down_still_delivers(world):
    settings = world.runtime.settings.model_copy(
        update={"redis_url": f"redis://127.0.0.1:{closed_port()}/0"}
    )
    world.runtime.settings = settings
    sender = OutboxSender(world.runtime, world.app.bot, rate=25, chat_interval=0)
    assert isinstance(sender.pacer, RedisPacer)
    people = [world.user(f"住户{i}") for i in range(3)]
    async with world.session() as session:
        await outbox.enqueue(
            session,
            "notice:2",
            [Outgoing(chat_id=p.id, payload={"text": "通知"}) for p in people],
            now=world.clock.now(),
            quiet=None,
        )
    stats = await sender.drain()
    assert stats.sent == 3 and stats.pacing_fallbacks == 3
    assert all(p.texts() == ["通知"] for p in people)
    await sender.pacer.close()
