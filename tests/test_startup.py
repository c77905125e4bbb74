"""`bot.py run` as a real process against the emulator, in polling and webhook mode: it answers a
person, registers its commands and the update kinds it handles, keeps a quiet log, serves a
webhook that refuses what is not an update (4xx, never a 500, never the body in the log), and
stops on SIGTERM or SIGINT with status 0 and no ERROR in its log. `bot.py demo`'s first screen."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import sys
import time
from pathlib import Path

import aiohttp
import pytest
from telegram.error import TimedOut
from telegram.ext import ApplicationBuilder

from core.logging import FinalGetUpdatesFilter
from emulator import BotApiEmulator
from handlers.transport import AiohttpRequest
from tests.utils.paths import ROOT

TOKEN = "123456:PROCESS-token"
HANDLED = ["callback_query", "message", "pre_checkout_query"]
SECRET = "process-secret_1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(emulator: BotApiEmulator, database_url: str, **extra: str) -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "SYSTEMROOT", "TMPDIR")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(
        TELEGRAM_TOKEN=TOKEN,
        TELEGRAM_BASE_URL=emulator.base_url,
        TELEGRAM_BASE_FILE_URL=emulator.base_file_url,
        DATABASE_URL=database_url,
        **extra,
    )
    return env


class BotProcess:
    """`python bot.py <args>` with its stderr (the log) in a file."""

    def __init__(self, tmp_path: Path, env: dict[str, str], *args: str) -> None:
        self.log_path = tmp_path / "bot.log"
        self.env = env
        self.args = args
        self.cwd = tmp_path
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(ROOT / "bot.py"),
            *self.args,
            cwd=self.cwd,
            env=self.env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=self.log_path.open("wb"),
        )

    @property
    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    async def stop(self, sig: signal.Signals) -> int:
        assert self.process is not None
        self.process.send_signal(sig)
        return await asyncio.wait_for(self.process.wait(), 30)

    def kill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.kill()


async def _ready(emulator: BotApiEmulator, process: BotProcess, webhook: bool) -> None:
    """Until the bot has registered its commands and receives updates (or the process died)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.process is not None
        if process.process.returncode is not None:
            pytest.fail(f"the bot exited with {process.process.returncode}:\n{process.log}")
        receiving = emulator.webhook is not None if webhook else emulator.updates.waiting > 0
        if emulator.commands and receiving:
            return
        await asyncio.sleep(0.05)
    pytest.fail(f"the bot did not start:\n{process.log}")


def _assert_clean_log(log: str) -> None:
    assert "Traceback" not in log, log
    assert " ERROR " not in log and " CRITICAL " not in log, log
    assert "PTBUserWarning" not in log, log
    assert "apscheduler" not in log, log  # its INFO lines are held back at the default level


async def _visitor_gets_the_welcome(emulator: BotApiEmulator) -> None:
    visitor = emulator.add_user(first_name="访客", language_code="zh-hans")
    visitor.send("/start")
    await visitor.wait_for_bot_message(timeout=20)
    assert "邀请链接" in visitor.last_text


def _assert_registered(emulator: BotApiEmulator) -> None:
    """setMyCommands was called and the emulator (which checks them as Telegram does) took every
    list; getUpdates / setWebhook asked for exactly the kinds of update the bot handles."""
    assert emulator.stats["methods"].get("setMyCommands", 0) >= 1
    assert not [r for r in emulator.refused if r[0] in ("setMyCommands", "setWebhook")]
    assert all(commands for commands in emulator.commands.values())
    assert sorted(emulator.updates.allowed_updates or []) == HANDLED


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
async def test_polling_process_answers_and_stops_cleanly(database_url, tmp_path, sig) -> None:
    async with BotApiEmulator(token=TOKEN, bot_username="PropertyProcessBot") as emulator:
        process = BotProcess(tmp_path, _env(emulator, database_url), "run")
        await process.start()
        try:
            await _ready(emulator, process, webhook=False)
            await _visitor_gets_the_welcome(emulator)
            _assert_registered(emulator)
            code = await process.stop(sig)
        finally:
            process.kill()
    assert code == 0, process.log
    _assert_clean_log(process.log)


