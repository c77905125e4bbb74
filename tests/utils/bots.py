"""A second bot in a test world: another token on the same emulator server and database, with
its own application and sender, as a city runs one bot per district."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from core.runtime import Runtime
from core.settings import Settings
from services import bots
from services.bot_identity import remember_username
from services.places import resolve_scope
from tests.utils.world import World


@asynccontextmanager
async def second_bot(world: World, token: str, username: str) -> AsyncIterator[World]:
    """A World for another bot (same Telegram, same database, same clocks); its people are
    `other.user(...)`, or the same Telegram user as in the first bot: `other.same(person)`."""
    other = World(world.database_url, world.clock)
    other.emulator = world.emulator.add_bot(token, username)
    settings = Settings(
        TELEGRAM_TOKEN=token,
        TELEGRAM_BASE_URL=world.emulator.base_url,
        TELEGRAM_BASE_FILE_URL=world.emulator.base_file_url,
        DATABASE_URL=world.database_url,
        _env_file=None,
    )
    other.runtime = Runtime(
        settings,
        world.runtime.engine,
        world.runtime.sessions,
        world.clock,
        bot_account=bots.bot_id_of(token),
        write_gate=world.runtime.write_gate,
    )
    await other.start_bot()
    await started(other)
    try:
        yield other
    finally:
        await other.stop_bot()


async def started(world: World) -> None:
    """What a bot does when it starts (post_init, which the test world does not run): record the
    username getMe gave it."""
    bot = world.app.bot
    await remember_username(world.runtime, bot.username, bot.id)


async def record_bot(world: World, token: str, title: str, *places: str) -> None:
    """What `bot.py admin bot add` and `bot serve` record: a bot and the places it serves."""
    async with world.session() as session:
        bot = await bots.add_bot(
            session, f"BOT_{bots.bot_id_of(token)}_TOKEN", token, title, now=world.clock.now()
        )
        for place in places:
            await bots.serve_place(session, bot, await resolve_scope(session, place))
