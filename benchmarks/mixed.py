"""Mixed workload per process (issue #20): registered owners reporting (the whole /report
conversation, 7 updates), voting (/vote, the card, 同意: 3 updates) and opening /bills, next to
the stock PTB echo bot on the same emulator in the same run.

1. Throughput: every resident acts at once, each waiting for the answer before the next step
   (closed loop), for BENCH_SECONDS; the echo bot answers the same residents the same way.
2. Latency at BENCH_RATE updates/s paced (open loop): a step is due every 1/rate s whatever the
   bot does, and its latency counts from when it was due, so a bot that falls behind shows it
   (and one far behind stops being sent steps at twice the run's length: fewer requests).
3. `worker_scaling` (PostgreSQL): the same closed loop through the inbox, against a real
   `bot.py receive` and 1, 2, 4 `bot.py work` processes (BENCH_WORKERS); a step is over when its
   inbox row is done and the resident has had an answer. Then the same series again with every
   Bot API call BENCH_ROUND_TRIP s away (Telegram's distance) and BENCH_IN_HAND updates in hand
   per worker, where a worker waits more than it works and more workers handle more.

    python -m benchmarks mixed
    BENCH_DATABASE_URL=postgresql://... python -m benchmarks mixed
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import sqlalchemy as sa
from telegram import Update
from telegram.ext import Application, ApplicationBuilder, MessageHandler, filters

from benchmarks.common import (
    LoadResult,
    ReplyClock,
    database_url,
    fresh_schema,
    start_polling,
    stop_polling,
)
from benchmarks.help_start import TOKEN, _echo
from benchmarks.load import SORRY, seed_world
from core.clock import SystemClock
from core.db import create_engine
from core.heap import settle_heap, tune_collector
from core.runtime import Runtime
from core.settings import Settings
from emulator import ApiLimits, BotApiEmulator
from emulator.users import EmulatedUser
from handlers.app import build_application
from handlers.context import UnitOfWorkProcessor

ROOT = Path(__file__).resolve().parents[1]
USERS = int(os.environ.get("BENCH_USERS", "50"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "30"))
RATE = float(os.environ.get("BENCH_RATE", "100"))
PACED_SECONDS = float(os.environ.get("BENCH_PACED_SECONDS", "20"))
# The worker scaling again with the network between the bot and Telegram (seconds per call;
# 0 = not run), each worker holding IN_HAND updates at once (INBOX_IN_HAND).
ROUND_TRIP = float(os.environ.get("BENCH_ROUND_TRIP", "0.1"))
IN_HAND = int(os.environ.get("BENCH_IN_HAND", "4"))
ANSWER_WAIT = 2.0  # an answer may follow the end of its update (an edit, the outbox)

Step = tuple[str, str]  # ("send", text) or ("press", button text)


def flows(poll_id: int) -> list[list[Step]]:
    """What a registered owner does: a whole report, a vote, a look at the bills."""
    return [
        [
            ("send", "/report"),
            ("press", "清扫保洁"),
            ("press", "不紧急"),
            ("send", "电梯口有垃圾，请清理"),
            ("press", "不加照片"),
            ("press", "在我家"),
            ("press", "提交报事"),
        ],
        [("send", "/vote"), ("press", f"#{poll_id}"), ("press", "同意")],
        [("send", "/bills")],
    ]


@dataclass
class Person:
    """A resident and where they are in what they are doing (kept from one phase to the next)."""

    user: EmulatedUser
    rng: random.Random
    steps: list[Step] = field(default_factory=list)

    def next_step(self, choices: list[list[Step]]) -> Step:
        if not self.steps:
            self.steps = list(self.rng.choice(choices))
        return self.steps.pop(0)


class Bot:
    """The real bot as the residents see it: an act is over when its update has been handled
    (when the processor runs here) and the resident has had an answer."""

    def __init__(self, emulator: BotApiEmulator, choices: list[list[Step]]) -> None:
        self.choices = choices
        self.answers: dict[int, int] = {}  # chat id -> bot messages, edits, button answers
        self._answered: dict[int, asyncio.Event] = {}
        self._done: dict[int, asyncio.Event] = {}
        self.local = False
        self.inbox: InboxWatch | None = None  # workers in other processes: their rows say
        self.steps = 0
        self.unanswered: list[str] = []
        emulator.subscribe(self._on_event)

    def watch(self, processor: UnitOfWorkProcessor) -> None:
        self.local = True
        processor.on_done.append(lambda update_id: self._done_event(update_id).set())

    def _done_event(self, update_id: int) -> asyncio.Event:
        return self._done.setdefault(update_id, asyncio.Event())

    def _on_event(self, event: dict) -> None:
        kind = event.get("type")
        if kind in ("edit", "callback_answer") or (
            kind == "message" and event.get("message", {}).get("from_bot")
        ):
            chat = event["chat_id"]
            self.answers[chat] = self.answers.get(chat, 0) + 1
            waiting = self._answered.pop(chat, None)
            if waiting is not None:
                waiting.set()

    async def act(self, person: Person) -> None:
        user = person.user
        chat = user.id
        kind, text = person.next_step(self.choices)
        before = self.answers.get(chat, 0)
        if kind == "send":
            update_id = user.send(text)
        else:
            pressed = await self._press(user, text)
            if pressed is None:
                self.steps += 1
                self.unanswered.append(f"{chat}: no button {text} after {user.last_text[:60]!r}")
                return
            update_id = pressed
        if self.local:
            await asyncio.wait_for(self._done_event(update_id).wait(), 120)
            del self._done[update_id]
        elif self.inbox is not None:
            await asyncio.wait_for(self.inbox.done(update_id), 120)
        deadline = time.perf_counter() + (ANSWER_WAIT if self.local or self.inbox else 120)
        while self.answers.get(chat, 0) == before and time.perf_counter() < deadline:
            waiting = self._answered.setdefault(chat, asyncio.Event())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(waiting.wait(), deadline - time.perf_counter())
        self.steps += 1
        if self.answers.get(chat, 0) == before:
            self.unanswered.append(f"{chat}: {text}")

    async def _press(self, user: EmulatedUser, text: str) -> int | None:
        """Press the button once the resident sees it (the previous step's reply may still be on
        its way when that step's update is done: a reply that follows a commit)."""
        deadline = time.perf_counter() + 30
        while True:
            try:
                return user.press_button(text)
            except LookupError:
                if time.perf_counter() > deadline:
                    return None
                waiting = self._answered.setdefault(user.id, asyncio.Event())
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(waiting.wait(), 0.05)


async def closed_loop(
    label: str, people: list[Person], seconds: float, act: Callable[[Person], Awaitable[object]]
) -> LoadResult:
    """Everyone at once, each waiting for the answer before the next step."""
    latencies: list[float] = []

    async def one(person: Person, deadline: float) -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            await act(person)
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(one(p, started + seconds) for p in people))
    return LoadResult(label, len(latencies), time.perf_counter() - started, latencies)


