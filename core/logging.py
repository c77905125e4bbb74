"""Logging set-up: one format, levels from settings, noisy libraries quietened.

APScheduler announces every job it adds, and PTB every start and stop, at INFO: at the default
level they are held at WARNING so the first screen shows what a person needs. LOG_LEVEL=DEBUG
shows everything.
"""

from __future__ import annotations

import logging

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


def setup_logging(level: str = "INFO") -> None:
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if level != "DEBUG":
        for noisy in NOISY:
            logging.getLogger(noisy).setLevel(logging.WARNING)
    logging.getLogger("telegram.ext.Updater").addFilter(FinalGetUpdatesFilter())
