"""The webhook endpoint (`bot.py run --webhook`): Telegram POSTs each update to WEBHOOK_URL, which
a reverse proxy passes to this server on WEBHOOK_LISTEN:WEBHOOK_PORT, path /telegram.

Recorded bots (`--bot NAME`, `--all-bots`; models.bots) share the endpoint, each on its own path
and with its own secret: bot 654321 on `<WEBHOOK_URL>/654321`, path /telegram/654321, secret
HMAC-SHA256(WEBHOOK_SECRET, "654321") in hex (`bot_url`, `bot_path`, `bot_secret`), so one
reverse proxy rule (the path prefix) serves every bot and one bot's secret opens no other's
path. TELEGRAM_TOKEN's bot keeps WEBHOOK_URL, /telegram and WEBHOOK_SECRET.

A small aiohttp server instead of PTB's tornado one, for three guarantees: a request that is not
an update (malformed JSON, invalid UTF-8, deep nesting, not an object, too large) is answered
4xx, never 500; no request body is ever logged (an update carries residents' messages); the
secret header is compared in constant time.

With `store` (the inbox, handlers/intake.py) an update is stored and committed before the answer
200: a receiver killed before that commit never answered, so Telegram delivers the update again.
A database that cannot take it is answered 503, which Telegram retries too.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
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


def bot_path(account: int | None) -> str:
    """The endpoint's path for a recorded bot (None: TELEGRAM_TOKEN's bot)."""
    return PATH if account is None else f"{PATH}/{account}"


def bot_url(url: str, account: int | None) -> str:
    """The URL given to setWebhook: WEBHOOK_URL, and the bot's id after it for a recorded bot."""
    return url if account is None else f"{url.rstrip('/')}/{account}"


def bot_secret(secret: str, account: int | None) -> str:
    """The secret token of a bot: WEBHOOK_SECRET, or for a recorded bot an HMAC of its id keyed
    with it (64 hex digits: setWebhook takes 1-256 of A-Z, a-z, 0-9, _ and -)."""
    if account is None:
        return secret
    return hmac.new(secret.encode(), str(account).encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class _Endpoint:
    app: Application
    secret: bytes
    store: Callable[[Update], Awaitable[None]] | None


def _refuse(status: int, reason: str) -> web.Response:
    return web.json_response({"ok": False, "error": reason}, status=status)


class WebhookServer:
    """Serves `POST /telegram` and stores each update in the inbox (`store`), or, without it, puts
    it on the application's update queue; `add` serves another bot on another path."""

    def __init__(
        self,
        app: Application,
        *,
        listen: str,
        port: int,
        secret: str,
        store: Callable[[Update], Awaitable[None]] | None = None,
        path: str = PATH,
    ) -> None:
        self.app = app
        self.store = store
        self.listen = listen
        self.port = port
        self._endpoints: dict[str, _Endpoint] = {}
        self._first = path
        self.add(path, app, secret=secret, store=store)
        self._runner: web.AppRunner | None = None

    def add(
        self,
        path: str,
        app: Application,
        *,
        secret: str,
        store: Callable[[Update], Awaitable[None]] | None = None,
    ) -> None:
        """Another bot's endpoint, before `start`."""
        if path in self._endpoints:
            raise ValueError(f"{path} is served already")
        self._endpoints[path] = _Endpoint(app, secret.encode(), store)

    async def start(self) -> None:
        server = web.Application(client_max_size=MAX_BODY)
        for path, endpoint in self._endpoints.items():
            server.router.add_post(path, partial(self._handle, endpoint))
        self._runner = web.AppRunner(
            server, access_log=None, handle_signals=False, shutdown_timeout=5.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.listen, self.port)
        await site.start()
        log.info(
            "webhook endpoint listening on %s:%s%s",
            self.listen,
            self.port,
            ", ".join(self._endpoints),
        )

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def handle(self, request: web.Request) -> web.Response:
        """An update for the first bot's endpoint."""
        return await self._handle(self._endpoints[self._first], request)

    async def _handle(self, endpoint: _Endpoint, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "surrogateescape")
        if not hmac.compare_digest(given, endpoint.secret):
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
            update = Update.de_json(data, endpoint.app.bot)
        except Exception as error:  # any shape error; the body is not logged
            log.warning(
                "webhook: update %s could not be read (%s)",
                data["update_id"],
                error.__class__.__name__,
            )
            return _refuse(400, "not an update")
        if endpoint.store is not None:
            try:
                await endpoint.store(update)
            except Exception as error:  # not stored: not confirmed, Telegram sends it again
                log.warning(
                    "webhook: update %s not stored (%s)", update.update_id, type(error).__name__
                )
                return _refuse(503, "not stored, send again")
            return web.json_response({"ok": True})
        if isinstance(endpoint.app.bot, ExtBot):
            endpoint.app.bot.insert_callback_data(update)
        await endpoint.app.update_queue.put(update)
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