async def paced(
    label: str,
    people: list[Person],
    rate: float,
    seconds: float,
    act: Callable[[Person], Awaitable[object]],
) -> LoadResult:
    """Open loop: a step is due every 1/rate s, taken by a resident who is free; its latency
    counts from when it was due (a step that waited for a free resident shows that wait)."""
    idle: asyncio.Queue[Person] = asyncio.Queue()
    for person in people:
        idle.put_nowait(person)
    latencies: list[float] = []
    running: set[asyncio.Task[None]] = set()

    async def run(person: Person, due: float) -> None:
        try:
            await act(person)
            latencies.append(time.perf_counter() - due)
        finally:
            idle.put_nowait(person)

    started = time.perf_counter() + 0.05
    given_up = started + 2 * seconds  # a bot far behind the schedule: stop sending
    for index in range(int(rate * seconds)):
        due = started + index / rate
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        person = await idle.get()
        if time.perf_counter() > given_up:
            break
        task = asyncio.create_task(run(person, due))
        running.add(task)
        task.add_done_callback(running.discard)
    await asyncio.gather(*running)
    return LoadResult(label, len(latencies), time.perf_counter() - started, latencies)


def _builder(emulator: BotApiEmulator) -> ApplicationBuilder:
    return (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(emulator.base_url)
        .base_file_url(emulator.base_file_url)
    )


@contextlib.asynccontextmanager
async def _polling(emulator: BotApiEmulator, app: Application) -> AsyncIterator[ReplyClock]:
    """A reference bot polling the emulator, and the clock of its replies, for the block."""
    await start_polling(app)
    clock = ReplyClock(emulator)
    try:
        yield clock
    finally:
        emulator.unsubscribe(clock._on_event)
        await stop_polling(app, emulator)


@contextlib.asynccontextmanager
async def echo_bot(emulator: BotApiEmulator) -> AsyncIterator[ReplyClock]:
    """The stock python-telegram-bot 22 echo bot: default transport, default settings."""
    app: Application = _builder(emulator).build()
    app.add_handler(MessageHandler(filters.ALL, _echo))
    async with _polling(emulator, app) as clock:
        yield clock


