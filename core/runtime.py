"""The composition of long-lived parts shared by the bot, the jobs and the CLI."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from core.clock import Clock, SystemClock
from core.db import create_engine, session_factory
from core.metrics import Metrics
from core.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock = field(default_factory=SystemClock)
    bot_username: str | None = None  # from getMe, set when the bot starts
    # The recorded bot (models.bots) this runtime runs, by Telegram id; None: the default bot
    # (TELEGRAM_TOKEN), which also sends what no recorded bot serves.
    bot_account: int | None = None
    # What the process caches for routing people between bots (services.bots.RoutingCache).
    bot_routing: Any = None
    # SQLite has one writer at a time: writers queue on this lock instead of sleeping in SQLite.
    write_gate: asyncio.Lock | None = None
    # Set by the outbox sender so producers can wake it after they commit.
    outbox_waker: Callable[[], None] | None = None
    # Set by the bot application: (bot, chat id) → that person's command menu, now (the outbox
    # sender calls it for a menu refresh, e.g. after a role was revoked on the command line).
    menu_refresh: Callable[[Any, int], Awaitable[None]] | None = None
    metrics: Metrics = field(init=False)  # this process's counters (core.metrics)

    def __post_init__(self) -> None:
        self.metrics = Metrics(self.clock)

    def wake_outbox(self) -> None:
        if self.outbox_waker is not None:
            self.outbox_waker()

    @classmethod
    def create(cls, settings: Settings, clock: Clock | None = None) -> Runtime:
        engine = create_engine(settings.database_url)
        gate = asyncio.Lock() if settings.is_sqlite else None
        # What the unit of work needs to queue messages at commit (see services.notify).
        info = {
            "quiet_hours": settings.quiet,
            "default_language": settings.default_language,
            "tz": settings.tz,
            "paid_broadcast": settings.paid_broadcast,
            "outbox_rate": settings.outbox_rate,
        }
        return cls(
            settings, engine, session_factory(engine, info), clock or SystemClock(), write_gate=gate
        )

    async def close(self) -> None:
        await self.metrics.close()
        await self.engine.dispose()
