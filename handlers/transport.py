"""An aiohttp transport for python-telegram-bot: several times cheaper per call than httpx.

PTB's default HTTPXRequest spends most of a bot's CPU time in httpx/httpcore (see DESIGN.md,
Performance notes); benchmarks/ measures both.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram.constants import ParseMode
from telegram.error import NetworkError, TelegramError, TimedOut
from telegram.ext import Defaults, ExtBot
from telegram.request import BaseRequest, RequestData

from core.settings import Settings

_FORMATTED = frozenset({"text", "caption"})
# What Telegram answers for a file id it no longer accepts (Bot API error descriptions).
STALE_FILE_ID = (
    "wrong file identifier",
    "wrong remote file identifier",
    "file reference expired",
    "file_reference_expired",
    "invalid file id",
)

# Every text the bot sends is Telegram HTML: the application and any extra sender process.
BOT_DEFAULTS = Defaults(parse_mode=ParseMode.HTML)


def build_bot(settings: Settings, request: BaseRequest | None = None) -> ExtBot[Any]:
    """A bot that sends exactly as the application's own (HTML defaults, this transport), for
    processes that run without the Application, such as `bot.py send-outbox`."""
    return ExtBot(
        settings.telegram_token or "",
        base_url=settings.telegram_base_url,
        base_file_url=settings.telegram_base_file_url
        or settings.telegram_base_url.replace("/bot", "/file/bot"),
        request=request or AiohttpRequest(connection_pool_size=128),
        defaults=BOT_DEFAULTS,
    )


def stale_file_id(error: TelegramError) -> bool:
    """Telegram refused a file id it gave earlier: upload the file again."""
    message = error.message.lower()
    return any(phrase in message for phrase in STALE_FILE_ID)


class AiohttpRequest(BaseRequest):
    """A `BaseRequest` on one `aiohttp.ClientSession`; pass it to ApplicationBuilder.request()."""

    def __init__(
        self,
        connection_pool_size: int = 64,
        read_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._media_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: float | DefaultValue | None = BaseRequest.DEFAULT_NONE,
        write_timeout: float | DefaultValue | None = BaseRequest.DEFAULT_NONE,
        connect_timeout: float | DefaultValue | None = BaseRequest.DEFAULT_NONE,
        pool_timeout: float | DefaultValue | None = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        files = (
            request_data.multipart_data if request_data and request_data.contains_files else None
        )
        fields = request_data.json_parameters if request_data else None
        if fields and "parse_mode" in fields and not _FORMATTED.intersection(fields):
            # PTB's Defaults(parse_mode=...) lands on every send-like method, also on those the
            # Bot API gives no parse_mode (sendLocation, sendInvoice, editMessageReplyMarkup):
            # it is sent only with a text or a caption to parse.
            fields = {key: value for key, value in fields.items() if key != "parse_mode"}
        if isinstance(read_timeout, DefaultValue):
            read_timeout = self._read_timeout
        if isinstance(connect_timeout, DefaultValue):
            connect_timeout = self._connect_timeout
        total = None
        if read_timeout is not None:
            total = (
                read_timeout + (connect_timeout or 0) + ((self._media_timeout or 0) if files else 0)
            )
        body: aiohttp.FormData | dict[str, str] | None = fields
        if files:
            form = aiohttp.FormData()
            for name, value in (fields or {}).items():
                form.add_field(name, value)
            for name, (filename, content, mime_type) in files.items():
                form.add_field(name, content, filename=filename or name, content_type=mime_type)
            body = form
        try:
            async with self._session.request(
                method,
                url,
                data=body,
                timeout=aiohttp.ClientTimeout(total=total, connect=connect_timeout),
            ) as response:
                return response.status, await response.read()
        except TimeoutError as error:
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{error.__class__.__name__}: {error}") from error
