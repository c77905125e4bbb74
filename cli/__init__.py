"""The command line (`bot.py admin …`, `bot.py report`), one module per feature beside it.

Each module has `add_commands(admin)`, which adds its sub-commands to the `admin` sub-parsers
and sets `run=` on each; bot.py only composes them. A command is `run(settings, args) -> exit
status`; its work runs in one unit of work, and a DomainError is printed, translated, as one line.
Output is plain text in DEFAULT_LANGUAGE (translations without markup).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import Literal

from core.db import unit_of_work
from core.i18n import N_, Translator, translator
from core.runtime import Runtime
from core.settings import Settings
from services.errors import DomainError


def words(settings: Settings) -> Translator:
    return translator(settings.default_language)


def say(_: Translator, msgid: str, **params: object) -> str:
    """A translated line for the terminal (plain text, values as they are)."""
    return _.plain(msgid).format(**params)


def run(settings: Settings, work: Callable[[Runtime], Awaitable[int]]) -> int:
    """Run `work` with a runtime; a DomainError becomes one translated line and exit status 1."""
    import views  # noqa: F401 (registers the renderers of what the services queue)

    async def main() -> int:
        runtime = Runtime.create(settings)
        try:
            return await work(runtime)
        except DomainError as error:
            print(error.text(words(settings)), file=sys.stderr)
            return 1
        finally:
            await runtime.close()

    return asyncio.run(main())


async def fetch_bot_username(settings: Settings, token: str | None = None) -> str | None:
    """getMe with `token` (default TELEGRAM_TOKEN) at TELEGRAM_BASE_URL (one short call), or
    None if it fails."""
    import aiohttp

    token = token or settings.telegram_token
    if not token:
        return None
    url = f"{settings.telegram_base_url}{token}/getMe"
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http,
            http.get(url) as response,
        ):
            body = await response.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, ValueError) as error:
        failed = N_("Telegram's getMe failed: {reason}")
        print(say(words(settings), failed, reason=error.__class__.__name__), file=sys.stderr)
        return None
    result = body.get("result") if isinstance(body, dict) and body.get("ok") else None
    username = result.get("username") if isinstance(result, dict) else None
    if not isinstance(username, str) or not username:
        failed = N_("Telegram's getMe failed: {reason}")
        print(say(words(settings), failed, reason=f"HTTP {response.status}"), file=sys.stderr)
        return None
    return username


async def invite_username(
    settings: Settings, runtime: Runtime, place: tuple[str, int] | None = None
) -> str | None:
    """The bot's username for invite links: getMe when TELEGRAM_TOKEN is set, else the one the
    running bot recorded at its last start. None (after saying so) if neither is available.
    With several bots (services.bots), the username of the bot serving `place` (kind, id)."""
    from services.bot_identity import recorded_username, remember_username

    if place is not None:
        found = await serving_bot_username(settings, runtime, place)
        if found is not False:
            return found
    username = await fetch_bot_username(settings)
    if username is not None:
        await remember_username(runtime, username)
        return username
    username = await recorded_username(runtime)
    if username is None:
        print(
            say(
                words(settings),
                N_(
                    "The bot's username is not known, so no invite link can be made: set "
                    "TELEGRAM_TOKEN (the command then asks Telegram) or start the bot once "
                    "(it records its username)."
                ),
            ),
            file=sys.stderr,
        )
    return username


async def serving_bot_username(
    settings: Settings, runtime: Runtime, place: tuple[str, int]
) -> str | Literal[False] | None:
    """The username of the recorded bot serving `place`: getMe with its token when its variable
    is set here, else the one it recorded at its last start. False: no recorded bot serves it
    (the default bot's username applies)."""
    import os

    from models import BotAccount
    from services import bots

    async with unit_of_work(runtime.sessions) as session:
        bot_id = await bots.bot_for_scope(session, *place)
        account = await session.get(BotAccount, bot_id) if bot_id is not None else None
        if account is None:
            return False
        token = os.environ.get(account.token_env)
        username = await fetch_bot_username(settings, token) if token else None
        if username is not None:
            await bots.record_username(session, account.id, username, now=runtime.clock.now())
            return username
        if account.username:
            return account.username
    message = N_(
        "The username of the bot {bot} is not known, so no invite link can be made: set {name} "
        "(the command then asks Telegram) or start that bot once (it records its username)."
    )
    print(
        say(words(settings), message, bot=account.title or account.id, name=account.token_env),
        file=sys.stderr,
    )
    return None


async def place_of_compound(runtime: Runtime, name: str) -> tuple[str, int]:
    """(kind, id) of a compound named on the command line, for invite_username."""
    from models import ScopeKind
    from services.places import compound_by_name

    async with runtime.sessions() as session:
        compound = await compound_by_name(session, name)
    return ScopeKind.COMPOUND, compound.id or 0
