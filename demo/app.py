"""`bot.py demo`: the emulator on 127.0.0.1, the real bot polling it, and the seeded compound."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from datetime import timedelta
from pathlib import Path

from core.db import unit_of_work
from core.runtime import Runtime
from core.settings import Settings
from demo.seed import COMPOUND, PERSONAS, is_seeded, seed
from emulator import BotApiEmulator
from handlers.app import build_application
from jobs.outbox import OutboxSender
from jobs.scheduler import build_scheduler
from services.invites import issue_household_invites

log = logging.getLogger(__name__)
DEMO_TOKEN = "100200300:DEMO-token-not-for-telegram"
DEMO_DATABASE = Path("data") / "demo.db"


async def _demo(settings: Settings, reset: bool, port: int) -> None:
    if reset and DEMO_DATABASE.exists():
        DEMO_DATABASE.unlink()
    database_url = f"sqlite+aiosqlite:///{DEMO_DATABASE}"
    await asyncio.to_thread(_migrate, database_url)
    emulator = BotApiEmulator(token=DEMO_TOKEN, bot_username="RedPropertyDemoBot")
    await emulator.start(host="127.0.0.1", port=port)
    users = {
        p.name: emulator.add_user(first_name=p.name, language_code="zh-hans") for p in PERSONAS
    }
    demo_settings = settings.model_copy(
        update={
            "telegram_token": DEMO_TOKEN,
            "telegram_base_url": emulator.base_url,
            "telegram_base_file_url": emulator.base_file_url,
            "database_url": database_url,
            "bot_username": "RedPropertyDemoBot",
        }
    )
    runtime = Runtime.create(demo_settings)
    async with runtime.sessions() as session:
        seeded = await is_seeded(session)
    if not seeded:
        await seed(runtime, {name: user.id for name, user in users.items()})
    async with unit_of_work(runtime.sessions) as session:
        from services.places import resolve_scope

        compound = await resolve_scope(session, f"compound:{COMPOUND}")
        fresh = await issue_household_invites(
            session, compound.id, now=runtime.clock.now(), ttl=timedelta(days=7)
        )
    newcomer = emulator.add_user(first_name="新住户", language_code="zh-hans")
    scheduler = build_scheduler(runtime)
    app = build_application(runtime)
    await app.initialize()
    await app.start()
    await app.updater.start_polling(poll_interval=0, timeout=10)
    scheduler.start()
    sender = OutboxSender(runtime, app.bot)
    runtime.outbox_waker = sender.wake
    sender.start()
    _print_instructions(emulator, users, newcomer, fresh)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    scheduler.shutdown(wait=False)
    await sender.stop()
    await app.updater.stop()
    await app.stop()
    await app.shutdown()
    await runtime.close()
    await emulator.stop()


def _migrate(database_url: str) -> None:
    from bot import migrate

    migrate(database_url)


def _print_instructions(emulator, users, newcomer, invites) -> None:  # type: ignore[no-untyped-def]
    free = [
        i for i in invites if i.kind == "owner" and i.label not in {p.household for p in PERSONAS}
    ][:3]
    lines = [
        "",
        "Red Property demo is running (Ctrl+C to stop).",
        f"  Bot API emulator: {emulator.url}   control API: {emulator.url}/_emulator/",
        "  Personas (Telegram user ids):",
    ]
    for persona in PERSONAS:
        lines.append(f"    {users[persona.name].id:>8}  {persona.name}  ({persona.description})")
    lines.append(f"    {newcomer.id:>8}  新住户  (not registered yet: try an invite below)")
    lines.append("  Invite codes for new owners (send `/start CODE` as 新住户):")
    lines += [f"    {i.label}: /start {i.code}" for i in free]
    lines += [
        "  Talk to the bot as a persona, e.g.:",
        f"    curl -s -X POST {emulator.url}/_emulator/send -H 'Content-Type: application/json' "
        f'-d \'{{"user_id": {users[PERSONAS[0].name].id}, "text": "/whoami"}}\'',
        f"    curl -s {emulator.url}/_emulator/history/{users[PERSONAS[0].name].id}",
        "",
    ]
    print("\n".join(lines), flush=True)


def run_demo(settings: Settings, *, reset: bool, port: int) -> int:
    asyncio.run(_demo(settings, reset, port))
    return 0
