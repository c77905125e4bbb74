"""`bot.py demo` (and `make run` without a token): the Bot API emulator on 127.0.0.1, the real bot
polling it with its scheduler and outbox sender, the seeded compound, and the web chat page.
A second bot serves the second district (demo/seed.py), as a city runs one bot per district: its
personas talk to it, the others to the first bot; the page shows each persona's bot.

`Demo` is also what the browser test starts, on a temporary database and a free port.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from pathlib import Path
from typing import Any

from core.i18n import translator
from core.runtime import Runtime
from core.settings import Settings
from demo.seed import (
    NEWCOMER,
    PERSONAS,
    SECOND_PERSONAS,
    SECOND_TOKEN,
    SECOND_USERNAME,
    has_second_district,
    is_seeded,
    seed,
    seed_second_district,
)
from demo.web import OPEN_CONSOLE
from emulator import BotApiEmulator
from handlers.app import build_application
from jobs.outbox import OutboxSender
from jobs.scheduler import build_scheduler
from services import bots
from services.bot_identity import remember_username

log = logging.getLogger(__name__)
DEMO_TOKEN = "100200300:DEMO-token-not-for-telegram"
DEMO_DATABASE = Path("data") / "demo.db"


class Demo:
    """The emulator, the seeded database and the running bot, which `reset()` rebuilds."""

    def __init__(self, settings: Settings, *, port: int, database: Path = DEMO_DATABASE) -> None:
        self.settings = settings
        self.port = port
        self.database = database
        self.emulator = BotApiEmulator(token=DEMO_TOKEN, bot_username="RedPropertyDemoBot")
        self.second = self.emulator.add_bot(SECOND_TOKEN, SECOND_USERNAME)
        self.users: dict[str, Any] = {}
        self.runtime: Runtime | None = None
        self._apps: list[Any] = []
        self._scheduler: Any = None
        self._senders: list[OutboxSender] = []
        self._lock = asyncio.Lock()

    @property
    def url(self) -> str:
        return self.emulator.url

    async def start(self, *, reset: bool = False) -> None:
        from demo.web import add_demo_routes

        await self.emulator.start(
            host="127.0.0.1", port=self.port, extra_routes=lambda app: add_demo_routes(app, self)
        )
        # Telegram ids in this order: a demo database from before the second bot keeps its own
        for persona in (*PERSONAS, NEWCOMER, *SECOND_PERSONAS):
            self.users[persona.name] = self.emulator_of(persona).add_user(
                first_name=persona.name, language_code="zh-hans"
            )
        await self._start_bot(fresh=reset)

    async def _start_bot(self, *, fresh: bool) -> None:
        if fresh and self.database.exists():
            self.database.unlink()
        database_url = f"sqlite+aiosqlite:///{self.database}"
        await asyncio.to_thread(_migrate, database_url)
        settings = self.settings.model_copy(
            update={
                "telegram_token": DEMO_TOKEN,
                "telegram_base_url": self.emulator.base_url,
                "telegram_base_file_url": self.emulator.base_file_url,
                "database_url": database_url,
                # Shown at any hour: a staff alert or a reminder held until 08:00 would look broken in a
                # demo tried in the evening. QUIET_HOURS in the environment still wins.
                "quiet_hours": self.settings.quiet_hours if "QUIET_HOURS" in os.environ else "off",
                # The office console is on the demo's own address, under /console.
                "console_url": f"{self.emulator.url}/console",
            }
        )
        self.runtime = Runtime.create(settings)
        ids = {name: user.id for name, user in self.users.items() if name != NEWCOMER.name}
        async with self.runtime.sessions() as session:
            seeded = await is_seeded(session)
            second = await has_second_district(session)
        if not seeded:
            await seed(self.runtime, ids)
        elif not second:  # a demo database from before the second bot
            await seed_second_district(self.runtime, ids)
        # One application and sender per bot on the one database (handlers/fleet.py); the jobs
        # run once, on the first bot's runtime, and wake both senders.
        from handlers.fleet import BotToRun, runtime_for

        second_runtime = runtime_for(
            self.runtime, BotToRun(SECOND_TOKEN, bots.bot_id_of(SECOND_TOKEN))
        )
        for runtime in (self.runtime, second_runtime):
            app: Any = build_application(runtime)
            await app.initialize()
            self._apps.append(app)
            # as `bot.py run` does: `admin invites` on data/demo.db links to the demo's bots
            await remember_username(runtime, app.bot.username, runtime.bot_account)
            await app.start()
            await app.updater.start_polling(poll_interval=0, timeout=10)
            sender = OutboxSender(runtime, app.bot)
            runtime.outbox_waker = sender.wake
            sender.start()
            self._senders.append(sender)
        senders = list(self._senders)

        def wake_all() -> None:
            for sender in senders:
                sender.wake()

        self.runtime.outbox_waker = wake_all
        self._scheduler = build_scheduler(self.runtime)
        self._scheduler.start()
        from jobs import fees, votes

        await votes.tick(self.runtime)  # what is due now happens at once, not in 30 seconds
        await fees.tick(self.runtime)

    async def _stop_bot(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
        for sender in self._senders:
            await sender.stop()
        for app in self._apps:
            stopping = asyncio.create_task(app.updater.stop())
            while not stopping.done():
                self.emulator.release_pollers()
                self.second.release_pollers()
                await asyncio.sleep(0.01)
            await app.stop()
            await app.shutdown()
        if self.runtime is not None:
            await self.runtime.close()
        self._apps, self._senders = [], []
        self._scheduler = self.runtime = None

    async def reset(self) -> None:
        """Back to the seeded state: a new database, empty chats, the same personas."""
        async with self._lock:
            await self._stop_bot()
            self.emulator.clear_chats()
            self.second.clear_chats()
            await self._start_bot(fresh=True)

    async def stop(self) -> None:
        await self._stop_bot()
        await self.emulator.stop()

    def emulator_of(self, persona: Any) -> BotApiEmulator:
        """The bot a persona talks to: the second district's, or the first."""
        return self.second if persona.second else self.emulator

    def personas(self, language: str) -> list[dict[str, Any]]:
        _ = translator(language)
        return [
            {
                "user_id": self.users[p.name].id,
                "name": p.name,
                "role": _(p.description),
                "home": p.household or "",
                "newcomer": p is NEWCOMER,
                "bot": self.emulator_of(p).bot_username,
                "compound": p.compound if p.household else "",
                "console": _(OPEN_CONSOLE).format(name=p.name) if p.role else "",
            }
            for p in (*PERSONAS, *SECOND_PERSONAS, NEWCOMER)
        ]


def _migrate(database_url: str) -> None:
    from bot import migrate

    migrate(database_url)


async def _run(settings: Settings, reset: bool, port: int) -> None:
    demo = Demo(settings, port=port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):  # Ctrl+C while starting: stop once started
        with contextlib.suppress(NotImplementedError):  # platforms without signal handlers
            loop.add_signal_handler(sig, stop.set)
    await demo.start(reset=reset)
    if not stop.is_set():
        _ = translator(settings.default_language)
        print(
            _("Red Property demo: open {url} in a browser (Ctrl+C to stop).").format(url=demo.url),
            flush=True,
        )
    await stop.wait()
    await demo.stop()


def run_demo(settings: Settings, *, reset: bool, port: int) -> int:
    if "log_level" not in settings.model_fields_set:  # the address first; LOG_LEVEL=INFO: more
        logging.getLogger().setLevel(logging.WARNING)
    asyncio.run(_run(settings, reset, port))
    return 0