async def test_run_serves_the_office_console_on_its_port(database_url, tmp_path) -> None:
    """`bot.py run` also serves the console (CONSOLE_PORT); its sign-in page answers in the
    default language."""
    import aiohttp

    from tests.utils.console import free_port

    port = free_port()
    async with BotApiEmulator(token=TOKEN, bot_username="PropertyProcessBot") as emulator:
        process = BotProcess(tmp_path, _env(emulator, database_url, CONSOLE_PORT=str(port)), "run")
        await process.start()
        try:
            await _ready(emulator, process, webhook=False)
            async with aiohttp.ClientSession() as http:
                for _ in range(100):
                    try:
                        async with http.get(f"http://127.0.0.1:{port}/signin?t=nothing") as got:
                            status, body = got.status, await got.text()
                        break
                    except aiohttp.ClientConnectionError:
                        await asyncio.sleep(0.1)
            assert status == 401 and "/console" in body and "登录链接无效" in body
            code = await process.stop(signal.SIGTERM)
        finally:
            process.kill()
    assert code == 0, process.log
    _assert_clean_log(process.log)


async def test_a_console_port_another_process_holds_is_a_warning(tmp_path, caplog) -> None:
    import socket

    from console.app import start_console
    from core.runtime import Runtime
    from core.settings import Settings

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = Settings(
            DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}",
            CONSOLE_PORT=port,
            _env_file=None,
        )
        runtime = Runtime.create(settings)
        try:
            assert await start_console(runtime) is None
        finally:
            await runtime.close()
    assert "console port" in caplog.text and str(port) in caplog.text


NOT_UPDATES: list[tuple[str, bytes]] = [
    ("malformed JSON", b'{"update_id": 5, "message": {"text": "BODY-TEXT-1"'),
    ("invalid UTF-8", b'{"update_id": 6, "text": "\xff\xfe BODY-TEXT-2"}'),
    ("deep nesting", b"[" * 10_000 + b"]" * 10_000),
    ("deep nesting in an object", b'{"update_id": 7, "x": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"),
    ("not an object", b'["BODY-TEXT-3"]'),
    ("no update id", b'{"message": {"text": "BODY-TEXT-4"}}'),
    ("an update id that is text", b'{"update_id": "7", "message": {"text": "BODY-TEXT-5"}}'),
    # an update's shape, but its message lacks what every message has (chat, date…)
    ("a broken update", b'{"update_id": 8, "message": {"text": "BODY-TEXT-6"}}'),
    ("an empty body", b""),
]


async def test_webhook_process_refuses_what_is_not_an_update(database_url, tmp_path) -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    async with BotApiEmulator(token=TOKEN, bot_username="PropertyProcessBot") as emulator:
        env = _env(
            emulator,
            database_url,
            WEBHOOK_URL=url,
            WEBHOOK_SECRET=SECRET,
            WEBHOOK_LISTEN="127.0.0.1",
            WEBHOOK_PORT=str(port),
        )
        process = BotProcess(tmp_path, env, "run", "--webhook")
        await process.start()
        try:
            await _ready(emulator, process, webhook=True)
            await _visitor_gets_the_welcome(emulator)
            _assert_registered(emulator)
            assert emulator.webhook is not None and emulator.webhook.url == url
            statuses = {}
            async with aiohttp.ClientSession() as http:
                headers = {
                    "X-Telegram-Bot-Api-Secret-Token": SECRET,
                    "Content-Type": "application/json",
                }
                for name, body in NOT_UPDATES:
                    async with http.post(url, data=body, headers=headers) as response:
                        statuses[name] = response.status
                big = json.dumps({"update_id": 9, "pad": "BODY-TEXT-7" * 200_000}).encode()
                async with http.post(url, data=big, headers=headers) as response:
                    statuses["oversized"] = response.status
                wrong = {**headers, "X-Telegram-Bot-Api-Secret-Token": SECRET[:-1] + "2"}
                async with http.post(url, data=b'{"update_id": 10}', headers=wrong) as response:
                    statuses["wrong secret"] = response.status
            code = await process.stop(signal.SIGTERM)
        finally:
            process.kill()
    assert statuses == {
        **{name: 400 for name, _ in NOT_UPDATES},
        "oversized": 413,
        "wrong secret": 403,
    }
    assert code == 0, process.log
    log = process.log
    _assert_clean_log(log)
    assert "BODY-TEXT" not in log  # no body, nor any part of one, reaches the log
    assert "refused a body that is not an update" in log


async def test_a_bad_webhook_setting_stops_the_process_with_one_line(
    database_url, tmp_path
) -> None:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "TELEGRAM_TOKEN": TOKEN,
        "DATABASE_URL": database_url,
        "WEBHOOK_URL": "https://bot.example.com:8080/telegram",
        "WEBHOOK_SECRET": SECRET,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "bot.py"),
        "run",
        "--webhook",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2
    assert err.decode().strip() == (
        "Configuration error: WEBHOOK_URL: port 8080 is not one Telegram calls webhooks on; "
        "use 443, 80, 88 or 8443"
    )
    assert out == b""


