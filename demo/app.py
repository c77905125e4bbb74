"""`bot.py demo` (and `make run` without a token): the Bot API emulator on 127.0.0.1, the real bot
polling it with its scheduler and outbox sender, the seeded compound, and the web chat page.

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
from demo.seed import NEWCOMER, PERSONAS, is_seeded, seed
from emulator import BotApiEmulator
from handlers.app import build_application
from jobs.outbox import OutboxSender
from jobs.scheduler import build_scheduler
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
        self.users: dict[str, Any] = {}
        self.runtime: Runtime | None = None
        self._app: Any = None
        self._scheduler: Any = None
        self._sender: OutboxSender | None = None
        self._lock = asyncio.Lock()

    @property
    def url(self) -> str:
        return self.emulator.url

    async def start(self, *, reset: bool = False) -> None:
        from demo.web import add_demo_routes

        await self.emulator.start(
            host="127.0.0.1", port=self.port, extra_routes=lambda app: add_demo_routes(app, self)
        )
        for persona in (*PERSONAS, NEWCOMER):
            self.users[persona.name] = self.emulator.add_user(
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
            }
        )
        self.runtime = Runtime.create(settings)
        async with self.runtime.sessions() as session:
            seeded = await is_seeded(session)
        if not seeded:
            await seed(
                self.runtime,
                {name: user.id for name, user in self.users.items() if name != NEWCOMER.name},
            )
        self._app = build_application(self.runtime)
        await self._app.initialize()
        # as `bot.py run` does: `admin invites` on data/demo.db links to the demo's bot
        await remember_username(self.runtime, self._app.bot.username)
        await self._app.start()
        await self._app.updater.start_polling(poll_interval=0, timeout=10)
        self._sender = OutboxSender(self.runtime, self._app.bot)
        self.runtime.outbox_waker = self._sender.wake
        self._sender.start()
        self._scheduler = build_scheduler(self.runtime)
        self._scheduler.start()
        from jobs import fees, votes

        await votes.tick(self.runtime)  # what is due now happens at once, not in 30 seconds
        await fees.tick(self.runtime)

    async def _stop_bot(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
        if self._sender is not None:
            await self._sender.stop()
        if self._app is not None:
            stopping = asyncio.create_task(self._app.updater.stop())
            while not stopping.done():
                self.emulator.release_pollers()
                await asyncio.sleep(0.01)
            await self._app.stop()
            await self._app.shutdown()
        if self.runtime is not None:
            await self.runtime.close()
        self._app = self._scheduler = self._sender = self.runtime = None

    async def reset(self) -> None:
        """Back to the seeded state: a new database, empty chats, the same personas."""
        async with self._lock:
            await self._stop_bot()
            self.emulator.clear_chats()
            await self._start_bot(fresh=True)

    async def stop(self) -> None:
        await self._stop_bot()
        await self.emulator.stop()

    def personas(self, language: str) -> list[dict[str, Any]]:
        _ = translator(language)
        return [
            {
                "user_id": self.users[p.name].id,
                "name": p.name,
                "role": _(p.description),
                "home": p.household or "",
                "newcomer": p is NEWCOMER,
            }
            for p in (*PERSONAS, NEWCOMER)
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
