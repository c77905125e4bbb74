"""kill -9 of real processes in the middle of work: a bill run, a vote's close, a conversation.
After a restart nothing is lost and nothing is doubled. (A broadcast killed half-way:
tests/test_outbox_crash.py.)

Each kill lands at a seeded random moment; the same seed gives the same moments, so a failure
can be replayed."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import col, select
from telegram import Bot

import views  # noqa: F401 (registers the message renderers)
from benchmarks.votes import open_poll, seed_compound
from core.clock import FakeClock
from core.db import unit_of_work
from core.runtime import Runtime
from core.settings import Settings
from emulator import BotApiEmulator
from handlers.transport import AiohttpRequest
from jobs.outbox import OutboxSender
from models import AuditEvent, Ballot, Bill, EligibleVoter, Household, OutboxMessage, Poll, Ticket
from tests.utils.world import TOKEN

ROOT = Path(__file__).resolve().parents[1]
SHANGHAI = ZoneInfo("Asia/Shanghai")
HOMES = 2000
VOTE_HOMES = 500  # each owner is sent the preliminary result (with its chart): kept smaller
KILLS = 3
SEED = 18


def _env(url: str, **extra: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING", **extra}


async def _worker(url: str, job: str, at: datetime) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.utils.fault_worker",
        job,
        at.isoformat(),
        cwd=ROOT,
        env=_env(url),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def _kill_during(url: str, job: str, at: datetime, rng: random.Random, window: float) -> bool:
    """Start the job in its own process and SIGKILL it a seeded random time after it began.
    True if it was killed before it had finished."""
    process = await _worker(url, job, at)
    assert process.stdout is not None
    assert (await asyncio.wait_for(process.stdout.readline(), 60)).startswith(b"begin")
    await asyncio.sleep(rng.uniform(0.0, window))
    finished = process.returncode is not None
    if not finished:
        process.send_signal(signal.SIGKILL)
    rest = await process.stdout.read()
    await process.wait()
    return process.returncode == -signal.SIGKILL and b"done" not in rest


async def _run_to_the_end(url: str, job: str, at: datetime) -> None:
    process = await _worker(url, job, at)
    try:
        out, _ = await asyncio.wait_for(process.communicate(), 120)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    assert process.returncode == 0 and b"done" in out, out


async def test_a_bill_run_killed_again_and_again_bills_each_home_once_per_period(database_url):
    clock = FakeClock(datetime(2026, 9, 1, 0, 5, tzinfo=SHANGHAI))
    runtime = Runtime.create(Settings(DATABASE_URL=database_url, _env_file=None), clock)
    try:
        compound_id = await seed_compound(runtime, HOMES, list(range(10**9, 10**9 + HOMES // 2)))
        from services import billing

        async with unit_of_work(runtime.sessions) as session:
            await billing.create_schedule(
                session,
                None,
                compound_id=compound_id,
                price_per_m2=Decimal("1.85"),
                period="monthly",
                due_day=15,
                starts_on=date(2026, 9, 1),
                now=clock.now(),
                subsidy_share=Decimal("0.2"),
            )
        # Three months later the first run bills September, October and November at once.
        at = datetime(2026, 11, 8, 10, 0, tzinfo=SHANGHAI)
        rng = random.Random(SEED)
        interrupted = [
            # The bills of 2,000 homes x 3 months take about 0.2 s once the job has begun on an
            # idle machine (one INSERT ... SELECT): kill early.
            await _kill_during(database_url, "bills", at, rng, 0.25)
            for _ in range(KILLS)
        ]
        assert any(interrupted), "no kill landed during the run: the window is too wide"
        await _run_to_the_end(database_url, "bills", at)

        async with runtime.sessions() as session:
            bills = (await session.exec(select(func.count()).select_from(Bill))).one()
            per_period = (
                await session.exec(
                    select(col(Bill.household_id), col(Bill.period_start), func.count())
                    .group_by(col(Bill.household_id), col(Bill.period_start))
                    .having(func.count() > 1)
                )
            ).all()
            homes = (await session.exec(select(func.count()).select_from(Household))).one()
            reminders = (
                await session.exec(
                    select(col(OutboxMessage.chat_id), col(OutboxMessage.dedupe_key), func.count())
                    .group_by(col(OutboxMessage.chat_id), col(OutboxMessage.dedupe_key))
                    .having(func.count() > 1)
                )
            ).all()
        assert homes == HOMES
        assert bills == 3 * HOMES, f"{bills} bills for {HOMES} homes × 3 months"
        assert per_period == [], f"homes billed twice for a period: {per_period[:3]}"
        assert reminders == [], f"reminders queued twice: {reminders[:3]}"
    finally:
        await runtime.close()


async def _cast_ballots(runtime: Runtime, poll_id: int, rng: random.Random) -> int:
    now = runtime.clock.now()
    async with unit_of_work(runtime.sessions) as session:
        keys = (
            await session.exec(
                select(col(EligibleVoter.voter_key)).where(col(EligibleVoter.poll_id) == poll_id)
            )
        ).all()
        for index, key in enumerate(rng.sample(list(keys), int(len(keys) * 0.7))):
            session.add(
                Ballot(
                    poll_id=poll_id,
                    voter_key=key,
                    version=1,
                    choice=[rng.choices(["agree", "disagree", "abstain"], [0.8, 0.15, 0.05])[0]],
                    channel="bot",
                    cast_at=now,
                    receipt_hash=f"{index:064x}",
                    flagged=False,
                )
            )
        return len(keys)


async def test_a_vote_close_killed_again_and_again_tallies_once_and_tells_each_owner_once(
    database_url,
):
    clock = FakeClock(datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI))
    runtime = Runtime.create(Settings(DATABASE_URL=database_url, _env_file=None), clock)
    rng = random.Random(SEED)
    owners = list(range(10**9, 10**9 + VOTE_HOMES - VOTE_HOMES // 500))
    try:
        compound_id = await seed_compound(runtime, VOTE_HOMES, owners)
        poll_id = await open_poll(runtime, compound_id)
        clock.set(clock.now() + timedelta(days=16))
        await _cast_ballots(runtime, poll_id, rng)
        at = datetime(2026, 11, 24, 10, 1, tzinfo=SHANGHAI)  # open_poll: closes 22 days on
        interrupted = [
            # A close of 500 homes takes well under a second on an idle machine: kill early.
            await _kill_during(database_url, "votes", at, rng, 0.4)
            for _ in range(KILLS)
        ]
        assert any(interrupted), "no kill landed during the close: the window is too wide"
        await _run_to_the_end(database_url, "votes", at)

        async with runtime.sessions() as session:
            poll = await session.get(Poll, poll_id)
            assert poll is not None and poll.status == "closed" and poll.result is not None
            closes = (
                await session.exec(
                    select(func.count())
                    .select_from(AuditEvent)
                    .where(col(AuditEvent.action) == "poll.close")
                )
            ).one()
            doubled = (
                await session.exec(
                    select(col(OutboxMessage.chat_id), col(OutboxMessage.dedupe_key), func.count())
                    .group_by(col(OutboxMessage.chat_id), col(OutboxMessage.dedupe_key))
                    .having(func.count() > 1)
                )
            ).all()
        assert closes == 1, f"the vote was closed {closes} times"
        assert doubled == [], f"messages queued twice: {doubled[:3]}"

        # Delivered: each owner gets the preliminary result exactly once.
        clock.set(at + timedelta(minutes=1))
        async with BotApiEmulator(token=TOKEN, bot_username="RedPropertyBot") as emulator:
            for telegram_id in owners:
                emulator.add_user(first_name=f"业主{telegram_id}", user_id=telegram_id)
            bot = Bot(
                TOKEN,
                base_url=emulator.base_url,
                base_file_url=emulator.base_file_url,
                request=AiohttpRequest(connection_pool_size=128),
            )
            async with bot:
                await OutboxSender(runtime, bot, rate=5000, chat_interval=0).drain()
            results = {
                telegram_id: sum(
                    1
                    for m in emulator.chats[telegram_id].bot_messages
                    if "初步" in m.content or "结果" in m.content
                )
                for telegram_id in owners
                if telegram_id in emulator.chats
            }
            sample = [m.content[:80] for m in emulator.chats[owners[0]].bot_messages]
        assert len(results) == len(owners), f"{len(owners) - len(results)} owners never told"
        assert set(results.values()) == {1}, sample
    finally:
        await runtime.close()


# --- a conversation -------------------------------------------------------------------------
async def _spawn_bot(url: str, emulator: BotApiEmulator) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "bot.py"),
        "run",
        cwd=ROOT,
        env=_env(
            url,
            TELEGRAM_TOKEN=TOKEN,
            TELEGRAM_BASE_URL=emulator.base_url,
            TELEGRAM_BASE_FILE_URL=emulator.base_file_url,
        ),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


def _screen(user) -> list[tuple[int, str]]:
    return [(m.message_id, m.content) for m in user.bot_messages]


async def _answered(emulator: BotApiEmulator, user, action, timeout: float = 20) -> bool:
    """Do the action; True once the bot has answered it (a new message or an edited one)."""
    before = _screen(user)
    action()
    try:
        await emulator.wait_for(lambda: _screen(user) != before, timeout)
    except TimeoutError:
        return False
    return True


async def test_a_report_survives_kill_minus_nine_of_the_bot_half_way(world):
    await world.seed_roster()
    owner = world.user("王芳")
    await world.onboard(owner)
    await world.stop_bot()  # from now on the bot is a real process of its own
    emulator, user, url = world.emulator, owner.user, world.database_url
    rng = random.Random(SEED)
    bot = await _spawn_bot(url, emulator)
    try:
        assert await _answered(emulator, user, lambda: user.send("/report"), timeout=60)
        assert await _answered(emulator, user, lambda: user.press_button("清扫保洁"))
        assert await _answered(emulator, user, lambda: user.press_button("不紧急"))
        await asyncio.sleep(rng.uniform(0.0, 0.5))
        bot.send_signal(signal.SIGKILL)  # between two steps: the draft is in the database
        await bot.wait()
        bot = await _spawn_bot(url, emulator)
        assert await _answered(emulator, user, lambda: user.send("电梯口有垃圾"), timeout=60)
        assert "照片" in user.last_text  # the next step, not a new conversation
        assert await _answered(emulator, user, lambda: user.press_button("不加照片"))
        await asyncio.sleep(rng.uniform(0.0, 0.5))
        bot.send_signal(signal.SIGKILL)  # once more, a step later
        await bot.wait()
        bot = await _spawn_bot(url, emulator)
        assert await _answered(emulator, user, lambda: user.press_button("在我家"), timeout=60)
        await emulator.wait_for(
            lambda: "提交报事" in str(user.bot_messages[-1].inline_keyboard), 20
        )
        assert await _answered(emulator, user, lambda: user.press_button("提交报事"))
    finally:
        if bot.returncode is None:
            bot.send_signal(signal.SIGKILL)
            await bot.wait()
    async with world.session() as session:
        for _ in range(100):  # the ticket is committed before the bot says it is filed
            tickets = (await session.exec(select(Ticket))).all()
            if tickets:
                break
            await asyncio.sleep(0.2)
    assert [t.description for t in tickets] == ["电梯口有垃圾"]
