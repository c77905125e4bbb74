"""Load benchmark: 50 owners use the real bot at once for 60 seconds, a mix of what residents do
(/start, /whoami, /help, /bills, a vote: /vote, open the card, tap 同意, and a /report: category,
urgency, /cancel), each waiting for the answer before the next step. Next to it, in the same run,
the stock PTB echo bot answering the same users (reference). Prints steps answered, throughput,
p50/p95 latency, "database is locked" seen, and the ratio to the reference.

    BENCH_USERS=50 BENCH_SECONDS=60 python -m benchmarks.load
    BENCH_DATABASE_URL=postgresql://... python -m benchmarks.load
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import cast

from benchmarks.common import (
    LoadResult,
    ReplyClock,
    database_url,
    fresh_schema,
    start_polling,
    stop_polling,
)
from benchmarks.help_start import TOKEN, _echo
from benchmarks.votes import open_poll, seed_compound
from core.clock import SystemClock
from core.db import unit_of_work
from core.runtime import Runtime
from core.settings import Settings
from emulator import BotApiEmulator
from handlers.app import build_application
from handlers.context import UnitOfWorkProcessor
from models import Poll
from services import billing

USERS = int(os.environ.get("BENCH_USERS", "50"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "60"))
SORRY = "抱歉"


class _Locked(logging.Handler):
    """Counts log records that mention SQLite's "database is locked"."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage() + (str(record.exc_info[1]) if record.exc_info else "")
        if "database is locked" in text:
            self.count += 1


@dataclass
class MixedLoad:
    result: LoadResult
    steps: int = 0
    unanswered: list[str] = field(default_factory=list)
    locked: int = 0
    sorry: int = 0


async def seed_world(runtime: Runtime, users: list) -> int:
    compound_id = await seed_compound(runtime, max(2 * len(users), 200), [u.id for u in users])
    poll_id = await open_poll(runtime, compound_id)
    now = runtime.clock.now()
    async with unit_of_work(runtime.sessions) as session:  # open now, for the load
        poll = await session.get(Poll, poll_id)
        assert poll is not None
        poll.closes_at = now + timedelta(days=7)
        today = now.astimezone(runtime.settings.tz).date()
        await billing.create_schedule(
            session,
            None,
            compound_id=compound_id,
            price_per_m2=Decimal("1.85"),
            period="monthly",
            due_day=15,
            starts_on=date(today.year, today.month, 1),
            now=now,
        )
    async with unit_of_work(runtime.sessions) as session:
        await billing.generate_bills(session, today=today, now=now)
    return poll_id


def _scripts(poll_id: int) -> list[list[tuple[str, str]]]:
    """What a resident does, as (kind, text) steps: "send" a message or "press" a button."""
    return [
        [("send", "/start")],
        [("send", "/whoami")],
        [("send", "/help")],
        [("send", "/bills")],
        [("send", "/vote"), ("press", f"#{poll_id}"), ("press", "同意")],
        [("send", "/report"), ("press", "清扫保洁"), ("press", "不紧急"), ("send", "/cancel")],
    ]


