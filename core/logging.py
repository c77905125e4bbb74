"""Logging set-up: one format, levels from settings, noisy libraries quietened.

APScheduler announces every job it adds, and PTB every start and stop, at INFO: at the default
level they are held at WARNING so the first screen shows what a person needs. LOG_LEVEL=DEBUG
shows everything but personal data: the libraries' lines that would print residents' messages,
names or phone numbers (PTB's request and update bodies, SQL parameters) are cut down or held back.
"""

from __future__ import annotations

import logging
import re
from typing import Any

NOISY = (
    "httpx",
    "httpcore",
    "apscheduler",
    "aiohttp.access",
    "alembic",
    "matplotlib",
    "telegram.ext.Application",
    "emulator",  # the demo's Bot API emulator: its address is printed by the demo itself
)


class FinalGetUpdatesFilter(logging.Filter):
    """PTB's Updater.stop() calls getUpdates once more to confirm the last offset; when that
    call fails it logs an ERROR with a traceback although the stop is clean (the updates are
    fetched again on the next start, and the bot skips the ones it already processed). One
    WARNING line says the same."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR and str(record.msg).startswith(
            "Error while calling `get_updates` one more time"
        ):
            error = record.exc_info[1] if record.exc_info else None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.msg = "the last getUpdates at stop failed (%s); updates may be fetched again"
            record.args = (f"{error.__class__.__name__}: {error}" if error else "unknown",)
            record.exc_info = record.exc_text = None
        return True


# Their DEBUG and INFO output is the database's content (statements with their parameters, rows):
# names, phone numbers, texts. Held at WARNING whatever LOG_LEVEL says.
DATABASE_CONTENT = ("aiosqlite", "sqlalchemy", "asyncpg")
# python-telegram-bot's loggers that print whole requests, answers and updates at DEBUG.
TELEGRAM_BODIES = (
    "telegram.Bot",
    "telegram.ext.ExtBot",
    "telegram.ext.Application",
    "telegram.ext.Updater",
)
_TOKEN = re.compile(r"(bot\d+):[A-Za-z0-9_-]+")


class TelegramBodyFilter(logging.Filter):
    """Keeps what PTB's DEBUG lines say happened (the endpoint, the update id) and drops what was
    in it: texts, names and phone numbers in requests, answers and updates. The bot token in a
    URL is masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        args: Any = record.args if isinstance(record.args, tuple) else ()
        message = str(record.msg)
        if message.startswith("Calling Bot API endpoint") and len(args) == 2:
            keys = sorted(args[1]) if isinstance(args[1], dict) else "…"
            record.msg = "Calling Bot API endpoint `%s` with parameters %s"
            record.args = (args[0], keys)
        elif message.startswith("Call to Bot API endpoint") and args:
            record.msg, record.args = "Call to Bot API endpoint `%s` finished", (args[0],)
        elif message.startswith(("Processing update", "Dropping pending update")):
            record.msg = message.split("%s")[0].rstrip(": ") + " %s"
            record.args = (getattr(args[0], "update_id", "?") if args else "?",)
        else:
            try:
                text = record.getMessage()
            except Exception:  # a malformed record: logging reports it, not this filter
                return True
            if _TOKEN.search(text):
                record.msg, record.args = _TOKEN.sub(r"\1:***", text), ()
        return True


def setup_logging(level: str = "INFO") -> None:
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if level != "DEBUG":
        for noisy in NOISY:
            logging.getLogger(noisy).setLevel(logging.WARNING)
    for name in DATABASE_CONTENT:
        logging.getLogger(name).setLevel(logging.WARNING)
    for name in TELEGRAM_BODIES:
        logger = logging.getLogger(name)
        if not any(isinstance(f, TelegramBodyFilter) for f in logger.filters):
            logger.addFilter(TelegramBodyFilter())
    logging.getLogger("telegram.ext.Updater").addFilter(FinalGetUpdatesFilter())
