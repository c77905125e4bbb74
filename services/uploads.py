"""Files residents and staff send the bot, checked from what the update says about them (size,
kind) before anything is downloaded: a bot can fetch at most 20 MB from Telegram."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from core.i18n import N_
from services.errors import DomainError

TELEGRAM_DOWNLOAD_LIMIT = 20 * 1024 * 1024  # what getFile serves a bot at most
MB = 1024 * 1024

Download = Callable[[], Awaitable[bytes]]


class TooBig(DomainError):
    """The file is larger than the limit named in the message."""


def too_big(limit: int) -> TooBig:
    return TooBig(
        N_("This file is too large: please send one of at most {limit} MB."), limit=limit // MB
    )


def check_size(size: int | None, limit: int = TELEGRAM_DOWNLOAD_LIMIT) -> None:
    """Refuse a file the update says is larger than `limit` (or than Telegram lets a bot
    download). An unknown size is let through: the download itself is then bounded."""
    limit = min(limit, TELEGRAM_DOWNLOAD_LIMIT)
    if size is not None and size > limit:
        raise too_big(limit)


async def fetch(download: Download, size: int | None, limit: int) -> bytes:
    """The file's bytes, after the size check; more bytes than the limit are refused too (the
    size in the update was missing or wrong)."""
    check_size(size, limit)
    content = await download()
    check_size(len(content), limit)
    return content
