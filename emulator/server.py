"""The Bot API emulator over real HTTP (aiohttp, 127.0.0.1).

Routes, as on api.telegram.org:
    /bot<token>/<method>          every Bot API method (GET or POST; JSON, form or multipart)
    /file/bot<token>/<file_path>  file downloads (after getFile)
    /_emulator/...                the control API (control.py, of the first bot)

One server hosts several bots, as a local telegram-bot-api server does: `add_bot` gives another
bot (its own chats, updates and flood control) on the same URL, found by the request's token.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from aiohttp import BodyPartReader, web

# The api_* modules register the Bot API methods when imported.
from emulator import api_bot, api_edits, api_messages, api_payments, api_updates  # noqa: F401
from emulator.core import EmulatorCore
from emulator.dispatch import METHODS, Call, Upload
from emulator.errors import ApiError, bad_request
from emulator.limits import ApiLimits
from emulator.spec import check_request
from emulator.webhook import WebhookSender

log = logging.getLogger(__name__)

COUNTED_ERRORS = ("400", "403", "429")


class BotApiEmulator(EmulatorCore):
    """An in-process Telegram Bot API server for tests, benchmarks and the demo.

    Use `async with BotApiEmulator(...) as emu:` or `await emu.start()` / `await emu.stop()`;
    point python-telegram-bot at `emu.base_url` and `emu.base_file_url`.
    """

    def __init__(
        self,
        token: str = "123456:TEST",
        bot_username: str = "RedPropertyBot",
        limits: ApiLimits | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        wallclock: Callable[[], float] = time.time,
        bot_first_name: str = "Red Property",
    ) -> None:
        self.parent: BotApiEmulator | None = None  # the server hosting this bot (add_bot)
        super().__init__(token, bot_username, limits, monotonic, wallclock, bot_first_name)
        self.host = "127.0.0.1"
        self.port = 0
        self.webhook: WebhookSender | None = None
        self.stopping = False
        self.streams: set[asyncio.Queue[Any]] = set()  # open event streams of the control API
        self._runner: web.AppRunner | None = None
        self.hosted: dict[str, BotApiEmulator] = {token: self}

    # --- several bots ------------------------------------------------------------------
    def add_bot(
        self, token: str, bot_username: str, bot_first_name: str = "Red Property"
    ) -> BotApiEmulator:
        """Another bot on this server (same URL, its own token, username, chats and limits).
        Users are Telegram's, so their ids are numbered across bots: the same person writing to
        two bots is `other.add_user(..., user_id=person.id)`."""
        if token in self.hosted:
            raise ValueError("that bot is already hosted here")
        bot = BotApiEmulator(
            token, bot_username, self.limits, self.monotonic, self.wallclock, bot_first_name
        )
        bot.parent = self
        bot._user_ids = self._user_ids
        self.hosted[token] = bot
        return bot

    def _root(self) -> BotApiEmulator:
        return self.parent if self.parent is not None else self

    def now(self) -> int:
        return int(self.wallclock() + self._root().clock_offset)

    def monotonic_now(self) -> float:
        return self.monotonic() + self._root().clock_offset

    def advance_clock(self, seconds: float) -> None:
        """Telegram has one clock: moving it moves it for every bot of the server."""
        if self.parent is not None:
            self.parent.advance_clock(seconds)
            return
        super().advance_clock(seconds)

    # --- lifecycle -------------------------------------------------------------------
    @property
    def url(self) -> str:
        if self.parent is not None:
            return self.parent.url
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    async def start(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        extra_routes: Callable[[web.Application], None] | None = None,
    ) -> None:
        """Serve the Bot API, files and the control API; `extra_routes` adds more (the demo page)."""
        from emulator.control import add_control_routes

        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        add_control_routes(app, self)
        if extra_routes is not None:
            extra_routes(app)
        self._runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server
        assert server is not None and server.sockets  # type: ignore[attr-defined]
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        self.host = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host  # an address to call
        self.stopping = False
        log.info("Bot API emulator listening on %s", self.url)

    async def stop(self) -> None:
        for bot in self.hosted.values():
            if bot is not self:
                await bot.stop()
        self.stopping = True
        self.updates.wake()  # long polls answer now instead of at their timeout
        for stream in list(self.streams):
            with contextlib.suppress(asyncio.QueueFull):
                stream.put_nowait(None)
        if self.webhook is not None:
            await self.webhook.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> BotApiEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def remove_webhook(self, drop_pending: bool) -> None:
        if self.webhook is not None:
            await self.webhook.stop()
            self.webhook = None
        if drop_pending:
            self.updates.drop_pending()

    # --- HTTP --------------------------------------------------------------------------
    async def _read_call(self, request: web.Request) -> Call:
        params: dict[str, Any] = dict(request.query)
        uploads: dict[str, Upload] = {}
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except json.JSONDecodeError:
                raise bad_request("can't parse JSON request body") from None
            if not isinstance(body, dict):
                raise bad_request("the request body must be a JSON object")
            params.update(body)
        elif request.content_type == "multipart/form-data":
            reader = await request.multipart()
            async for part in reader:
                if not isinstance(part, BodyPartReader):
                    continue
                if part.filename is not None and part.name:
                    data = bytes(await part.read())
                    mime = part.headers.get("Content-Type")
                    uploads[part.name] = Upload(data, part.filename, mime)
                elif part.name:
                    params[part.name] = await part.text()
        elif request.body_exists:
            params.update(await request.post())
        return Call(params, uploads)

    async def _handle_api(self, request: web.Request) -> web.Response:
        bot = self.hosted.get(request.match_info["token"])
        if bot is None:
            self.stats["requests"] += 1
            return _respond(ApiError(401, "Unauthorized").body(), 401)
        return await bot._answer_api(request)

    async def _answer_api(self, request: web.Request) -> web.Response:
        # The network between the bot and Telegram: half the round trip before the server sees
        # the call, half before the bot has the answer (benchmarks; 0 in tests and the demo).
        half_trip = self.limits.round_trip / 2
        if half_trip:
            await asyncio.sleep(half_trip)
        response = await self._answer_call(request)
        if half_trip:
            await asyncio.sleep(half_trip)
        return response

    async def _answer_call(self, request: web.Request) -> web.Response:
        self.stats["requests"] += 1
        method = METHODS.get(request.match_info["method"].lower())
        if method is None:
            self.violations.append((request.match_info["method"], "no such method"))
            return _respond(ApiError(404, "Not Found: method not found").body(), 404)
        counts = self.stats["methods"]
        counts[method.name] = counts.get(method.name, 0) + 1
        try:
            call = await self._read_call(request)
            # Checked against the published spec first; what it finds is recorded, and the
            # method then answers as the real server would.
            for problem in check_request(method.name, call.params, call.uploads):
                self.violations.append((method.name, problem))
            result = await method.handler(self, call)
            gate = self.held_answers.get(method.name)
            if gate is not None:
                await gate.wait()
        except ApiError as error:
            if str(error.code) in COUNTED_ERRORS:
                self.stats[str(error.code)] += 1
            if error.code == 400:
                self.refused.append((method.name, error.description))
            return _respond(error.body(), error.code)
        except Exception:  # an emulator bug: say so loudly, answer like a failing server
            log.exception("emulator failed on %s", method.name)
            return _respond(ApiError(500, "Internal Server Error").body(), 500)
        if method.flood_controlled:
            self.stats["sent"] += 1
        return _respond({"ok": True, "result": result}, 200)

    async def _handle_file(self, request: web.Request) -> web.Response:
        bot = self.hosted.get(request.match_info["token"])
        if bot is None:
            return web.json_response(ApiError(401, "Unauthorized").body(), status=401)
        file_id = request.match_info["path"].rsplit("/", 1)[-1]
        stored = bot.files.get(file_id)
        if stored is None:
            return web.json_response(ApiError(404, "Not Found").body(), status=404)
        return web.Response(
            body=stored.data, content_type=stored.mime_type or "application/octet-stream"
        )


def _respond(body: dict[str, Any], status: int) -> web.Response:
    # ensure_ascii=False: Chinese texts travel as UTF-8, about a third of the escaped size.
    return web.Response(
        text=json.dumps(body, ensure_ascii=False), status=status, content_type="application/json"
    )
