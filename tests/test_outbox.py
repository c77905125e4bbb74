"""The outbox: idempotent queueing, quiet hours, and a sender that holds Telegram's limits."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from emulator import ApiLimits
from jobs.outbox import OutboxSender
from models import OutboxMessage, OutboxStatus, Resident
from services import outbox
from services.outbox import Outgoing, QuietHours

SHANGHAI = ZoneInfo("Asia/Shanghai")
QUIET = QuietHours(
    datetime.strptime("21:00", "%H:%M").time(), datetime.strptime("08:00", "%H:%M").time(), SHANGHAI
)


def at_local(hour: int, minute: int = 0, day: int = 2) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


def test_quiet_hours_hold_messages_until_morning():
    assert QUIET.release_time(at_local(20, 59)) == at_local(20, 59)
    assert QUIET.release_time(at_local(21, 0)) == at_local(8, 0, day=3)
    assert QUIET.release_time(at_local(23, 30)) == at_local(8, 0, day=3)
    assert QUIET.release_time(at_local(3, 0)) == at_local(8, 0)
    assert QUIET.release_time(at_local(8, 0)) == at_local(8, 0)


async def _queue(world, purpose: str, people, text: str = "通知", **kwargs) -> int:
    async with world.session() as session:
        return await outbox.enqueue(
            session,
            purpose,
            [Outgoing(chat_id=p.id, payload={"text": text}) for p in people],
            now=world.clock.now(),
            quiet=kwargs.pop("quiet", None),
            **kwargs,
        )


async def _statuses(world, purpose: str) -> dict[str, int]:
    async with world.session() as session:
        return {k: v for k, v in (await outbox.counts(session, purpose)).items() if v}


async def test_queueing_twice_sends_once(world):
    people = [world.user(f"住户{i}") for i in range(3)]
    assert await _queue(world, "notice:1", people) == 3
    assert await _queue(world, "notice:1", people) == 0
    await world.deliver()
    assert [len(p.bot_messages) for p in people] == [1, 1, 1]
    assert await _statuses(world, "notice:1") == {"sent": 3}


async def test_quiet_hours_delay_ordinary_messages_but_not_emergencies(world, clock):
    clock.set(at_local(22, 0))
    night = world.user("夜猫子")
    await _queue(world, "notice:ordinary", [night], text="普通通知", quiet=QUIET)
    await _queue(world, "notice:emergency", [night], text="紧急通知", quiet=QUIET, emergency=True)
    await world.deliver()
    assert night.texts() == ["紧急通知"]
    clock.set(at_local(8, 0, day=3))
    await world.deliver()
    assert night.texts() == ["紧急通知", "普通通知"]


async def test_a_blocked_user_is_marked_unreachable(world):
    await world.seed_roster()
    owner = world.user("王芳")
    await world.onboard(owner)
    world.emulator.block(owner.id)
    async with world.session() as session:
        resident = (await session.exec(select(Resident))).one()
        await outbox.enqueue(
            session,
            "notice:2",
            [Outgoing(chat_id=owner.id, payload={"text": "x"}, resident_id=resident.id)],
            now=world.clock.now(),
            quiet=None,
        )
    await world.deliver()
    assert await _statuses(world, "notice:2") == {"unreachable": 1}
    async with world.session() as session:
        assert (await session.exec(select(Resident))).one().unreachable_at is not None


async def test_429_is_honoured_and_the_message_sent_later(world, clock):
    world.emulator.set_limits(ApiLimits(global_rate=1, retry_after=7))
    people = [world.user(f"住户{i}") for i in range(3)]
    await _queue(world, "notice:3", people)
    await world.deliver()
    stats = world.sender.stats
    assert stats.rate_limited >= 1 and stats.sent == 1
    assert await _statuses(world, "notice:3") == {"sent": 1, "queued": 2}
    world.emulator.set_limits(ApiLimits())
    clock.advance(seconds=7)
    world.sender.pacer._paused_until = 0  # the real sender sleeps out the pause; the test moves on
    await world.deliver()
    assert await _statuses(world, "notice:3") == {"sent": 3}


async def test_one_message_per_second_per_chat(world, clock):
    person = world.user("王芳")
    sender = OutboxSender(world.runtime, world.app.bot, rate=100, chat_interval=1.0)
    await _queue(world, "a", [person], text="一")
    await _queue(world, "b", [person], text="二")
    await sender.drain()
    assert person.texts() == ["一"] and sender.stats.deferred == 1
    async with world.session() as session:
        second = (
            await session.exec(select(OutboxMessage).where(col(OutboxMessage.purpose) == "b"))
        ).one()
        assert second.status == "queued" and second.attempts == 0


async def test_a_message_telegram_refuses_is_failed_not_retried(world):
    person = world.user("王芳")
    await _queue(world, "notice:4", [person], text="x" * 5000)
    await world.deliver()
    async with world.session() as session:
        row = (await session.exec(select(OutboxMessage))).one()
    assert row.status == OutboxStatus.FAILED and "too long" in row.last_error.lower()


async def test_claims_of_a_dead_sender_are_taken_back_after_the_lease(world, clock):
    person = world.user("王芳")
    await _queue(world, "notice:5", [person])
    dead = OutboxSender(world.runtime, world.app.bot)
    claimed = await dead.claim(10)  # this sender "dies" holding the claim
    assert len(claimed) == 1
    assert await world.sender.reclaim_stale() == 0
    clock.advance(seconds=121)
    assert await world.sender.reclaim_stale() == 1
    await world.deliver()
    assert person.texts() == ["通知"]


async def test_a_slow_sender_never_takes_back_its_own_claims(world, clock):
    """A batch that takes longer than the lease (a slow network) is not sent twice by the
    sender that holds it; only a dead sender's claims are stale."""
    person = world.user("王芳")
    await _queue(world, "notice:5b", [person])
    held = await world.sender.claim(10)
    clock.advance(seconds=121)
    assert await world.sender.reclaim_stale() == 0
    assert await OutboxSender(world.runtime, world.app.bot).reclaim_stale() == 1
    assert len(held) == 1