async def mixed_load(
    emulator: BotApiEmulator, users: list, url: str, seconds: float, seed: int = 22
) -> MixedLoad:
    """The real bot (SystemClock) under `users` acting at once for `seconds`."""
    settings = Settings(
        TELEGRAM_TOKEN=TOKEN,
        TELEGRAM_BASE_URL=emulator.base_url,
        TELEGRAM_BASE_FILE_URL=emulator.base_file_url,
        DATABASE_URL=url,
        _env_file=None,
    )
    runtime = Runtime.create(settings, SystemClock())
    poll_id = await seed_world(runtime, users)
    scripts = _scripts(poll_id)
    app = build_application(runtime)
    done: dict[int, asyncio.Event] = {}
    cast(UnitOfWorkProcessor, app.update_processor).on_done.append(
        lambda update_id: done.setdefault(update_id, asyncio.Event()).set()
    )
    answers: dict[int, int] = {}  # chat id -> bot messages, edits and button answers so far

    def on_event(event: dict) -> None:
        kind = event.get("type")
        from_bot = kind in ("edit", "callback_answer") or (
            kind == "message" and event.get("message", {}).get("from_bot")
        )
        if from_bot:
            answers[event["chat_id"]] = answers.get(event["chat_id"], 0) + 1

    emulator.subscribe(on_event)
    locked = _Locked()
    logging.getLogger().addHandler(locked)
    load = MixedLoad(LoadResult("Red Property mixed load", 0, 0.0, []))
    await start_polling(app)

    async def one(user, rng: random.Random, deadline: float) -> None:
        while time.perf_counter() < deadline:
            for kind, text in rng.choice(scripts):
                before = answers.get(user.id, 0)
                started = time.perf_counter()
                update_id = user.send(text) if kind == "send" else user.press_button(text)
                await asyncio.wait_for(done.setdefault(update_id, asyncio.Event()).wait(), 120)
                if answers.get(user.id, 0) == before:  # an edit may follow the update's end
                    await asyncio.sleep(0.05)
                load.result.latencies.append(time.perf_counter() - started)
                load.steps += 1
                if answers.get(user.id, 0) == before:
                    load.unanswered.append(f"{user.id}: {text}")

    started = time.perf_counter()
    try:
        await asyncio.gather(
            *(
                one(u, random.Random(seed * 1000 + i), started + seconds)
                for i, u in enumerate(users)
            )
        )
    finally:
        load.result.seconds = time.perf_counter() - started
        load.result.requests = len(load.result.latencies)
        await stop_polling(app, emulator)
        emulator.unsubscribe(on_event)
        logging.getLogger().removeHandler(locked)
        await runtime.close()
    load.locked = locked.count
    load.sorry = sum(
        1 for u in users for m in emulator.chats[u.id].bot_messages if SORRY in m.content
    )
    return load


async def echo_for(emulator: BotApiEmulator, users: list, seconds: float) -> LoadResult:
    """The stock PTB echo bot, every user sending /help and waiting for the echo, for `seconds`."""
    from telegram.ext import ApplicationBuilder, MessageHandler, filters

    app = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(emulator.base_url)
        .base_file_url(emulator.base_file_url)
        .build()
    )
    app.add_handler(MessageHandler(filters.ALL, _echo))
    await start_polling(app)
    clock = ReplyClock(emulator)
    latencies: list[float] = []

    async def one(user, deadline: float) -> None:
        while time.perf_counter() < deadline:
            latencies.append(await clock.ask(user, "/help"))

    started = time.perf_counter()
    try:
        await asyncio.gather(*(one(u, started + seconds) for u in users))
    finally:
        elapsed = time.perf_counter() - started
        emulator.unsubscribe(clock._on_event)
        await stop_polling(app, emulator)
    return LoadResult("PTB echo bot (reference)", len(latencies), elapsed, latencies)


async def main() -> None:
    url = database_url()
    backend = "PostgreSQL" if "postgresql" in url else "SQLite"
    await fresh_schema(url)
    async with BotApiEmulator(token=TOKEN, bot_username="BenchBot") as emulator:
        users = [
            emulator.add_user(first_name=f"业主{i}", language_code="zh-hans") for i in range(USERS)
        ]
        baseline = await echo_for(emulator, users, min(SECONDS, 15))
        load = await mixed_load(emulator, users, url, SECONDS)
    ours = load.result
    print(
        "\n".join(
            [
                f"[{backend}] load: {USERS} users for {SECONDS:.0f} s, mixed (/start, /whoami, "
                "/help, /bills, vote, /report steps)",
                baseline.line(),
                ours.line(),
                f"steps answered {load.steps - len(load.unanswered)} of {load.steps}, "
                f'"database is locked" {load.locked}, apologies {load.sorry}',
                f"ratio (ours / reference): throughput {ours.throughput / baseline.throughput:.2f}x, "
                f"p50 {ours.percentile(50) / baseline.percentile(50):.2f}x, "
                f"p95 {ours.percentile(95) / baseline.percentile(95):.2f}x",
            ]
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
