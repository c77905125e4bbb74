"""Mixed workload per process (issue #20): registered owners reporting (the whole /report
conversation, 7 updates), voting (/vote, the card, 同意: 3 updates) and opening /bills, next to
the stock PTB echo bot on the same emulator in the same run.

1. Throughput: every resident acts at once, each waiting for the answer before the next step
   (closed loop), for BENCH_SECONDS; the echo bot answers the same residents the same way.
2. Latency at BENCH_RATE updates/s paced (open loop): a step is due every 1/rate s whatever the
   bot does, and its latency counts from when it was due, so a bot that falls behind shows it
   (and one far behind stops being sent steps at twice the run's length: fewer requests).
3. `worker_scaling`: the same closed loop against 1, 2, 4 … worker processes (a hook: the caller
   starts the workers).

    python -m benchmarks mixed
    BENCH_DATABASE_URL=postgresql://... python -m benchmarks mixed
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import cast

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
from core.runtime import Runtime
from core.settings import Settings
from emulator import BotApiEmulator
from emulator.users import EmulatedUser
from handlers.app import build_application
from handlers.context import UnitOfWorkProcessor

USERS = int(os.environ.get("BENCH_USERS", "50"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "30"))
RATE = float(os.environ.get("BENCH_RATE", "100"))
PACED_SECONDS = float(os.environ.get("BENCH_PACED_SECONDS", "20"))
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
            update_id = user.press_button(text)
        if self.local:
            await asyncio.wait_for(self._done_event(update_id).wait(), 120)
            del self._done[update_id]
        deadline = time.perf_counter() + (ANSWER_WAIT if self.local else 120)
        while self.answers.get(chat, 0) == before and time.perf_counter() < deadline:
            waiting = self._answered.setdefault(chat, asyncio.Event())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(waiting.wait(), deadline - time.perf_counter())
        self.steps += 1
        if self.answers.get(chat, 0) == before:
            self.unanswered.append(f"{chat}: {text}")


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


@contextlib.asynccontextmanager
async def echo_bot(emulator: BotApiEmulator) -> AsyncIterator[ReplyClock]:
    """The stock python-telegram-bot 22 echo bot: default transport, default settings."""
    app: Application = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(emulator.base_url)
        .base_file_url(emulator.base_file_url)
        .build()
    )
    app.add_handler(MessageHandler(filters.ALL, _echo))
    await start_polling(app)
    clock = ReplyClock(emulator)
    try:
        yield clock
    finally:
        emulator.unsubscribe(clock._on_event)
        await stop_polling(app, emulator)


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

    def text(self, rate: float) -> str:
        def ratio(ours: float, echo: float) -> str:
            return f"{ours / echo:.2f}x" if echo else "n/a"

        p95 = self.ours_paced.percentile(95)
        return "\n".join(
            [
                f"[{self.backend}] mixed: {self.users} residents (report 7 steps, vote 3, "
                "/bills 1), one process",
                "throughput, all at once (closed loop):",
                "  " + self.echo.line(),
                "  " + self.ours.line(),
                f"  per process: {ratio(self.ours.throughput, self.echo.throughput)} of the echo "
                "bot (target >= 0.6x on PostgreSQL)",
                f"paced at {rate:.0f} updates/s (open loop; a run far behind stops sending "
                "at twice its length):",
                "  " + self.echo_paced.line(),
                "  " + self.ours_paced.line(),
                f"  p95 {p95 * 1000:.1f} ms (target <= 100 ms), "
                f"{ratio(p95, self.echo_paced.percentile(95))} of the echo bot's",
                f"steps answered {self.steps - len(self.unanswered)} of {self.steps}, "
                f"apologies {self.sorry}",
            ]
        )


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
        app = build_application(runtime)
        bot = Bot(emulator, flows(poll_id))
        bot.watch(cast(UnitOfWorkProcessor, app.update_processor))
        await start_polling(app)
        try:
            people = _people(users, seed)
            ours = await closed_loop("Red Property mixed", people, seconds, bot.act)
            ours_paced = await paced("Red Property mixed", people, rate, paced_seconds, bot.act)
        finally:
            await stop_polling(app, emulator)
            emulator.unsubscribe(bot._on_event)
    finally:
        await runtime.close()
    backend = "PostgreSQL" if "postgresql" in url else "SQLite"
    sorry = sum(1 for u in users for m in emulator.chats[u.id].bot_messages if SORRY in m.content)
    return Figures(
        backend, len(users), echo, ours, echo_paced, ours_paced, bot.steps, bot.unanswered, sorry
    )


async def worker_scaling(
    emulator: BotApiEmulator,
    users: list,
    poll_id: int,
    counts: Sequence[int],
    start_workers: Callable[[int], AbstractAsyncContextManager[object]],
    seconds: float = SECONDS,
) -> list[LoadResult]:
    """The closed-loop mixed workload against n worker processes for each n in `counts` (1, 2, 4
    on PostgreSQL). `start_workers(n)` runs n workers serving TOKEN against the emulator on a
    world seeded with `seed_world` (poll `poll_id`) until the block ends; an act is over when
    the resident has been answered."""
    results = []
    for count in counts:
        bot = Bot(emulator, flows(poll_id))
        try:
            async with start_workers(count):
                people = _people(users, 30 + count)
                label = f"mixed, {count} worker(s)"
                results.append(await closed_loop(label, people, seconds, bot.act))
        finally:
            emulator.unsubscribe(bot._on_event)
    return results


async def main() -> None:
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


if __name__ == "__main__":
    asyncio.run(main())
