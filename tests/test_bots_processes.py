"""A city's bots in the split process modes, as real processes against the emulator:
`send-outbox --bot NAME` sends only that bot's messages with that bot's token, `receive --webhook
--all-bots` serves every bot on its own path with its own secret (a wrong secret is refused), and
`work --bot NAME` handles only that bot's updates."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from datetime import UTC, datetime

import aiohttp
import pytest
from sqlmodel import col, select

from core.db import create_engine, session_factory, unit_of_work
from emulator import BotApiEmulator
from handlers.webhook import SECRET_HEADER, bot_secret
from models import InboxUpdate, OutboxMessage
from tests.test_bots_running import TOKEN, WUCHANG_TOKEN, _seed
from tests.test_startup import _free_port
from tests.utils.paths import ROOT

SECRET = "city-webhook_secret"
WUCHANG = 654321
DEFAULT = 123456


def _env(emulator: BotApiEmulator, database_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "TELEGRAM_TOKEN": TOKEN,
        "BOT_WUCHANG": WUCHANG_TOKEN,
        "TELEGRAM_BASE_URL": emulator.base_url,
        "TELEGRAM_BASE_FILE_URL": emulator.base_file_url,
        "LOG_LEVEL": "WARNING",
        "DEFAULT_LANGUAGE": "en",
        **extra,
    }


async def _start(env: dict[str, str], *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "bot.py"),
        *args,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


async def _stop(process: asyncio.subprocess.Process) -> str:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    _, errors = await asyncio.wait_for(process.communicate(), 60)
    log = errors.decode(errors="replace")
    assert process.returncode == 0, log[-3000:]
    assert "Traceback" not in log, log[-3000:]
    return log


async def _until(condition, process: asyncio.subprocess.Process, what: str) -> None:
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline:
        if condition():
            return
        if process.returncode is not None:
            _, errors = await process.communicate()
            pytest.fail(f"{what}: the process exited\n{errors.decode()[-3000:]}")
        await asyncio.sleep(0.05)
    pytest.fail(f"{what}: timed out")


async def _queue(database_url: str, rows: list[tuple[int | None, int, str]]) -> None:
    engine = create_engine(database_url)
    now = datetime.now(UTC)
    try:
        async with unit_of_work(session_factory(engine)) as session:
            for bot_id, chat_id, text in rows:
                session.add(
                    OutboxMessage(
                        dedupe_key=f"test|{chat_id}",
                        purpose="test",
                        chat_id=chat_id,
                        payload={"text": text},
                        bot_id=bot_id,
                        not_before=now,
                        created_at=now,
                    )
                )
    finally:
        await engine.dispose()


async def _inbox(database_url: str) -> dict[int, list[str]]:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            found = await session.exec(
                select(col(InboxUpdate.bot_id), col(InboxUpdate.state)).order_by(
                    col(InboxUpdate.bot_id)
                )
            )
            states: dict[int, list[str]] = {}
            for bot_id, state in found.all():
                states.setdefault(bot_id, []).append(state)
            return states
    finally:
        await engine.dispose()


async def test_a_sender_of_one_bot_sends_only_that_bots_messages(database_url):
    await _seed(database_url)
    async with BotApiEmulator(token=TOKEN, bot_username="JianganBot") as default:
        wuchang = default.add_bot(WUCHANG_TOKEN, "WuchangBot")
        wang, qian = default.add_user("王芳"), wuchang.add_user("钱七")
        await _queue(
            database_url,
            [(None, wang.id, "给王芳"), (WUCHANG, qian.id, "给钱七")],
        )
        process = await _start(_env(default, database_url), "send-outbox", "--bot", "BOT_WUCHANG")
        try:
            await _until(lambda: bool(qian.bot_messages), process, "the Wuchang message")
            await asyncio.sleep(1.5)  # a sender that sent the other one would have by now
        finally:
            await _stop(process)
        assert [m.text for m in qian.bot_messages] == ["给钱七"]
        assert wang.bot_messages == []  # the default bot's row waits for its own sender
        assert default.stats["methods"].get("sendMessage", 0) == 0
        assert wuchang.stats["methods"].get("sendMessage") == 1


async def test_a_sender_for_a_bot_without_its_token_variable_exits_with_a_clear_error(
    database_url,
):
    await _seed(database_url)
    async with BotApiEmulator(token=TOKEN, bot_username="JianganBot") as default:
        env = _env(default, database_url)
        del env["BOT_WUCHANG"]
        for args in (("send-outbox", "--bot", "BOT_WUCHANG"), ("work", "--bot", "654321")):
            process = await _start(env, *args)
            _, errors = await asyncio.wait_for(process.communicate(), 60)
            assert process.returncode == 2
            assert "BOT_WUCHANG is not set" in errors.decode()
        process = await _start(env, "receive", "--bot", "@NoSuchBot")
        _, errors = await asyncio.wait_for(process.communicate(), 60)
        assert process.returncode == 2
        assert "No bot is recorded as @NoSuchBot." in errors.decode()


async def test_one_webhook_receiver_serves_each_bot_on_its_path_and_a_worker_one_bot(
    database_url,
):
    await _seed(database_url)
    port = _free_port()
    base = f"http://127.0.0.1:{port}/telegram"
    async with BotApiEmulator(token=TOKEN, bot_username="JianganBot") as default:
        wuchang = default.add_bot(WUCHANG_TOKEN, "WuchangBot")
        env = _env(
            default,
            database_url,
            WEBHOOK_URL=base,
            WEBHOOK_SECRET=SECRET,
            WEBHOOK_LISTEN="127.0.0.1",
            WEBHOOK_PORT=str(port),
        )
        receiver = await _start(env, "receive", "--webhook", "--all-bots")
        worker = await _start(env, "work", "--bot", "BOT_WUCHANG")
        try:
            await _until(
                lambda: default.webhook is not None and wuchang.webhook is not None,
                receiver,
                "both webhooks set",
            )
            assert default.webhook is not None and wuchang.webhook is not None
            assert default.webhook.url == base  # the default bot keeps its URL
            assert wuchang.webhook.url == f"{base}/{WUCHANG}"
            wang, qian = default.add_user("王芳"), wuchang.add_user("钱七")
            wang.send("/start")
            qian.send("/start")
            await _until(lambda: bool(qian.bot_messages), worker, "the Wuchang bot answers")
            statuses = {}
            update = b'{"update_id": 77, "message": {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}}}'
            async with aiohttp.ClientSession() as http:
                for name, path, secret in (
                    ("default secret on the Wuchang path", f"/{WUCHANG}", SECRET),
                    ("Wuchang secret on the default path", "", bot_secret(SECRET, WUCHANG)),
                    ("another bot's path", f"/{DEFAULT + 1}", bot_secret(SECRET, DEFAULT + 1)),
                ):
                    headers = {SECRET_HEADER: secret, "Content-Type": "application/json"}
                    async with http.post(base + path, data=update, headers=headers) as response:
                        statuses[name] = response.status
            await asyncio.sleep(1)  # a worker handling the default bot would have answered
        finally:
            receiver_log = await _stop(receiver)
            await _stop(worker)
    assert statuses == {
        "default secret on the Wuchang path": 403,
        "Wuchang secret on the default path": 403,
        "another bot's path": 404,
    }
    assert qian.bot_messages and wang.bot_messages == []
    inbox = await _inbox(database_url)
    assert inbox[WUCHANG] == ["done"]
    assert inbox[DEFAULT] == ["pending"]  # stored by the receiver, waiting for its worker
    assert "BODY" not in receiver_log


async def test_a_whole_bot_process_serves_a_recorded_bot_by_webhook(database_url):
    """`run --webhook --bot NAME`: receiver, worker and sender of a recorded bot on its path."""
    await _seed(database_url)
    port = _free_port()
    base = f"http://127.0.0.1:{port}/telegram"
    async with BotApiEmulator(token=TOKEN, bot_username="JianganBot") as default:
        wuchang = default.add_bot(WUCHANG_TOKEN, "WuchangBot")
        env = _env(
            default,
            database_url,
            WEBHOOK_URL=base,
            WEBHOOK_SECRET=SECRET,
            WEBHOOK_LISTEN="127.0.0.1",
            WEBHOOK_PORT=str(port),
        )
        process = await _start(env, "run", "--webhook", "--bot", "654321")
        try:
            await _until(lambda: wuchang.webhook is not None, process, "the webhook set")
            qian = wuchang.add_user("钱七")
            qian.send("/start")
            qian.send("/start")  # a double tap: two answers, nothing else
            await _until(lambda: len(qian.bot_messages) >= 2, process, "both answered")
        finally:
            await _stop(process)
        assert wuchang.webhook is not None
        assert wuchang.webhook.url == f"{base}/{WUCHANG}"
        assert default.webhook is None  # the default bot is not this process's
        assert default.stats["methods"].get("setWebhook", 0) == 0
