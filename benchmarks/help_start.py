"""Foundation benchmark: 500 users send /help and /start to the real bot, next to a bare PTB echo
bot on the same emulator in the same run. Prints throughput, p50/p95 and the ratio."""

from __future__ import annotations

import asyncio
import os
import sys

from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

from benchmarks.common import (
    LoadResult,
    database_url,
    fresh_schema,
    report,
    run_users,
    start_polling,
    stop_polling,
)
from core.clock import SystemClock
from core.runtime import Runtime
from core.settings import Settings
from emulator import BotApiEmulator
from handlers.app import build_application

USERS = int(os.environ.get("BENCH_USERS", "500"))
TOKEN = "123456:BENCH"


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None
    await message.reply_text(message.text or "")


async def echo_baseline(emulator: BotApiEmulator, users: list) -> LoadResult:
    """A stock python-telegram-bot 22 echo bot: default httpx transport, default settings."""
    app = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(emulator.base_url)
        .base_file_url(emulator.base_file_url)
        .build()
    )
    app.add_handler(MessageHandler(filters.ALL, _echo))
    await start_polling(app)
    try:
        return await run_users(emulator, "PTB echo bot (reference)", users, ["/help", "/start"])
    finally:
        await stop_polling(app, emulator)


async def red_property(emulator: BotApiEmulator, users: list, url: str) -> LoadResult:
    settings = Settings(
        TELEGRAM_TOKEN=TOKEN,
        TELEGRAM_BASE_URL=emulator.base_url,
        TELEGRAM_BASE_FILE_URL=emulator.base_file_url,
        DATABASE_URL=url,
        _env_file=None,
    )
    runtime = Runtime.create(settings, SystemClock())
    app = build_application(runtime)
    await start_polling(app)
    try:
        return await run_users(emulator, "Red Property bot", users, ["/help", "/start"])
    finally:
        await stop_polling(app, emulator)
        await runtime.close()


async def main() -> None:
    url = database_url()
    await fresh_schema(url)
    async with BotApiEmulator(token=TOKEN, bot_username="BenchBot") as emulator:
        users = [
            emulator.add_user(first_name=f"用户{i}", language_code="zh-hans") for i in range(USERS)
        ]
        baseline = await echo_baseline(emulator, users)
        ours = await red_property(emulator, users, url)
    backend = "PostgreSQL" if "postgresql" in url else "SQLite"
    print(
        report(f"help_start: {USERS} users x (/help, /start), database {backend}", baseline, ours)
    )


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(0)
