"""Notices benchmark: a broadcast through the outbox to many recipients against the emulator's
flood limits, measured as delivered; then the same with a kill -9 of the sender half-way.

    BENCH_RECIPIENTS=10000 BENCH_RATE=300 python -m benchmarks.broadcast
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.common import database_url, fresh_schema
from core.clock import SystemClock
from core.db import unit_of_work
from core.runtime import Runtime
from core.settings import Settings
from emulator import ApiLimits, BotApiEmulator
from services import outbox
from services.outbox import Outgoing

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "777:BROADCAST"


@dataclass
class BroadcastResult:
    recipients: int
    delivered: int  # recipients who got the notice at least once
    messages: int  # messages that arrived, duplicates included
    seconds: float  # first to last delivery
    rate_limited: int  # 429s the emulator answered
    killed_at: int | None = None
    per_chat: dict[int, int] = field(default_factory=dict)

    @property
    def lost(self) -> int:
        return self.recipients - self.delivered

    @property
    def duplicates(self) -> int:
        return self.messages - self.delivered

    @property
    def rate(self) -> float:
        return self.messages / self.seconds if self.seconds else 0.0


async def _spawn_sender(
    url: str, emulator: BotApiEmulator, rate: float, lease: int, batch: int
) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "TELEGRAM_TOKEN": TOKEN,
        "TELEGRAM_BASE_URL": emulator.base_url,
        "TELEGRAM_BASE_FILE_URL": emulator.base_file_url,
        "OUTBOX_RATE": str(rate),
        "OUTBOX_CHAT_INTERVAL": "1.0",
        "OUTBOX_LEASE_SECONDS": str(lease),
        "OUTBOX_BATCH": str(batch),
        "LOG_LEVEL": "WARNING",
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "bot.py"),
        "send-outbox",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def broadcast(
    url: str,
    recipients: int,
    *,
    limit: float,
    kill_at: float | list[float] | None = None,
    lease: int = 2,
    batch: int = 100,
    timeout: float = 600,
) -> BroadcastResult:
    """Queue one notice for `recipients` chats and let a separate sender process deliver it;
    `kill_at`: the share(s) of recipients reached at which the sender is killed (kill -9) and
    started again."""
    limits = ApiLimits(global_rate=limit, per_chat_rate=1, per_chat_burst=1)
    async with BotApiEmulator(token=TOKEN, bot_username="BroadcastBot", limits=limits) as emulator:
        users = [emulator.add_user(first_name=f"住户{i}") for i in range(recipients)]
        per_chat: dict[int, int] = {}
        times: list[float] = []

        def on_event(event: dict) -> None:
            if event["type"] == "message" and event["message"]["from_bot"]:
                per_chat[event["chat_id"]] = per_chat.get(event["chat_id"], 0) + 1
                times.append(time.perf_counter())

        emulator.subscribe(on_event)
        settings = Settings(DATABASE_URL=url, _env_file=None)
        runtime = Runtime.create(settings, SystemClock())
        async with unit_of_work(runtime.sessions) as session:
            await outbox.enqueue(
                session,
                "notice:broadcast",
                [
                    Outgoing(chat_id=u.id, payload={"text": f"<b>停水通知</b> 第{i}户"})
                    for i, u in enumerate(users)
                ],
                now=runtime.clock.now(),
                quiet=None,
            )
        await runtime.close()
        process = await _spawn_sender(url, emulator, limit, lease, batch)
        killed_at = None
        try:
            kills = [kill_at] if isinstance(kill_at, float | int) else list(kill_at or [])
            for share in kills:
                await emulator.wait_for(lambda: len(per_chat) >= recipients * share, timeout)  # noqa: B023
                process.send_signal(signal.SIGKILL)
                await process.wait()
                killed_at = len(per_chat) if killed_at is None else killed_at
                process = await _spawn_sender(url, emulator, limit, lease, batch)
            with contextlib.suppress(TimeoutError):
                await emulator.wait_for(lambda: len(per_chat) >= recipients, timeout)
            await asyncio.sleep(min(2.0, lease + 0.5))  # let any duplicate in flight arrive
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
        seconds = (times[-1] - times[0]) if len(times) > 1 else 0.0
        return BroadcastResult(
            recipients=recipients,
            delivered=len(per_chat),
            messages=sum(per_chat.values()),
            seconds=seconds,
            rate_limited=emulator.stats["429"],
            killed_at=killed_at,
            per_chat=per_chat,
        )


def describe(result: BroadcastResult, limit: float, label: str) -> str:
    return (
        f"{label:<22} {result.recipients} recipients: delivered {result.delivered}, lost {result.lost}, "
        f"duplicates {result.duplicates}, {result.rate:.1f} msg/s = {result.rate / limit:.3f} x limit "
        f"({limit:.0f}/s), 429s {result.rate_limited}"
        + (f", killed after {result.killed_at}" if result.killed_at is not None else "")
    )


async def main() -> None:
    recipients = int(os.environ.get("BENCH_RECIPIENTS", "10000"))
    limit = float(os.environ.get("BENCH_RATE", "300"))
    url = database_url()
    backend = "PostgreSQL" if "postgresql" in url else "SQLite"
    print(
        f"broadcast: {recipients} recipients, emulator limit {limit:.0f}/s global and 1/s per chat, {backend}"
    )
    await fresh_schema(url)
    clean = await broadcast(url, recipients, limit=limit)
    print(describe(clean, limit, "uninterrupted"))
    await fresh_schema(url)
    crashed = await broadcast(url, recipients, limit=limit, kill_at=0.5)
    print(describe(crashed, limit, "kill -9 at 50 %"))


if __name__ == "__main__":
    asyncio.run(main())
