"""The console's calls to the Bot API for ticket photos: a photo's bytes by its Telegram file id
(getFile, then the download), and a photo uploaded in the console sent to the staff member's own
chat, for the file id the ticket keeps (the bot's flows and the resident's message use file ids).
The calls go to TELEGRAM_BASE_URL / TELEGRAM_BASE_FILE_URL from the server: the bot's token never
reaches the browser, nor a log line."""

from __future__ import annotations

import logging
import os

import aiohttp
from sqlmodel.ext.asyncio.session import AsyncSession

from core.settings import Settings
from models import BotAccount
from services import bots
from services.errors import DomainError

log = logging.getLogger(__name__)

MAX_PHOTO = 10 * 1024 * 1024  # what sendPhoto takes
TIMEOUT = aiohttp.ClientTimeout(total=20)
_KINDS = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"RIFF", "image/webp"),  # RIFF....WEBP, checked below
)


class TelegramUnavailable(Exception):
    """The Bot API did not give the file (or take the photo); the reason is logged, not shown."""


def image_type(content: bytes) -> str | None:
    """The type of a JPEG, PNG or WebP image by its first bytes; None for anything else."""
    for magic, kind in _KINDS:
        if content.startswith(magic) and (kind != "image/webp" or content[8:12] == b"WEBP"):
            return kind
    return None


async def token_for(session: AsyncSession, settings: Settings, compound_id: int) -> str | None:
    """The token of the bot that serves the compound (file ids belong to one bot): the recorded
    bot's from the variable it names, or TELEGRAM_TOKEN's; None when it is not set here."""
    serving = (await bots.serving_compounds(session, [compound_id]))[compound_id]
    if serving is None:
        return settings.telegram_token
    account = await session.get(BotAccount, serving)
    token = os.environ.get(account.token_env) if account is not None else None
    try:
        return token if token and bots.bot_id_of(token) == serving else None
    except DomainError:
        return None


def _api(settings: Settings, token: str) -> str:
    return f"{settings.telegram_base_url}{token}"


def _files(settings: Settings, token: str) -> str:
    base = settings.telegram_base_file_url or settings.telegram_base_url.replace(
        "/bot", "/file/bot"
    )
    return f"{base}{token}"


def _failed(what: str, error: BaseException | str) -> TelegramUnavailable:
    # the class name only: an aiohttp error can carry the URL, and the URL the token
    reason = error if isinstance(error, str) else error.__class__.__name__
    log.warning("console: Telegram %s failed: %s", what, reason)
    return TelegramUnavailable(what)


async def download(settings: Settings, token: str, file_id: str) -> bytes:
    """A file's bytes: getFile for its path, then the file (at most MAX_PHOTO)."""
    try:
        async with aiohttp.ClientSession(timeout=TIMEOUT) as http:
            async with http.post(
                f"{_api(settings, token)}/getFile", data={"file_id": file_id}
            ) as r:
                body = await r.json(content_type=None)
            result = body.get("result") if isinstance(body, dict) and body.get("ok") else None
            path = result.get("file_path") if isinstance(result, dict) else None
            if not isinstance(path, str) or not path:
                raise _failed("getFile", f"HTTP {r.status}")
            async with http.get(f"{_files(settings, token)}/{path.lstrip('/')}") as r:
                if r.status != 200:
                    raise _failed("file download", f"HTTP {r.status}")
                content = await r.content.read(MAX_PHOTO + 1)
    except (aiohttp.ClientError, TimeoutError, ValueError) as error:
        raise _failed("getFile", error) from None
    if len(content) > MAX_PHOTO:
        raise _failed("file download", "too large")
    return content


async def send_photo(
    settings: Settings, token: str, chat_id: int, content: bytes, filename: str, caption: str
) -> str:
    """Send the photo to a chat (the staff member's own) and return the file id Telegram gave
    its largest size."""
    form = aiohttp.FormData()
    form.add_field("chat_id", str(chat_id))
    form.add_field("caption", caption[:1024])
    form.add_field(
        "photo",
        content,
        filename=filename or "photo.jpg",
        content_type=image_type(content) or "application/octet-stream",
    )
    try:
        async with (
            aiohttp.ClientSession(timeout=TIMEOUT) as http,
            http.post(f"{_api(settings, token)}/sendPhoto", data=form) as r,
        ):
            body = await r.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, ValueError) as error:
        raise _failed("sendPhoto", error) from None
    result = body.get("result") if isinstance(body, dict) and body.get("ok") else None
    sizes = result.get("photo") if isinstance(result, dict) else None
    if not isinstance(sizes, list) or not sizes or not isinstance(sizes[-1], dict):
        description = body.get("description") if isinstance(body, dict) else None
        raise _failed("sendPhoto", str(description or f"HTTP {r.status}")[:200])
    file_id = sizes[-1].get("file_id")
    if not isinstance(file_id, str) or not file_id:
        raise _failed("sendPhoto", "no file id")
    return file_id