# What the bot does per update of this mix, on average (counted in this benchmark on 7 December
# 2026): about 8 SQL statements and 2 Bot API calls (an answer and an edit, or a message).
FLOOR_STATEMENTS = 8
FLOOR_CALLS = 2


@contextlib.asynccontextmanager
async def floor_bot(emulator: BotApiEmulator, url: str) -> AsyncIterator[ReplyClock]:
    """The least a bot doing this mix's work could cost: per update FLOOR_STATEMENTS single-row
    reads by primary key (SQLAlchemy Core, built once, one transaction) and FLOOR_CALLS Bot API
    calls (a message and its edit), on the bot's own transport, with no rules, texts or state."""
    from handlers.transport import AiohttpRequest

    engine = create_engine(url)
    read = sa.text("SELECT id, telegram_id, display_name FROM resident WHERE telegram_id = :t")

    async def answer(update: object, _context: object) -> None:
        assert isinstance(update, Update) and update.effective_message is not None
        assert update.effective_user is not None
        async with engine.begin() as connection:
            for _ in range(FLOOR_STATEMENTS):
                (await connection.execute(read, {"t": update.effective_user.id})).first()
        sent = await update.effective_message.reply_text("…")
        for _ in range(FLOOR_CALLS - 1):
            await sent.edit_text("……")

    app: Application = (
        _builder(emulator)
        .request(AiohttpRequest(connection_pool_size=128))
        .concurrent_updates(64)
        .build()
    )
    app.add_handler(MessageHandler(filters.ALL, answer))
    try:
        async with _polling(emulator, app) as clock:
            yield clock
    finally:
        await engine.dispose()


@contextlib.asynccontextmanager
async def inbox_bot(runtime: Runtime, app: Application) -> AsyncIterator[None]:
    """The bot as `bot.py run` runs it: our receiver storing each batch in the inbox (claimed by
    this process's worker in the same commit) and the worker handling it, in one process."""
    from handlers.app import allowed_updates
    from handlers.intake import PollingReceiver
    from jobs.inbox import InboxWorker

    await app.initialize()
    await app.start()
    worker = InboxWorker(runtime, app)
    worker.start()
    receiver = PollingReceiver(runtime, app.bot, allowed_updates(app), timeout=10, worker=worker)
    receiver.start()
    settle_heap()  # as a bot process does once it has started (core/heap.py)
    try:
        yield
    finally:
        await receiver.stop()
        await worker.stop()
        await app.stop()
        await app.shutdown()


@dataclass
class Figures:
    backend: str
    users: int
    echo: LoadResult
    ours: LoadResult
    echo_paced: LoadResult
    ours_paced: LoadResult
    steps: int = 0
    unanswered: list[str] = field(default_factory=list)
    sorry: int = 0
    inbox: LoadResult | None = None  # the same bot through the inbox, as `bot.py run`
    inbox_paced: LoadResult | None = None
    floor: LoadResult | None = None  # the least this work costs (floor_bot)

    def text(self, rate: float) -> str:
        def ratio(ours: float, echo: float) -> str:
            return f"{ours / echo:.2f}x" if echo else "n/a"

        def per_process(result: LoadResult) -> str:
            return (
                f"  per process: {ratio(result.throughput, self.echo.throughput)} of the echo "
                "bot (target >= 0.6x on PostgreSQL)"
            )

        def p95(result: LoadResult) -> str:
            value = result.percentile(95)
            return (
                f"  p95 {value * 1000:.1f} ms (target <= 100 ms), "
                f"{ratio(value, self.echo_paced.percentile(95))} of the echo bot's"
            )

        lines = [
            f"[{self.backend}] mixed: {self.users} residents (report 7 steps, vote 3, "
            "/bills 1), one process",
            "throughput, all at once (closed loop):",
            "  " + self.echo.line(),
        ]
        if self.floor is not None:
            lines += [
                "  " + self.floor.line(),
                f"  the floor: {ratio(self.floor.throughput, self.echo.throughput)} of the echo "
                f"bot ({FLOOR_STATEMENTS} SQL reads and {FLOOR_CALLS} Bot API calls per update, "
                "nothing else)",
            ]
        if self.inbox is not None:
            lines += ["  " + self.inbox.line(), per_process(self.inbox)]
            if self.floor is not None:
                lines.append(
                    f"  {ratio(self.inbox.throughput, self.floor.throughput)} of the floor"
                )
        lines += ["  " + self.ours.line(), per_process(self.ours)]
        lines += [
            f"paced at {rate:.0f} updates/s (open loop; a run far behind stops sending "
            "at twice its length):",
            "  " + self.echo_paced.line(),
        ]
        if self.inbox_paced is not None:
            lines += ["  " + self.inbox_paced.line(), p95(self.inbox_paced)]
        lines += ["  " + self.ours_paced.line(), p95(self.ours_paced)]
        lines.append(
            f"steps answered {self.steps - len(self.unanswered)} of {self.steps}, "
            f"apologies {self.sorry}"
        )
        return "\n".join(lines)


