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


async def fetch_bot_username(settings: Settings) -> str | None:
    """getMe with TELEGRAM_TOKEN at TELEGRAM_BASE_URL (one short call), or None if it fails."""
    import aiohttp

    if not settings.telegram_token:
        return None
    url = f"{settings.telegram_base_url}{settings.telegram_token}/getMe"
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


async def invite_username(settings: Settings, runtime: Runtime) -> str | None:
    """The bot's username for invite links: getMe when TELEGRAM_TOKEN is set, else the one the
    running bot recorded at its last start. None (after saying so) if neither is available."""
    from services.bot_identity import recorded_username, remember_username

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
