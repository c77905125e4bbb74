"""The inbox: an update is stored before Telegram is told it arrived, and handled exactly once, in
order per user, by worker processes that may be killed (kill -9) at any moment.

Real `bot.py` processes against the emulator: `run` (receiver and worker), `receive`, `work`.
The effects counted are the bot's own: a wrong invite code records one StartAttempt and one
processed update id per message, in the transaction that marks the inbox row done.
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text, update
from sqlmodel import col, func, select
from telegram.ext import Application, MessageHandler, filters

from core.clock import FakeClock
from core.db import create_engine, session_factory
from core.runtime import Runtime
from core.settings import Settings
from emulator import BotApiEmulator, EmulatedUser
from emulator import webhook as emulator_webhook
from handlers.app import build_application
from handlers.intake import PollingReceiver
from jobs.inbox import MAX_ATTEMPTS, InboxWorker, inbox_depth, poison_text
from models import InboxState, InboxUpdate, ProcessedUpdate, Resident, StartAttempt
from services.invites import issue_household_invites
from services.places import resolve_scope
from services.roster import import_roster
from tests.conftest import USE_POSTGRES
from tests.test_startup import TOKEN, BotProcess, _env, _free_port
from tests.utils.paths import SAMPLE_ROSTER

USERS = 50
STEPS = 4  # wrong codes per user: under the lockout (5), each one recorded
WRONG = "邀请码"


class Bots:
    """The bot processes of one test, each with its own log."""

    def __init__(self, tmp_path: Path, env: dict[str, str]) -> None:
        self.tmp_path = tmp_path
        self.env = env
        self.processes: list[BotProcess] = []

    async def start(self, *args: str) -> BotProcess:
        folder = self.tmp_path / f"p{len(self.processes)}"
        folder.mkdir()
        process = BotProcess(folder, self.env, *args)
        self.processes.append(process)
        await process.start()
        deadline = time.monotonic() + 60
        while "bot process ready" not in process.log:
            assert process.process is not None
            if process.process.returncode is not None or time.monotonic() > deadline:
                pytest.fail(f"bot.py {' '.join(args)} did not start:\n{process.log}")
            await asyncio.sleep(0.05)
        return process

    @staticmethod
    async def kill(process: BotProcess) -> None:
        assert process.process is not None
        process.process.send_signal(signal.SIGKILL)
        await process.process.wait()

    def kill_all(self) -> None:
        for process in self.processes:
            process.kill()

    def logs(self) -> str:
        return "\n".join(p.log for p in self.processes)


@asynccontextmanager
async def _database(url: str) -> AsyncIterator[Callable]:
    engine = create_engine(url)
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


async def _rows(sessions) -> list[InboxUpdate]:
    async with sessions() as session:
        return list((await session.exec(select(InboxUpdate))).all())


async def _done(sessions) -> int:
    async with sessions() as session:
        return (
            await session.exec(
                select(func.count())
                .select_from(InboxUpdate)
                .where(col(InboxUpdate.state) != InboxState.PENDING)
            )
        ).one()


async def _until(predicate, timeout: float, what: str, bots: Bots | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not await predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"{what}\n{bots.logs()[-4000:] if bots else ''}")
        await asyncio.sleep(0.02)


def _send_all(users: list[EmulatedUser], steps: int = STEPS) -> dict[int, list[int]]:
    """Every user sends `steps` wrong codes, interleaved with the others' (as a busy evening)."""
    sent: dict[int, list[int]] = defaultdict(list)
    for step in range(steps):
        for user in users:
            sent[user.id].append(user.send(f"/start WRONGCODE{step}"))
    return sent


