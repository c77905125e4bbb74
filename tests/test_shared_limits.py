"""Two sender processes of one bot share Telegram's limits through Redis: together they keep the
global rate and the per-chat spacing, one killed (kill -9) and restarted loses nothing, and what
they send is formatted (HTML) like the bot's own messages."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from core.clock import SystemClock
from core.db import unit_of_work
from core.runtime import Runtime
from core.settings import Settings
from emulator import ApiLimits, BotApiEmulator
from services import outbox
from services.outbox import Outgoing
from tests.utils.shared_redis import REDIS_URL, redis_keys

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "778:SHARED"
LIMIT = 30  # the emulator refuses (429) more than 30 sends a second in all, as Telegram does
RATE = 25  # what the senders aim at together (OUTBOX_RATE), under the limit
BATCH = 10
LEASE = 3  # seconds before a killed sender's claims are taken back
BUSY, PER_BUSY, SINGLES = 10, 4, 300
PER_BLOCK = 15  # other chats between two messages to a busy chat: about a second at RATE
# Claimed and not yet recorded when a sender dies: its batch, its prefetch, its last batch.
IN_FLIGHT_BOUND = 3 * BATCH


@pytest.fixture
async def redis_prefix() -> AsyncIterator[str]:
    async with redis_keys() as prefix:
        yield prefix


async def _spawn(url: str, emulator: BotApiEmulator, prefix: str, log: Path) -> Any:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "TELEGRAM_TOKEN": TOKEN,
        "TELEGRAM_BASE_URL": emulator.base_url,
        "TELEGRAM_BASE_FILE_URL": emulator.base_file_url,
        "OUTBOX_RATE": str(RATE),
        "OUTBOX_CHAT_INTERVAL": "1.0",
        "OUTBOX_LEASE_SECONDS": str(LEASE),
        "OUTBOX_BATCH": str(BATCH),
        "REDIS_URL": REDIS_URL,
        "REDIS_PREFIX": prefix,
        "LOG_LEVEL": "WARNING",
    }
    with log.open("ab") as stderr:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            str(ROOT / "bot.py"),
            "send-outbox",
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=stderr,
        )


def _queue(chats: list[int]) -> list[tuple[str, Outgoing]]:
    """Blocks of one message to each busy chat and a few others, so that the next message to a
    busy chat is due about a second later, usually in a batch the other sender claimed; then a
    long tail of one message per chat."""
    busy, singles = chats[:BUSY], chats[BUSY:]
    per_block = PER_BLOCK
    queue: list[tuple[str, Outgoing]] = []

    def add(purpose: str, chat: int) -> None:
        text = f"<b>停水通知</b> {purpose} 第{len(queue)}条"
        queue.append((purpose, Outgoing(chat_id=chat, payload={"text": text})))

    for block in range(PER_BUSY):
        for chat in busy:
            add(f"notice:{block}", chat)
        for chat in singles[block * per_block : (block + 1) * per_block]:
            add("notice:single", chat)
    for chat in singles[PER_BUSY * per_block :]:
        add("notice:single", chat)
    return queue


def _max_in_a_second(times: list[float]) -> int:
    """The most sends in any sliding one-second window."""
    most, first = 0, 0
    for last, moment in enumerate(times):
        while moment - times[first] >= 1.0:
            first += 1
        most = max(most, last - first + 1)
    return most


async def test_two_senders_share_the_limits_and_survive_a_kill(
    database_url, redis_prefix, tmp_path
):
    limits = ApiLimits(global_rate=LIMIT, per_chat_rate=1, per_chat_burst=1)
    async with BotApiEmulator(token=TOKEN, bot_username="SharedBot", limits=limits) as emulator:
        users = [emulator.add_user(first_name=f"住户{i}") for i in range(BUSY + SINGLES)]
        queue = _queue([u.id for u in users])
        arrivals: list[float] = []
        per_chat: defaultdict[int, list[float]] = defaultdict(list)
        texts: Counter[str] = Counter()
        unformatted: list[dict[str, Any]] = []

        def on_event(event: dict[str, Any]) -> None:
            if event["type"] != "message" or not event["message"]["from_bot"]:
                return
            message, now = event["message"], time.monotonic()
            arrivals.append(now)
            per_chat[event["chat_id"]].append(now)
            texts[message["text"]] += 1
            bold = any(e["type"] == "bold" for e in message["entities"] or [])
            if message["parse_mode"] != "HTML" or not bold or "<b>" in message["text"]:
                unformatted.append(message)

        emulator.subscribe(on_event)
        runtime = Runtime.create(Settings(DATABASE_URL=database_url, _env_file=None), SystemClock())
        async with unit_of_work(runtime.sessions) as session:
            for purpose, message in queue:
                await outbox.enqueue(
                    session, purpose, [message], now=runtime.clock.now(), quiet=None
                )
        await runtime.close()

        log = tmp_path / "senders.log"
        senders = [await _spawn(database_url, emulator, redis_prefix, log) for _ in range(2)]
        try:
            await emulator.wait_for(lambda: len(texts) >= len(queue) * 0.3, 60)
            senders[0].send_signal(signal.SIGKILL)
            await senders[0].wait()
            killed_after = len(texts)
            senders[0] = await _spawn(database_url, emulator, redis_prefix, log)
            try:
                await emulator.wait_for(lambda: len(texts) >= len(queue), 60)
            except TimeoutError:
                pass
            await asyncio.sleep(1.0)  # let any duplicate still in flight arrive
        finally:
            for process in senders:
                if process.returncode is None:
                    process.kill()
                    await process.wait()

        errors = log.read_text(errors="replace")
        assert killed_after < len(queue)
        assert len(texts) == len(queue), (
            f"{len(queue) - len(texts)} lost; senders: {errors[-2000:]}"
        )
        duplicates = sum(texts.values()) - len(texts)
        assert duplicates <= IN_FLIGHT_BOUND
        assert emulator.stats["429"] == 0, "the senders together went over a limit"
        assert _max_in_a_second(sorted(arrivals)) <= LIMIT
        gaps = [b - a for times in per_chat.values() for a, b in pairwise(times)]
        assert len(gaps) >= BUSY * (PER_BUSY - 1)
        assert min(gaps) >= 0.95, "two messages to one chat within its second"
        assert not unformatted, f"sent without its formatting: {unformatted[:2]}"
        seconds = arrivals[-1] - arrivals[0]
        print(
            f"\n{sum(texts.values())} sends in {seconds:.1f}s = {sum(texts.values()) / seconds:.1f}/s "
            f"(limit {LIMIT}/s, aim {RATE}/s); max {_max_in_a_second(sorted(arrivals))} in 1 s; "
            f"429s {emulator.stats['429']}; duplicates {duplicates}; killed after {killed_after}; "
            f"min per-chat gap {min(gaps):.3f}s"
        )
