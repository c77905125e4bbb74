"""Tickets benchmark: 200 residents each complete a whole /report conversation at the same time
(7 updates each: command, 5 buttons or texts, submit), next to the PTB echo bot in the same run.

Latency is from a user's action to the moment the bot has finished handling it."""

from __future__ import annotations

import asyncio
import os
import time
from datetime import timedelta
from typing import cast

from benchmarks.common import (
    LoadResult,
    database_url,
    fresh_schema,
    report,
    start_polling,
    stop_polling,
)
from benchmarks.help_start import TOKEN, echo_baseline
from core.clock import SystemClock
from core.db import unit_of_work
from core.runtime import Runtime
from core.settings import Settings
from emulator import BotApiEmulator
from handlers.app import build_application
from handlers.context import UnitOfWorkProcessor
from models import MembershipKind
from services.invites import issue_household_invites, redeem_invite
from services.places import resolve_scope
from services.roster import import_roster
from tests.utils.paths import SAMPLE_ROSTER

USERS = int(os.environ.get("BENCH_USERS", "200"))


async def _register(runtime: Runtime, users: list) -> None:
    """Every user joins a household of the sample compound by invite (several per household)."""
    async with unit_of_work(runtime.sessions) as session:
        await import_roster(session, SAMPLE_ROSTER, now=runtime.clock.now())
        compound = await resolve_scope(session, "compound:幸福家园")
    index = 0
    while index < len(users):
        async with unit_of_work(runtime.sessions) as session:
            issued = [
                i
                for i in await issue_household_invites(
                    session, compound.id, now=runtime.clock.now(), ttl=timedelta(days=1)
                )
                if i.kind == MembershipKind.TENANT
            ]
            for invite in issued:
                if index >= len(users):
                    break
                await redeem_invite(
                    session,
                    invite.code,
                    telegram_id=users[index].id,
                    display_name=f"住户{index}",
                    language="zh_Hans",
                    now=runtime.clock.now(),
                )
                index += 1


async def red_property_reports(emulator: BotApiEmulator, users: list, url: str) -> LoadResult:
    settings = Settings(
        TELEGRAM_TOKEN=TOKEN,
        TELEGRAM_BASE_URL=emulator.base_url,
        TELEGRAM_BASE_FILE_URL=emulator.base_file_url,
        DATABASE_URL=url,
        _env_file=None,
    )
    runtime = Runtime.create(settings, SystemClock())
    await _register(runtime, users)
    app = build_application(runtime)
    done: dict[int, asyncio.Event] = {}
    cast(UnitOfWorkProcessor, app.update_processor).on_done.append(
        lambda update_id: done.setdefault(update_id, asyncio.Event()).set()
    )
    await start_polling(app)
    latencies: list[float] = []

    async def step(act) -> None:
        started = time.perf_counter()
        update_id = act()
        event = done.setdefault(update_id, asyncio.Event())
        await asyncio.wait_for(event.wait(), 120)
        latencies.append(time.perf_counter() - started)

    async def one(user) -> None:
        await step(lambda: user.send("/report"))
        await step(lambda: user.press_button("清扫保洁"))
        await step(lambda: user.press_button("不紧急"))
        await step(lambda: user.send("电梯口有垃圾，请清理"))
        await step(lambda: user.press_button("不加照片"))
        await step(lambda: user.press_button("在我家"))
        await step(lambda: user.press_button("提交报事"))

    started = time.perf_counter()
    try:
        await asyncio.gather(*(one(u) for u in users))
    finally:
        elapsed = time.perf_counter() - started
        await stop_polling(app, emulator)
        await runtime.close()
    return LoadResult("Red Property /report flow", len(latencies), elapsed, latencies)


async def main() -> None:
    url = database_url()
    await fresh_schema(url)
    async with BotApiEmulator(token=TOKEN, bot_username="BenchBot") as emulator:
        users = [
            emulator.add_user(first_name=f"住户{i}", language_code="zh-hans") for i in range(USERS)
        ]
        baseline = await echo_baseline(emulator, users)
        ours = await red_property_reports(emulator, users, url)
    backend = "PostgreSQL" if "postgresql" in url else "SQLite"
    title = f"report: {USERS} residents each completing a report (7 updates), database {backend}"
    print(report(title, baseline, ours))


if __name__ == "__main__":
    asyncio.run(main())