async def _assert_once_and_in_order(sessions, sent: dict[int, list[int]]) -> None:
    """Each update applied exactly once (one attempt recorded, its inbox row done, no update id
    kept besides: the row is the record), and each user's handled in the order they were sent
    (the commits that marked them done follow that order)."""
    total = sum(len(ids) for ids in sent.values())
    async with sessions() as session:
        attempts = Counter((await session.exec(select(col(StartAttempt.telegram_id)))).all())
        processed = (await session.exec(select(func.count()).select_from(ProcessedUpdate))).one()
        rows = (await session.exec(select(InboxUpdate))).all()
    assert processed == 0
    assert len(rows) == total
    assert attempts == {user: len(ids) for user, ids in sent.items()}
    assert all(row.state == InboxState.DONE for row in rows), Counter(r.state for r in rows)
    by_lane: dict[int, list[InboxUpdate]] = defaultdict(list)
    for row in rows:
        by_lane[row.lane].append(row)
    for lane, ids in sent.items():
        handled = sorted(by_lane[lane], key=lambda r: r.done_at)  # type: ignore[arg-type,return-value]
        assert [r.update_id for r in handled] == ids, f"user {lane} handled out of order"


def _assert_replies(emulator: BotApiEmulator, users: list[EmulatedUser], steps: int) -> None:
    """Never two answers to one message: a reply goes out after the commit it announces (one
    killed between the two may be missing, never doubled)."""
    for user in users:
        texts = [m.content for m in user.bot_messages]
        assert len(texts) <= steps and all(WRONG in t for t in texts), texts
    assert sum(len(u.bot_messages) for u in users) >= len(users) * steps - 64


async def _kill_while_handling(
    bots: Bots, process: BotProcess, sessions, at: int, total: int
) -> int:
    await _until(lambda: _at_least(sessions, at), 60, "the worker handled nothing", bots)
    await bots.kill(process)
    done = await _done(sessions)
    assert done < total, "all handled before the kill: the test proved nothing"
    return done


async def _at_least(sessions, count: int) -> bool:
    return await _done(sessions) >= count


async def _all_done(sessions, total: int) -> bool:
    rows = await _rows(sessions)
    return len(rows) == total and all(r.state != InboxState.PENDING for r in rows)


