"""The webhook endpoint (`bot.py run --webhook`): Telegram POSTs each update to WEBHOOK_URL, which
a reverse proxy passes to this server on WEBHOOK_LISTEN:WEBHOOK_PORT, path /telegram.

A small aiohttp server instead of PTB's tornado one, for three guarantees: a request that is not
an update (malformed JSON, invalid UTF-8, deep nesting, not an object, too large) is answered
4xx, never 500; no request body is ever logged (an update carries residents' messages); the
secret header is compared in constant time.

With `store` (the inbox, handlers/intake.py) an update is stored and committed before the answer
200: a receiver killed before that commit never answered, so Telegram delivers the update again.
A database that cannot take it is answered 503, which Telegram retries too.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from telegram import Update
from telegram.ext import Application, ExtBot

log = logging.getLogger(__name__)

PATH = "/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram's updates are a few kilobytes (a message is at most 4096 characters, a caption 1024);
# a larger body is not an update.
MAX_BODY = 1024 * 1024


def _refuse(status: int, reason: str) -> web.Response:
    return web.json_response({"ok": False, "error": reason}, status=status)


class WebhookServer:
    """Serves `POST /telegram` and stores each update in the inbox (`store`), or, without it, puts
    it on the application's update queue."""

    def __init__(
        self,
        app: Application,
        *,
        listen: str,
        port: int,
        secret: str,
        store: Callable[[Update], Awaitable[None]] | None = None,
    ) -> None:
        self.app = app
        self.store = store
        self.listen = listen
        self.port = port
        self._secret = secret.encode()
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        server = web.Application(client_max_size=MAX_BODY)
        server.router.add_post(PATH, self.handle)
        self._runner = web.AppRunner(
            server, access_log=None, handle_signals=False, shutdown_timeout=5.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.listen, self.port)
        await site.start()
        log.info("webhook endpoint listening on %s:%s%s", self.listen, self.port, PATH)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def handle(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "surrogateescape")
        if not hmac.compare_digest(given, self._secret):
            return _refuse(403, "wrong or missing secret token")
        if request.content_length is not None and request.content_length > MAX_BODY:
            return _refuse(413, "body too large for an update")
        try:
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return _refuse(413, "body too large for an update")
        data = _update_json(raw)
        if data is None:
            log.warning("webhook: refused a body that is not an update (%d bytes)", len(raw))
            return _refuse(400, "not an update")
        try:
            update = Update.de_json(data, self.app.bot)
        except Exception as error:  # any shape error; the body is not logged
            log.warning(
                "webhook: update %s could not be read (%s)",
                data["update_id"],
                error.__class__.__name__,
            )
            return _refuse(400, "not an update")
        if self.store is not None:
            try:
                await self.store(update)
            except Exception as error:  # not stored: not confirmed, Telegram sends it again
                log.warning(
                    "webhook: update %s not stored (%s)", update.update_id, type(error).__name__
                )
                return _refuse(503, "not stored, send again")
            return web.json_response({"ok": True})
        if isinstance(self.app.bot, ExtBot):
            self.app.bot.insert_callback_data(update)
        await self.app.update_queue.put(update)
        return web.json_response({"ok": True})


def _update_json(raw: bytes) -> dict[str, Any] | None:
    """The body as a JSON object with an integer update_id, or None."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    update_id = data.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool):
        return None
    return data
