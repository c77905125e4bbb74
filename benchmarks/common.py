"""Shared pieces: a fresh database, timing of replies through the emulator, percentiles."""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import models
from core.db import create_engine
from core.settings import Settings
from emulator import BotApiEmulator


def database_url() -> str:
    """BENCH_DATABASE_URL (e.g. PostgreSQL), else a fresh SQLite file."""
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if url:
        return Settings(DATABASE_URL=url, _env_file=None).database_url  # postgresql:// → asyncpg
    return f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"


async def fresh_schema(url: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(models.metadata.drop_all)
        await connection.run_sync(models.metadata.create_all)
    await engine.dispose()


@dataclass
class LoadResult:
    label: str
    requests: int
    seconds: float
    latencies: list[float]

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]

    def line(self) -> str:
        return (
            f"{self.label:<28} {self.requests:>6} requests in {self.seconds:6.2f} s = "
            f"{self.throughput:7.1f}/s   p50 {self.percentile(50) * 1000:6.1f} ms   "
            f"p95 {self.percentile(95) * 1000:6.1f} ms"
        )


class ReplyClock:
    """Measures, per chat, the time from a user's message to the bot's next reply."""

    def __init__(self, emulator: BotApiEmulator) -> None:
        self.waiters: dict[int, asyncio.Future[float]] = {}
        emulator.subscribe(self._on_event)

    def _on_event(self, event: dict) -> None:
        if event.get("type") != "message" or not event.get("message", {}).get("from_bot"):
            return
        future = self.waiters.pop(event["chat_id"], None)
        if future is not None and not future.done():
            future.set_result(time.perf_counter())

    async def ask(self, user, text: str, timeout: float = 60) -> float:
        future = asyncio.get_running_loop().create_future()
        self.waiters[user.id] = future
        started = time.perf_counter()
        user.send(text)
        return await asyncio.wait_for(future, timeout) - started


async def run_users(
    emulator: BotApiEmulator, label: str, users: list, script: list[str]
) -> LoadResult:
    clock = ReplyClock(emulator)
    latencies: list[float] = []

    async def one(user) -> None:
        for text in script:
            latencies.append(await clock.ask(user, text))

    started = time.perf_counter()
    await asyncio.gather(*(one(u) for u in users))
    elapsed = time.perf_counter() - started
    emulator.unsubscribe(clock._on_event)
    return LoadResult(label, len(latencies), elapsed, latencies)


def median(values: list[float]) -> float:
    return statistics.median(values)


async def start_polling(app) -> None:
    await app.initialize()
    await app.start()
    await app.updater.start_polling(poll_interval=0, timeout=10)


async def stop_polling(app, emulator: BotApiEmulator) -> None:
    """Stop a polling bot at once: answer its waiting long poll instead of waiting it out."""
    stopping = asyncio.create_task(app.updater.stop())
    while not stopping.done():
        emulator.release_pollers()
        await asyncio.sleep(0.01)
    await stopping
    await app.stop()
    await app.shutdown()


def report(title: str, baseline: LoadResult, ours: LoadResult) -> str:
    """The figures of both runs and the ratio of ours to the reference."""
    return "\n".join(
        [
            title,
            baseline.line(),
            ours.line(),
            f"ratio (ours / reference): throughput {ours.throughput / baseline.throughput:.2f}x, "
            f"p95 {ours.percentile(95) / baseline.percentile(95):.2f}x",
        ]
    )