async def test_the_demos_first_screen_is_its_address(tmp_path) -> None:
    """`make run` without a token: the address comes first, without library chatter."""
    port = _free_port()
    keep = ("PATH", "HOME", "LANG", "TMPDIR")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env["DEMO_PORT"] = str(port)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "bot.py"),
        "start",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert process.stdout is not None
    address = f"http://127.0.0.1:{port}"
    lines: list[str] = []
    try:
        async with asyncio.timeout(90):
            while not any(address in line and "演示" in line for line in lines):
                line = await process.stdout.readline()
                if not line:
                    break
                lines.append(line.decode())
        screen = "".join(lines)
        assert address in screen, screen
        # the first line says what a person needs: the demo, where to open it, how to stop
        assert lines[0] == f"红色物业演示已启动：请在浏览器中打开 {address}（按 Ctrl+C 停止）。\n"
        process.send_signal(signal.SIGINT)
        rest, _ = await asyncio.wait_for(process.communicate(), 30)
    finally:
        if process.returncode is None:
            process.kill()
    assert process.returncode == 0
    _assert_clean_log(screen + rest.decode())
    # the demo recorded its bot: invite cards printed from its database open the demo's bot
    env["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'data' / 'demo.db'}"
    env["DEFAULT_LANGUAGE"] = "en"
    invites = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "bot.py"),
        *("admin", "invites", "幸福家园", "--home", "1-1-101", "--out", str(tmp_path)),
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(invites.communicate(), 60)
    assert invites.returncode == 0, out.decode()
    (table,) = tmp_path.glob("invites-*.csv")
    assert "https://t.me/RedPropertyDemoBot?start=" in table.read_text(encoding="utf-8-sig")


class _LastPollTimesOut(AiohttpRequest):
    """getUpdates as on a slow network at stop: the final short call (timeout 0) times out."""

    async def do_request(self, url, method, request_data=None, *args, **kwargs):
        params = request_data.parameters if request_data else {}
        if url.endswith("/getUpdates") and params.get("timeout") == 0:
            raise TimedOut("Timed out")
        return await super().do_request(url, method, request_data, *args, **kwargs)


async def test_a_failing_last_get_updates_at_stop_is_one_warning(caplog) -> None:
    """PTB confirms the last offset with one more getUpdates at stop and logs its failure as an
    ERROR with a traceback; the stop is clean all the same, so the log says it in one line."""
    caplog.set_level(logging.DEBUG)
    updater_log = logging.getLogger("telegram.ext.Updater")
    quiet = FinalGetUpdatesFilter()
    updater_log.addFilter(quiet)
    try:
        async with BotApiEmulator(token=TOKEN) as emulator:
            app = (
                ApplicationBuilder()
                .token(TOKEN)
                .base_url(emulator.base_url)
                .get_updates_request(_LastPollTimesOut())
                .build()
            )
            async with app:
                await app.start()
                assert app.updater is not None
                await app.updater.start_polling(poll_interval=0, timeout=1)
                stopping = asyncio.create_task(app.updater.stop())
                while not stopping.done():
                    emulator.release_pollers()
                    await asyncio.sleep(0.01)
                await stopping
                await app.stop()
    finally:
        updater_log.removeFilter(quiet)
    records = [r for r in caplog.records if r.name == "telegram.ext.Updater"]
    assert not [r for r in records if r.levelno >= logging.ERROR or r.exc_info]
    (warning,) = [r for r in records if r.levelno == logging.WARNING]
    assert warning.getMessage() == (
        "the last getUpdates at stop failed (TimedOut: Timed out); updates may be fetched again"
    )