async def test_cancelled_messages_are_not_sent(world):
    person = world.user("王芳")
    await _queue(world, "notice:6", [person])
    async with world.session() as session:
        assert await outbox.cancel(session, "notice:6") == 1
    await world.deliver()
    assert person.texts() == []


async def test_buttons_and_photos_go_out(world):
    person = world.user("王芳")
    photo = world.emulator.store_file(b"PHOTO", "p.jpg", "image/jpeg", "photo")
    async with world.session() as session:
        await outbox.enqueue(
            session,
            "notice:7",
            [
                Outgoing(
                    chat_id=person.id,
                    payload={
                        "text": "<b>停水通知</b>",
                        "photo": photo.file_id,
                        "buttons": [[{"text": "已读", "data": "v1:ack:7"}]],
                    },
                )
            ],
            now=world.clock.now(),
            quiet=None,
        )
    await world.deliver()
    message = person.last_message
    assert (
        message.kind == "photo" and message.caption == "停水通知" and message.buttons() == ["已读"]
    )


async def test_a_user_who_never_started_the_bot_is_unreachable_and_others_still_get_it(world):
    """Telegram refuses to let a bot write first (403 "bot can't initiate conversation")."""
    stranger, neighbour = world.user("陌生人", started=False), world.user("邻居")
    await _queue(world, "notice:8", [stranger, neighbour])
    await world.deliver()
    assert await _statuses(world, "notice:8") == {"unreachable": 1, "sent": 1}
    assert stranger.texts() == [] and neighbour.texts() == ["通知"]
    async with world.session() as session:
        row = (
            await session.exec(
                select(OutboxMessage).where(col(OutboxMessage.chat_id) == stranger.id)
            )
        ).one()
    assert "initiate conversation" in (row.last_error or "")
