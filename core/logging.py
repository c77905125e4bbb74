"""Logging set-up: one format, levels from settings, noisy libraries quietened."""

from __future__ import annotations

import logging


def setup_logging(level: str = "INFO") -> None:
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for noisy in (
        "httpx",
        "httpcore",
        "apscheduler.executors",
        "aiohttp.access",
        "alembic",
        "matplotlib",
    ):
        logging.getLogger(noisy).setLevel(logging.WARNING)
