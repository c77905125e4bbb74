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

from core.i18n import Translator, translator
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