def _people(users: list, seed: int) -> list[Person]:
    return [Person(u, random.Random(seed * 1000 + i)) for i, u in enumerate(users)]


async def measure(
    emulator: BotApiEmulator,
    users: list,
    url: str,
    *,
    seconds: float,
    rate: float,
    paced_seconds: float,
    seed: int = 20,
) -> Figures:
    """Echo bot, then the real bot (SystemClock) on a fresh world: closed loop, then paced."""
    async with echo_bot(emulator) as clock:
        people = _people(users, seed)
        ask = lambda p: clock.ask(p.user, "/help")  # noqa: E731
        echo = await closed_loop("PTB echo bot (reference)", people, seconds, ask)
        echo_paced = await paced("PTB echo bot (reference)", people, rate, paced_seconds, ask)
    settings = Settings(
        TELEGRAM_TOKEN=TOKEN,
        TELEGRAM_BASE_URL=emulator.base_url,
        TELEGRAM_BASE_FILE_URL=emulator.base_file_url,
        DATABASE_URL=url,
        _env_file=None,
    )
    runtime = Runtime.create(settings, SystemClock())
    try:
        poll_id = await seed_world(runtime, users)
        async with floor_bot(emulator, url) as clock:
            people = _people(users, seed)
            ask = lambda p: clock.ask(p.user, "/help")  # noqa: E731
            floor = await closed_loop("floor: 8 reads + 2 calls", people, seconds, ask)
        # As `bot.py run` serves: through the inbox (receiver and worker in this process).
        app = build_application(runtime)
        bot = Bot(emulator, flows(poll_id))
        bot.watch(cast(UnitOfWorkProcessor, app.update_processor))
        async with inbox_bot(runtime, app):
            try:
                people = _people(users, seed)
                label = "Red Property, inbox (bot.py run)"
                inbox = await closed_loop(label, people, seconds, bot.act)
                inbox_paced = await paced(label, people, rate, paced_seconds, bot.act)
            finally:
                emulator.unsubscribe(bot._on_event)
        steps, unanswered = bot.steps, list(bot.unanswered)
        await _fresh_conversations(url)
        # Fed by python-telegram-bot's own polling, without the inbox.
        app = build_application(runtime)
        bot = Bot(emulator, flows(poll_id))
        bot.watch(cast(UnitOfWorkProcessor, app.update_processor))
        await start_polling(app)
        try:
            people = _people(users, seed + 1)
            label = "Red Property, PTB polling"
            ours = await closed_loop(label, people, seconds, bot.act)
            ours_paced = await paced(label, people, rate, paced_seconds, bot.act)
        finally:
            await stop_polling(app, emulator)
            emulator.unsubscribe(bot._on_event)
        steps += bot.steps
        unanswered += bot.unanswered
    finally:
        await runtime.close()
    backend = "PostgreSQL" if "postgresql" in url else "SQLite"
    sorry = sum(1 for u in users for m in emulator.chats[u.id].bot_messages if SORRY in m.content)
    return Figures(
        backend,
        len(users),
        echo,
        ours,
        echo_paced,
        ours_paced,
        steps,
        unanswered,
        sorry,
        inbox,
        inbox_paced,
        floor,
    )


class InboxWatch:
    """When the updates handled by worker processes (not in this process) are finished: their
    inbox rows leave `pending`. One query every few milliseconds for all the waiting ids."""

    def __init__(self, url: str, bot_id: int, every: float = 0.005) -> None:
        self.engine = create_engine(url)
        self.bot_id = bot_id
        self.every = every
        self._waiting: dict[int, asyncio.Event] = {}
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> InboxWatch:
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.engine.dispose()

    async def done(self, update_id: int) -> None:
        event = self._waiting.setdefault(update_id, asyncio.Event())
        await event.wait()
        self._waiting.pop(update_id, None)

    async def _run(self) -> None:
        query = sa.text(
            "SELECT update_id FROM inbox_update WHERE bot_id = :bot AND state <> 'pending' "
            "AND update_id IN :ids"
        ).bindparams(sa.bindparam("ids", expanding=True))
        while True:
            await asyncio.sleep(self.every)
            ids = [i for i, e in self._waiting.items() if not e.is_set()]
            if not ids:
                continue
            async with self.engine.connect() as connection:
                done = (await connection.execute(query, {"bot": self.bot_id, "ids": ids})).all()
            for (update_id,) in done:
                self._waiting[update_id].set()