async def test_fifty_users_kill_9_of_the_bot_every_update_once_and_in_order(database_url, tmp_path):
    async with BotApiEmulator(token=TOKEN, bot_username="InboxBot") as emulator:
        bots = Bots(tmp_path, _env(emulator, database_url, INBOX_LEASE_SECONDS="3"))
        try:
            first = await bots.start("run")
            users = [
                emulator.add_user(first_name=f"住户{i}", language_code="zh-hans")
                for i in range(USERS)
            ]
            async with _database(database_url) as sessions:
                sent = _send_all(users)
                total = USERS * STEPS
                await _kill_while_handling(bots, first, sessions, total // 4, total)
                await bots.start("run")
                await _until(lambda: _all_done(sessions, total), 90, "not all handled", bots)
                await _assert_once_and_in_order(sessions, sent)
        finally:
            bots.kill_all()
        _assert_replies(emulator, users, STEPS)


@pytest.mark.skipif(
    not USE_POSTGRES,
    reason="several worker processes need PostgreSQL (SQLite: one worker process, see README)",
)
async def test_two_worker_processes_one_killed_every_update_once_and_in_order(
    database_url, tmp_path
):
    async with BotApiEmulator(token=TOKEN, bot_username="InboxBot") as emulator:
        bots = Bots(tmp_path, _env(emulator, database_url, INBOX_LEASE_SECONDS="3"))
        try:
            await bots.start("receive")
            one = await bots.start("work")
            await bots.start("work")
            users = [
                emulator.add_user(first_name=f"住户{i}", language_code="zh-hans")
                for i in range(USERS)
            ]
            async with _database(database_url) as sessions:
                sent = _send_all(users)
                total = USERS * STEPS
                await _kill_while_handling(bots, one, sessions, total // 4, total)
                await bots.start("work")
                await _until(lambda: _all_done(sessions, total), 90, "not all handled", bots)
                await _assert_once_and_in_order(sessions, sent)
        finally:
            bots.kill_all()
        _assert_replies(emulator, users, STEPS)


@pytest.mark.skipif(not USE_POSTGRES, reason="LISTEN/NOTIFY: PostgreSQL only")
async def test_a_worker_in_another_process_answers_at_once_not_at_its_next_look(
    database_url, tmp_path
):
    """The receiver's commit wakes the worker process (PostgreSQL NOTIFY): the resident is
    answered in moments, although the idle worker would look again only in a minute."""
    async with BotApiEmulator(token=TOKEN, bot_username="InboxBot") as emulator:
        bots = Bots(tmp_path, _env(emulator, database_url, INBOX_POLL_SECONDS="60"))
        try:
            await bots.start("receive")
            await bots.start("work")
            await asyncio.sleep(1.0)  # the worker has looked once and found nothing
            user = emulator.add_user(first_name="住户", language_code="zh-hans")
            for step in range(3):
                user.send(f"/start WRONGCODE{step}")
                deadline = time.monotonic() + 20
                while len(user.bot_messages) <= step:
                    assert time.monotonic() < deadline, f"step {step} waited for the next look"
                    await asyncio.sleep(0.02)
            assert all(WRONG in m.content for m in user.bot_messages)
        finally:
            bots.kill_all()


async def test_a_receiver_without_workers_keeps_updates_pending(database_url, tmp_path):
    async with BotApiEmulator(token=TOKEN, bot_username="InboxBot") as emulator:
        bots = Bots(tmp_path, _env(emulator, database_url))
        try:
            await bots.start("receive")
            users = [
                emulator.add_user(first_name=f"住户{i}", language_code="zh-hans") for i in range(5)
            ]
            async with _database(database_url) as sessions:
                sent = _send_all(users, steps=3)
                await _until(lambda: _count_rows(sessions, 15), 30, "not received", bots)
                await asyncio.sleep(1.0)  # nothing handles them, however long we wait
                rows = await _rows(sessions)
                assert {r.state for r in rows} == {InboxState.PENDING}
                assert emulator.updates.waiting >= 0 and len(emulator.updates) == 0  # confirmed
                assert not any(u.bot_messages for u in users)
                async with sessions() as session:
                    depth, _age = await inbox_depth(session)
                assert depth == 15
                await bots.start("work")
                await _until(lambda: _all_done(sessions, 15), 60, "not handled", bots)
                await _assert_once_and_in_order(sessions, sent)
        finally:
            bots.kill_all()
        _assert_replies(emulator, users, 3)


async def _count_rows(sessions, count: int) -> bool:
    return len(await _rows(sessions)) >= count


@asynccontextmanager
async def _inbox_locked(database_url: str) -> AsyncIterator[None]:
    """Another transaction holds the inbox table: the receiver's insert cannot commit."""
    if USE_POSTGRES:
        engine = create_engine(database_url)
        try:
            async with engine.connect() as connection:
                transaction = await connection.begin()
                await connection.execute(text("LOCK TABLE inbox_update IN ACCESS EXCLUSIVE MODE"))
                yield
                await transaction.rollback()
        finally:
            await engine.dispose()
        return
    path = database_url.split(":///", 1)[1]
    lock = sqlite3.connect(path, isolation_level=None)
    try:
        lock.execute("BEGIN EXCLUSIVE")
        yield
        lock.execute("ROLLBACK")
    finally:
        lock.close()


async def test_webhook_answers_only_after_the_commit_so_a_kill_before_it_loses_nothing(
    database_url, tmp_path, monkeypatch
):
    # Telegram keeps retrying an unanswered update for hours; the emulator's default (about 30 s)
    # is shorter than a loaded machine may take to start the bot again.
    monkeypatch.setattr(emulator_webhook, "MAX_ATTEMPTS", 200)
    port = _free_port()
    async with BotApiEmulator(token=TOKEN, bot_username="InboxBot") as emulator:
        env = _env(
            emulator,
            database_url,
            WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram",
            WEBHOOK_SECRET="inbox-secret",
            WEBHOOK_LISTEN="127.0.0.1",
            WEBHOOK_PORT=str(port),
        )
        bots = Bots(tmp_path, env)
        try:
            receiver = await bots.start("receive", "--webhook")
            user = emulator.add_user(first_name="住户", language_code="zh-hans")
            async with _inbox_locked(database_url):
                update_id = user.send("/start WRONGCODE")
                await asyncio.sleep(1.5)  # the POST waits for the commit, the answer with it
                assert len(emulator.updates) == 1, "Telegram was told before the commit"
                await bots.kill(receiver)
            assert len(emulator.updates) == 1  # not confirmed: Telegram will send it again
            await bots.start("run", "--webhook")
            async with _database(database_url) as sessions:
                await _until(lambda: _all_done(sessions, 1), 60, "not redelivered", bots)
                await _assert_once_and_in_order(sessions, {user.id: [update_id]})
        finally:
            bots.kill_all()
        assert [WRONG in m.content for m in user.bot_messages] == [True]


# --- in one process: the workers' parts -------------------------------------------------------


class Worker:
    """A bot Application with an inbox worker, as in one `bot.py work` process."""

    def __init__(self, runtime: Runtime, app: Application) -> None:
        self.runtime = runtime
        self.app = app
        self.worker = InboxWorker(runtime, app)


@asynccontextmanager
async def _workers(
    database_url: str,
    clock: FakeClock,
    emulator: BotApiEmulator,
    count: int,
    *,
    receive: bool = True,
    in_hand: int = 16,
) -> AsyncIterator[list[Worker]]:
    workers: list[Worker] = []
    receiver: PollingReceiver | None = None
    try:
        for _ in range(count):
            settings = Settings(
                TELEGRAM_TOKEN=TOKEN,
                TELEGRAM_BASE_URL=emulator.base_url,
                TELEGRAM_BASE_FILE_URL=emulator.base_file_url,
                DATABASE_URL=database_url,
                INBOX_IN_HAND=in_hand,
                _env_file=None,
            )
            runtime = Runtime.create(settings, clock)
            app = build_application(runtime)
            await app.initialize()
            await app.start()
            workers.append(Worker(runtime, app))
        if receive:
            receiver = PollingReceiver(workers[0].runtime, workers[0].app.bot, None, timeout=1)
            receiver.start()
        yield workers
    finally:
        if receiver is not None:
            stopping = asyncio.create_task(receiver.stop())
            while not stopping.done():
                emulator.release_pollers()
                await asyncio.sleep(0.01)
        for worker in workers:
            await worker.app.stop()
            await worker.app.shutdown()
            await worker.runtime.close()


async def _stored(runtime: Runtime, update_id: int) -> None:
    async def there() -> bool:
        async with runtime.sessions() as session:
            return await session.get(InboxUpdate, (runtime_bot_id, update_id)) is not None

    runtime_bot_id = int(TOKEN.split(":")[0])
    await _until(there, 10, f"update {update_id} was not received")


async def _step(worker: Worker, update_id: int) -> None:
    """The update arrives in the inbox and this worker (only) handles it."""
    await _stored(worker.runtime, update_id)
    await worker.worker.drain()


async def test_a_worker_holds_at_most_inbox_in_hand_updates_and_takes_the_rest_as_they_finish(
    database_url, clock
):
    """INBOX_IN_HAND bounds what one worker process handles at once (its database connections):
    with Telegram slow to answer, five people's messages wait for the two slots, none is lost."""
    async with BotApiEmulator(token=TOKEN, bot_username="InboxBot") as emulator:
        async with _workers(database_url, clock, emulator, 1, in_hand=2) as (one,):
            people = [emulator.add_user(f"居民{i}") for i in range(5)]
            gate = emulator.hold_answers("sendMessage")
            sent = [person.send(WRONG) for person in people]
            for update_id in sent:
                await _stored(one.runtime, update_id)
            one.worker.start()
            try:
                await _until(lambda: _answers(people, 2), 10, "the first two were not answered")
                await asyncio.sleep(0.3)  # more time: no third one is taken meanwhile
                assert _answered(people, 2) and not _answered(people, 3)
                assert await _pending_and_held(one.runtime) == (5, 2)  # pending, claimed
                gate.set()
                await _until(lambda: _answers(people, 5), 10, "not every message answered")
                await _until(lambda: _all_done(one.runtime.sessions, 5), 10, "rows not done")
            finally:
                gate.set()
                await one.worker.stop()


def _answered(people: list[EmulatedUser], count: int) -> bool:
    return sum(1 for person in people if person.bot_messages) >= count


async def _answers(people: list[EmulatedUser], count: int) -> bool:
    return _answered(people, count)


async def _pending_and_held(runtime: Runtime) -> tuple[int, int]:
    """Rows not finished yet, and how many of them a worker holds."""
    pending = [row for row in await _rows(runtime.sessions) if row.state == InboxState.PENDING]
    return len(pending), sum(1 for row in pending if row.claim_token is not None)


async def test_a_conversation_alternating_between_two_workers_loses_no_step(database_url, clock):
    async with BotApiEmulator(token=TOKEN, bot_username="InboxBot") as emulator:
        async with _workers(database_url, clock, emulator, 2) as (one, two):
            owner = await _joined_owner(one, emulator, clock)
            await _step(one, owner.send("/setphone"))
            await _step(two, owner.send("hello"))  # the second step, in the other process
            assert "电话号码" in owner.last_text
            await _step(one, owner.send("13800138000"))
            assert "已保存" in owner.last_text
            async with one.runtime.sessions() as session:
                phones = (await session.exec(select(col(Resident.phone)))).all()
            assert phones == ["13800138000"]


def _first_button(user: EmulatedUser) -> str:
    message = user.last_bot_message
    assert message is not None and message.inline_keyboard
    return str(message.inline_keyboard[0][0]["callback_data"])


async def test_an_update_whose_handler_raises_is_failed_and_the_user_goes_on(database_url, clock):
    async def explode(_update: object, _context: object) -> None:
        raise RuntimeError("a bug")

    async with BotApiEmulator(token=TOKEN, bot_username="InboxBot") as emulator:
        async with _workers(database_url, clock, emulator, 1) as (one,):
            one.app.handlers[0].insert(0, MessageHandler(filters.Regex("^boom$"), explode))
            user = emulator.add_user(first_name="住户", language_code="zh-hans")
            poison = user.send("boom")
            after = user.send("/start WRONGCODE")
            await _stored(one.runtime, after)
            await one.worker.drain()
            rows = {r.update_id: r for r in await _rows(one.runtime.sessions)}
            assert rows[poison].state == InboxState.FAILED and rows[poison].attempts == 1
            assert rows[after].state == InboxState.DONE
            texts = [m.content for m in user.bot_messages]
            assert len(texts) == 2 and "出错" in texts[0] and WRONG in texts[1]


async def test_an_update_that_never_finishes_is_given_up_and_the_user_told(database_url, clock):
    """Its workers died on it MAX_ATTEMPTS times (a lease left behind each time)."""
    async with BotApiEmulator(token=TOKEN, bot_username="InboxBot") as emulator:
        async with _workers(database_url, clock, emulator, 1) as (one,):
            user = emulator.add_user(first_name="Li", language_code="en")
            poison = user.send("/help")
            after = user.send("/start WRONGCODE")
            await _stored(one.runtime, after)
            async with one.runtime.sessions() as session:
                await session.exec(
                    update(InboxUpdate)
                    .where(col(InboxUpdate.update_id) == poison)
                    .values(
                        attempts=MAX_ATTEMPTS,
                        claim_token="dead-worker",
                        lease_until=clock.now() - timedelta(seconds=1),
                    )
                )
                await session.commit()
            await one.worker.drain()
            rows = {r.update_id: r for r in await _rows(one.runtime.sessions)}
            assert rows[poison].state == InboxState.FAILED
            assert rows[after].state == InboxState.DONE
            texts = [m.content for m in user.bot_messages]
            assert texts[0] == poison_text("en") and len(texts) == 2


async def test_a_claimed_update_waits_for_its_lease_and_blocks_only_its_user(database_url, clock):
    """A live worker's claim is respected: the user's later updates wait behind it, other users
    go on; when the lease expires (the worker died) the update is taken over."""
    async with BotApiEmulator(token=TOKEN, bot_username="InboxBot") as emulator:
        async with _workers(database_url, clock, emulator, 1) as (one,):
            held, other = emulator.add_user(first_name="甲"), emulator.add_user(first_name="乙")
            first, second = held.send("/start A1"), held.send("/start A2")
            free = other.send("/start B1")
            await _stored(one.runtime, free)
            async with one.runtime.sessions() as session:
                await session.exec(
                    update(InboxUpdate)
                    .where(col(InboxUpdate.update_id) == first)
                    .values(
                        attempts=1,
                        claim_token="other-worker",
                        lease_until=clock.now() + timedelta(seconds=30),
                    )
                )
                await session.commit()
            await one.worker.drain()
            states = {r.update_id: r.state for r in await _rows(one.runtime.sessions)}
            assert states == {
                first: InboxState.PENDING,
                second: InboxState.PENDING,
                free: InboxState.DONE,
            }
            clock.advance(timedelta(seconds=31))
            await one.worker.drain()
            rows = sorted(await _rows(one.runtime.sessions), key=lambda r: r.update_id)
            assert [r.state for r in rows] == [InboxState.DONE] * 3
            assert rows[0].done_at is not None and rows[1].done_at is not None


async def test_a_worker_whose_lease_ran_out_rolls_back_and_the_taker_s_answer_stands(
    database_url, clock
):
    """Worker one claimed the update and stalled past its lease; worker two took it over and
    answered. When worker one gets to it, its effects roll back (the row was marked by the other's
    commit): the attempt counted once, one answer, no apology."""
    async with BotApiEmulator(token=TOKEN, bot_username="InboxBot") as emulator:
        async with _workers(database_url, clock, emulator, 2) as (one, two):
            user = emulator.add_user(first_name="住户", language_code="zh-hans")
            update_id = user.send("/start WRONGCODE")
            await _stored(one.runtime, update_id)
            (stalled,) = await one.worker.claim(1)
            clock.advance(timedelta(seconds=31))
            assert await two.worker.drain() == 1
            await one.worker.handle(stalled)
            async with one.runtime.sessions() as session:
                attempts = (await session.exec(select(func.count(col(StartAttempt.id))))).one()
            assert attempts == 1
            rows = await _rows(one.runtime.sessions)
            assert [(r.state, r.attempts) for r in rows] == [(InboxState.DONE, 2)]
            texts = [m.content for m in user.bot_messages]
            assert len(texts) == 1 and WRONG in texts[0]


async def test_the_next_step_waits_for_the_state_of_a_step_whose_reply_is_slow(database_url, clock):
    """A step commits before its reply (the user must not read what a failed commit loses) and
    writes the conversation's next state when the reply has gone. The resident sees the buttons
    at once, and presses before Telegram has answered the bot: another worker process must not
    take that press in the old state (it would call the button stale)."""
    async with BotApiEmulator(token=TOKEN, bot_username="InboxBot") as emulator:
        async with _workers(database_url, clock, emulator, 2) as (one, two):
            owner = await _joined_owner(one, emulator, clock)
            gate = emulator.hold_answers("sendMessage")
            report = owner.send("/report")
            await _stored(one.runtime, report)
            first = asyncio.create_task(one.worker.drain())
            await _until(lambda: _sees(owner, "清扫保洁"), 10, "no category question")
            press = owner.press_button("清扫保洁")
            await _stored(two.runtime, press)
            assert await two.worker.drain() == 0  # the report step is not over yet
            gate.set()
            handled = await first + await two.worker.drain()
            assert handled == 2  # the report, then the press, in the state the report left
            assert _button_texts(owner) >= {"不紧急"}, owner.last_text


async def _joined_owner(worker: Worker, emulator: BotApiEmulator, clock) -> EmulatedUser:
    async with worker.runtime.sessions() as session:
        assert (await import_roster(session, SAMPLE_ROSTER, now=clock.now())).ok
        scope = await resolve_scope(session, "compound:幸福家园")
        invites = await issue_household_invites(
            session, scope.id, now=clock.now(), ttl=timedelta(days=30)
        )
        await session.commit()
    code = next(i.code for i in invites if i.kind == "owner")
    owner = emulator.add_user(first_name="王芳", language_code="zh-hans")
    await _step(worker, owner.send(f"/start {code}"))
    welcome = owner.last_bot_message
    assert welcome is not None
    await _step(worker, owner.press(welcome.message_id, _first_button(owner)))
    return owner


def _button_texts(user: EmulatedUser) -> set[str]:
    message = user.last_bot_message
    keyboard = message.inline_keyboard if message is not None else None
    return {str(button["text"]) for row in keyboard or [] for button in row}


async def _sees(user: EmulatedUser, text: str) -> bool:
    return text in _button_texts(user)


@asynccontextmanager
async def _receiving(
    emulator: BotApiEmulator, worker: Worker, *, direct: bool
) -> AsyncIterator[PollingReceiver]:
    """A polling receiver for a while: handing each batch to `worker` in its own commit (as
    `bot.py run` does), or only storing it (as `bot.py receive`)."""
    receiver = PollingReceiver(
        worker.runtime,
        worker.app.bot,
        None,
        timeout=1,
        worker=worker.worker if direct else None,
    )
    receiver.start()
    try:
        yield receiver
    finally:
        stopping = asyncio.create_task(receiver.stop())
        while not stopping.done():
            emulator.release_pollers()
            await asyncio.sleep(0.01)


async def _row(runtime: Runtime, update_id: int) -> InboxUpdate:
    async with runtime.sessions() as session:
        row = await session.get(InboxUpdate, (int(TOKEN.split(":")[0]), update_id))
        assert row is not None
        return row


async def _finished(runtime: Runtime, update_id: int) -> InboxUpdate:
    """The update is stored and its row no longer pending (handled by whoever holds it)."""
    await _stored(runtime, update_id)

    async def done() -> bool:
        row = await _row(runtime, update_id)
        return row.state != InboxState.PENDING and row.lease_until is None

    await _until(done, 10, f"update {update_id} was not handled")
    return await _row(runtime, update_id)


async def test_bot_run_hands_its_updates_to_its_own_worker_and_rereads_a_conversation_moved_on_elsewhere(
    database_url, clock
):
    """`bot.py run`: the receiver stores each batch claimed by the worker of its own process and
    hands it over (no claim; the worker's claim loop does not even run here). A person with an
    update that another worker holds gets their next one stored unclaimed, to wait behind it in
    order; once that other worker has moved the conversation on, this process reads it again
    instead of trusting its memory."""
    async with BotApiEmulator(token=TOKEN, bot_username="InboxBot") as emulator:
        async with _workers(database_url, clock, emulator, 2, receive=False) as (one, two):
            async with _receiving(emulator, one, direct=False):
                owner = await _joined_owner(one, emulator, clock)
            async with _receiving(emulator, one, direct=True):
                asking = owner.send("/setphone")
                row = await _finished(one.runtime, asking)
                assert (row.state, row.attempts) == (InboxState.DONE, 1)
                assert "电话号码" in owner.last_text
            async with _receiving(emulator, one, direct=False):
                hello = owner.send("hello")
                await _stored(one.runtime, hello)
            (held,) = await two.worker.claim(1)  # another process holds the person's update
            assert held.update_id == hello
            async with _receiving(emulator, one, direct=True):
                phone = owner.send("13800138000")
                await _stored(one.runtime, phone)
                await asyncio.sleep(0.2)
                row = await _row(one.runtime, phone)
                assert (row.state, row.claim_token) == (InboxState.PENDING, None)
                await two.worker.handle(held)  # in order: the held update first, then the next
                assert await two.worker.drain() == 1
                assert "已保存" in owner.last_text
                # This process last saw the conversation waiting for a number; it is over now.
                late = owner.send("13900139000")
                row = await _finished(one.runtime, late)
                assert (row.state, row.attempts) == (InboxState.DONE, 1)
            async with one.runtime.sessions() as session:
                phones = (await session.exec(select(col(Resident.phone)))).all()
            assert phones == ["13800138000"]
