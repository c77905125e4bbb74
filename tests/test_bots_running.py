"""A city's bots as an administrator runs them: recorded on the command line, invites printed
with each compound's bot, and one `bot.py run --all-bots` process serving both tokens."""

from __future__ import annotations

import asyncio
import csv
import os
import signal
import sys
from pathlib import Path

from core.runtime import Runtime
from core.settings import Settings, get_settings
from emulator import BotApiEmulator
from models import BotAccount
from services.roster import import_roster
from tests.utils.paths import ROOT, SAMPLE_ROSTER

TOKEN = "123456:CITY-token"
WUCHANG_TOKEN = "654321:WUCHANG-token"
WUCHANG_ROSTER = (
    "city,district,sub_district,community,compound,building,unit,room,registered_area,grid,owner_name\n"
    "武汉市,武昌区,中南路街道,丁字桥社区,丁香园,1栋,1单元,101,80.00,第一网格,钱七\n"
)


def _cli(monkeypatch, database_url: str, *argv: str) -> int:
    import bot

    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("DEFAULT_LANGUAGE", "en")
    get_settings.cache_clear()
    try:
        return bot.main(list(argv))
    finally:
        get_settings.cache_clear()


def _links(path: Path) -> set[str]:
    with path.open(encoding="utf-8-sig") as file:
        return {row["Link"].split("?")[0] for row in csv.DictReader(file)}


async def test_bots_are_recorded_and_invites_carry_each_compounds_bot(
    database_url, monkeypatch, tmp_path, capsys
):
    roster = tmp_path / "wuchang.csv"
    roster.write_text(WUCHANG_ROSTER, encoding="utf-8")
    out = tmp_path / "out"

    def run() -> list[int]:
        admin = ("admin", "bot")
        return [
            _cli(monkeypatch, database_url, "admin", "import-roster", str(SAMPLE_ROSTER)),
            _cli(monkeypatch, database_url, "admin", "import-roster", str(roster)),
            _cli(monkeypatch, database_url, *admin, "add", "BOT_WUCHANG", "--title", "武昌区"),
            _cli(monkeypatch, database_url, *admin, "serve", "@WuchangBot", "district:武昌区"),
            _cli(monkeypatch, database_url, *admin, "list"),
            _cli(monkeypatch, database_url, "admin", "invites", "丁香园", "--out", str(out)),
            _cli(monkeypatch, database_url, "admin", "invites", "幸福家园", "--out", str(out)),
            _cli(monkeypatch, database_url, "admin", "invite-role", "liaison", "compound:丁香园"),
        ]

    async with BotApiEmulator(token=TOKEN, bot_username="JianganBot") as emulator:
        emulator.add_bot(WUCHANG_TOKEN, "WuchangBot")
        monkeypatch.setenv("TELEGRAM_TOKEN", TOKEN)
        monkeypatch.setenv("BOT_WUCHANG", WUCHANG_TOKEN)
        monkeypatch.setenv("TELEGRAM_BASE_URL", emulator.base_url)
        assert await asyncio.to_thread(run) == [0] * 8
    printed = capsys.readouterr().out
    assert "Bot @WuchangBot recorded." in printed
    assert "654321\t@WuchangBot\t武昌区\tBOT_WUCHANG\tdistrict:武昌区" in printed
    assert "https://t.me/WuchangBot?start=" in printed  # the role invite of 丁香园
    files = sorted(out.glob("invites-*.csv"))
    assert [_links(f) for f in files] == [
        {"https://t.me/JianganBot"},  # 幸福家园 (imported first): the default bot
        {"https://t.me/WuchangBot"},  # 丁香园: the Wuchang bot
    ]


async def test_a_recorded_bot_without_its_token_variable_is_a_configuration_error(
    database_url, monkeypatch, capsys
):
    monkeypatch.setenv("BOT_WUCHANG", WUCHANG_TOKEN)
    monkeypatch.setenv("TELEGRAM_BASE_URL", "http://127.0.0.1:9/bot")  # no Telegram here

    def run() -> list[int]:
        added = _cli(monkeypatch, database_url, "admin", "bot", "add", "BOT_WUCHANG")
        monkeypatch.delenv("BOT_WUCHANG")
        monkeypatch.setenv("TELEGRAM_TOKEN", TOKEN)
        return [added, _cli(monkeypatch, database_url, "run", "--all-bots")]

    assert await asyncio.to_thread(run) == [0, 2]
    assert "BOT_WUCHANG is not set" in capsys.readouterr().err


async def _seed(database_url: str) -> None:
    from services import bots
    from services.places import resolve_scope

    runtime = Runtime.create(Settings(DATABASE_URL=database_url, _env_file=None))
    try:
        async with runtime.sessions() as session:
            result = await import_roster(session, SAMPLE_ROSTER, now=runtime.clock.now())
            assert result.ok
            await session.commit()
        async with runtime.sessions() as session:
            bot = await bots.add_bot(
                session, "BOT_WUCHANG", WUCHANG_TOKEN, "江岸区", now=runtime.clock.now()
            )
            await bots.serve_place(session, bot, await resolve_scope(session, "district:江岸区"))
            await session.commit()
    finally:
        await runtime.close()


async def _usernames(database_url: str) -> dict[int, str | None]:
    runtime = Runtime.create(Settings(DATABASE_URL=database_url, _env_file=None))
    try:
        async with runtime.sessions() as session:
            account = await session.get(BotAccount, 654321)
            from services.bot_identity import recorded_username

            assert account is not None
            return {654321: account.username, 123456: await recorded_username(runtime)}
    finally:
        await runtime.close()


async def test_one_process_serves_every_bot(database_url):
    await _seed(database_url)
    async with BotApiEmulator(token=TOKEN, bot_username="JianganBot") as default:
        wuchang = default.add_bot(WUCHANG_TOKEN, "WuchangBot")
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "TELEGRAM_TOKEN": TOKEN,
            "BOT_WUCHANG": WUCHANG_TOKEN,
            "TELEGRAM_BASE_URL": default.base_url,
            "TELEGRAM_BASE_FILE_URL": default.base_file_url,
            "LOG_LEVEL": "WARNING",
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(ROOT / "bot.py"),
            "run",
            "--all-bots",
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            for emulator in (default, wuchang):
                await emulator.wait_polling(timeout=60)
            people = [default.add_user("王芳"), wuchang.add_user("钱七")]
            for person in people:
                person.send("/start")
            for emulator, person in zip((default, wuchang), people, strict=True):
                await emulator.wait_for(lambda p=person: bool(p.bot_messages), timeout=30)
        finally:
            process.send_signal(signal.SIGTERM)
            _, errors = await asyncio.wait_for(process.communicate(), 60)
        assert process.returncode == 0, errors.decode()[-2000:]
    assert await _usernames(database_url) == {654321: "WuchangBot", 123456: "JianganBot"}