def _cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _postgres_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() == "postgres":
                    pids.append(int(entry.name))
    return pids


class CpuShare:
    """Where the machine's CPU went during a run: this process (simulated residents and the
    emulator), the receiver, the workers and PostgreSQL, in cores (1.0 = one core all along)."""

    def __init__(self, receiver: int, workers: list[int]) -> None:
        self.groups = {"residents + emulator": [os.getpid()], "receive": [receiver]}
        self.groups["work"] = workers
        self.before: dict[str, float] = {}
        self.started = 0.0
        self.elapsed = 0.0
        self.shares: dict[str, float] = {}
        self.text = ""

    def _totals(self) -> dict[str, float]:
        totals = {name: sum(_cpu(p) for p in pids) for name, pids in self.groups.items()}
        totals["PostgreSQL"] = sum(_cpu(p) for p in _postgres_pids())
        return totals

    def __enter__(self) -> CpuShare:
        self.before = self._totals()
        self.started = time.perf_counter()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.elapsed = elapsed = time.perf_counter() - self.started
        after = self._totals()
        self.shares = shares = {k: (after[k] - self.before.get(k, 0.0)) / elapsed for k in after}
        self.text = (
            "    CPU in cores: "
            + ", ".join(f"{k} {v:.2f}" for k, v in shares.items())
            + f"; total {sum(shares.values()):.2f} of {os.cpu_count()}"
        )


@contextlib.asynccontextmanager
async def bot_processes(
    emulator: BotApiEmulator, url: str, workers: int, logs: Path, in_hand: int | None = None
) -> AsyncIterator[list[int]]:
    """`bot.py receive` and `workers` × `bot.py work` against the emulator, until the block ends
    (SIGTERM: the updates in hand finish); `in_hand`: each worker's INBOX_IN_HAND."""
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    env.update(
        TELEGRAM_TOKEN=TOKEN,
        TELEGRAM_BASE_URL=emulator.base_url,
        TELEGRAM_BASE_FILE_URL=emulator.base_file_url,
        DATABASE_URL=url,
        LOG_LEVEL="INFO",  # "bot process ready" is an INFO line; nothing is logged per update
    )
    if in_hand is not None:
        env["INBOX_IN_HAND"] = str(in_hand)
    processes: list[tuple[asyncio.subprocess.Process, Path]] = []
    try:
        for index, mode in enumerate(["receive"] + ["work"] * workers):
            log_path = logs / f"{mode}-{index}.log"
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                str(ROOT / "bot.py"),
                mode,
                env=env,
                cwd=logs,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=log_path.open("wb"),
            )
            processes.append((process, log_path))
        deadline = time.monotonic() + 60
        for process, log_path in processes:
            while "bot process ready" not in log_path.read_text(errors="replace"):
                if process.returncode is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"bot.py did not start:\n{log_path.read_text()[-2000:]}")
                await asyncio.sleep(0.05)
        yield [process.pid for process, _ in processes]
    finally:
        for process, _ in processes:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        stopping = asyncio.gather(*(p.wait() for p, _ in processes))
        while not stopping.done():
            emulator.release_pollers()
            await asyncio.sleep(0.02)
        await stopping


async def _fresh_conversations(url: str) -> None:
    """Between two runs: nobody is in the middle of a step (a new run starts every flow anew)."""
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(sa.text("DELETE FROM conversation_state"))
            await connection.execute(sa.text("DELETE FROM draft"))
    finally:
        await engine.dispose()


async def worker_scaling(
    emulator: BotApiEmulator,
    users: list,
    url: str,
    counts: Sequence[int],
    seconds: float = SECONDS,
    in_hand: int | None = None,
) -> tuple[list[LoadResult], list[CpuShare], list[str]]:
    """The closed-loop mixed workload against a receiver and n `bot.py work` processes for each n
    in `counts` (PostgreSQL), on a world seeded here. An act is over when its inbox row is done
    and the resident has an answer; a press waits until the resident sees the button. Returns
    each run's result and CPU, and the steps left unanswered in all runs."""
    settings = Settings(TELEGRAM_TOKEN=TOKEN, DATABASE_URL=url, _env_file=None)
    runtime = Runtime.create(settings, SystemClock())
    try:
        poll_id = await seed_world(runtime, users)
    finally:
        await runtime.close()
    results: list[LoadResult] = []
    shares: list[CpuShare] = []
    unanswered: list[str] = []
    with tempfile.TemporaryDirectory() as logs:
        async with InboxWatch(url, int(TOKEN.split(":")[0])) as watch:
            for count in counts:
                await _fresh_conversations(url)
                bot = Bot(emulator, flows(poll_id))
                bot.inbox = watch
                try:
                    async with bot_processes(emulator, url, count, Path(logs), in_hand) as pids:
                        people = _people(users, 30 + count)
                        label = f"mixed, receive + {count} work"
                        with CpuShare(pids[0], pids[1:]) as cpu:
                            results.append(await closed_loop(label, people, seconds, bot.act))
                        shares.append(cpu)
                finally:
                    emulator.unsubscribe(bot._on_event)
                unanswered += bot.unanswered
                if bot.unanswered:
                    print(
                        f"  ({count} workers: {len(bot.unanswered)} steps unanswered, e.g. "
                        f"{bot.unanswered[:3]})"
                    )
                    print(_log_trouble(Path(logs)))
    return results, shares, unanswered


async def main() -> None:
    tune_collector()  # the bot processes' collector settings, for the echo bot's run too
    url = database_url()
    await fresh_schema(url)
    async with BotApiEmulator(token=TOKEN, bot_username="BenchBot") as emulator:
        users = [
            emulator.add_user(first_name=f"业主{i}", language_code="zh-hans") for i in range(USERS)
        ]
        figures = await measure(
            emulator, users, url, seconds=SECONDS, rate=RATE, paced_seconds=PACED_SECONDS
        )
        print(figures.text(RATE))
        workers = os.environ.get("BENCH_WORKERS", "1,2,4")
        counts = [int(n) for n in workers.split(",") if n.strip()]
        if "postgresql" in url and counts:
            await fresh_schema(url)
            scaling, shares, _ = await worker_scaling(emulator, users, url, counts)
            print(scaling_text(scaling, figures.echo, shares))
            if ROUND_TRIP > 0:  # the same with Telegram's distance: a worker's slots limit it
                emulator.set_limits(ApiLimits(round_trip=ROUND_TRIP))
                await fresh_schema(url)
                scaling, shares, _ = await worker_scaling(
                    emulator, users, url, counts, in_hand=IN_HAND
                )
                emulator.set_limits(ApiLimits())
                title = (
                    f"with a {ROUND_TRIP * 1000:.0f} ms round trip to the Bot API on every call "
                    f"and INBOX_IN_HAND={IN_HAND}"
                )
                print(scaling_text(scaling, figures.echo, shares, title))


def _log_trouble(logs: Path) -> str:
    """The warnings and errors of the bot processes (the last few of each)."""
    lines = []
    for log_file in sorted(logs.glob("*.log")):
        trouble = [
            line
            for line in log_file.read_text(errors="replace").splitlines()
            if "WARNING" in line or "ERROR" in line
        ]
        if trouble:
            lines.append(f"  {log_file.name}: " + "\n    ".join(trouble[-5:]))
    return "\n".join(lines)


def scaling_text(
    results: list[LoadResult], echo: LoadResult, shares: Sequence[CpuShare] = (), title: str = ""
) -> str:
    lines = [
        "[PostgreSQL] mixed through the inbox: `bot.py receive` + n `bot.py work` processes"
        + (f", {title}" if title else "")
    ]
    for index, result in enumerate(results):
        lines.append(f"  {result.line()}  ({result.throughput / echo.throughput:.2f}x echo)")
        if index < len(shares):
            cpu = shares[index]
            lines.append(cpu.text)
            if result.requests:
                per_update = cpu.shares.get("work", 0.0) * cpu.elapsed / result.requests
                lines.append(f"    workers' CPU per update: {per_update * 1000:.1f} ms")
    if results:
        base = results[0].throughput
        lines.append(
            "  scaling: "
            + ", ".join(
                f"{r.label.rsplit('+ ', 1)[1]}: {r.throughput / base:.2f}x" for r in results
            )
        )
    return "\n".join(lines)


if __name__ == "__main__":
    asyncio.run(main())
