"""The Bot API emulator: the methods the bot uses, over real HTTP, with Telegram's limits."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from aiohttp import ClientSession, ClientTimeout, web

from emulator.formatting import ParseError, to_plain
from emulator.limits import ApiLimits, FloodControl
from emulator.state import Chat, ChatMessage, Counter, StoredFile

log = logging.getLogger(__name__)

JSON_FIELDS = {
    "reply_markup", "entities", "caption_entities", "link_preview_options", "reply_parameters",
    "media", "commands", "scope", "allowed_updates", "menu_button", "prices", "results",
}  # fmt: skip
SEND_METHODS = {
    "sendMessage",
    "sendPhoto",
    "sendDocument",
    "sendLocation",
    "sendMediaGroup",
    "sendInvoice",
}


class ApiError(Exception):
    def __init__(
        self, code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


class BotApiEmulator:
    """An in-process Telegram Bot API server for tests, benchmarks and the demo."""

    def __init__(
        self,
        token: str = "123456:TEST",
        bot_username: str = "RedPropertyBot",
        limits: ApiLimits | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_username = bot_username
        self.limits = limits or ApiLimits()
        self.flood = FloodControl(self.limits, monotonic)
        self.users: dict[int, Any] = {}
        self.chats: dict[int, Chat] = {}
        self.files: dict[str, StoredFile] = {}
        self.commands: dict[tuple[str, int | None, str], list[dict[str, str]]] = {}
        self.callback_queries: dict[str, dict[str, Any]] = {}
        self.stats: dict[str, Any] = {
            "requests": 0,
            "sent": 0,
            "429": 0,
            "403": 0,
            "400": 0,
            "methods": {},
        }
        self.port = 0
        self._updates: deque[dict[str, Any]] = deque()
        self._update_ids = Counter(1)
        self._message_ids = Counter(1)
        self._user_ids = Counter(1000001)
        self._file_ids = Counter(1)
        self._query_ids = Counter(1)
        self._confirmed = 0
        self._delivered: dict[int, dict[str, Any]] = {}  # recent confirmed updates, for redeliver()
        self._changed = asyncio.Condition()
        self._new_update = asyncio.Event()
        self._subscribers: list[Callable[[dict[str, Any]], None]] = []
        self.webhook: dict[str, Any] | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._runner: web.AppRunner | None = None
        self.streams: set[asyncio.Queue[Any]] = set()  # open event streams of the control API

    # --- lifecycle -------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        from emulator.control import add_control_routes

        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.*}", self._handle_file)
        add_control_routes(app, self)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        for stream in list(self.streams):
            with contextlib.suppress(asyncio.QueueFull):
                stream.put_nowait(None)
        if self._webhook_task is not None:
            self._webhook_task.cancel()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> BotApiEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def set_limits(self, limits: ApiLimits) -> None:
        self.limits = limits
        self.flood.configure(limits)

    # --- users -------------------------------------------------------------------------
    def add_user(
        self,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "zh-hans",
        user_id: int | None = None,
    ):  # type: ignore[no-untyped-def]
        from emulator.users import EmulatedUser

        uid = user_id if user_id is not None else self._user_ids.next()
        user = EmulatedUser(self, uid, first_name, last_name, username, language_code)
        self.users[uid] = user
        self.chats.setdefault(uid, Chat(uid))
        return user

    def user(self, user_id: int):  # type: ignore[no-untyped-def]
        return self.users[user_id]

    def block(self, user_id: int) -> None:
        self.chats[user_id].blocked = True

    def unblock(self, user_id: int) -> None:
        self.chats[user_id].blocked = False

    def history(self, chat_id: int) -> list[ChatMessage]:
        return self.chats[chat_id].messages

    def file_bytes(self, file_id: str) -> bytes:
        return self.files[file_id].data

    def bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Red Property",
            "username": self.bot_username,
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    # --- events ------------------------------------------------------------------------
    def subscribe(self, callback: Callable[[dict[str, Any]], None]) -> None:
        self._subscribers.append(callback)

    def unsubscribe(self, callback: Callable[[dict[str, Any]], None]) -> None:
        if callback in self._subscribers:
            self._subscribers.remove(callback)

    def _emit(self, event: dict[str, Any]) -> None:
        for callback in list(self._subscribers):
            try:
                callback(event)
            except Exception:  # a broken subscriber must not break the API
                log.exception("emulator subscriber failed")
        asyncio.get_running_loop().create_task(self._notify())

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout):
            async with self._changed:
                await self._changed.wait_for(predicate)

    # --- updates -----------------------------------------------------------------------
    def _queue_update(self, payload: dict[str, Any]) -> int:
        update_id = self._update_ids.next()
        self._updates.append({"update_id": update_id, **payload})
        self._new_update.set()
        return update_id

    def redeliver(self, update_id: int) -> None:
        """Deliver an already confirmed update again, as Telegram may after a crash."""
        raise_if_missing = self._delivered.get(update_id)
        if raise_if_missing is None:
            raise KeyError(update_id)
        self._updates.append(raise_if_missing)
        self._new_update.set()

    def release_pollers(self) -> None:
        """Answer waiting long polls now (empty), so a bot that is stopping need not wait."""
        self._new_update.set()

    @property
    def pending_update_count(self) -> int:
        return len(self._updates)

    def user_message(self, user_id: int, **content: Any) -> tuple[int, ChatMessage]:
        """A message from a user to the bot; returns (update_id, message)."""
        user = self.users[user_id]
        chat = self.chats[user_id]
        message_id = self._message_ids.next()
        raw: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": user.first_name},
            "from": user.as_json(),
        }
        raw.update(content)
        kind = next(
            (k for k in ("photo", "document", "location", "contact") if k in content), "text"
        )
        message = ChatMessage(
            message_id=message_id,
            chat_id=user_id,
            from_bot=False,
            date=raw["date"],
            kind=kind,
            text=content.get("text"),
            caption=content.get("caption"),
            photo_file_id=content["photo"][-1]["file_id"] if "photo" in content else None,
            document=content.get("document"),
            location=content.get("location"),
            raw=raw,
        )
        chat.add(message)
        if chat.one_time_keyboard:
            chat.reply_keyboard = None
        self._emit({"type": "message", "chat_id": user_id, "message": message.to_json()})
        return self._queue_update({"message": raw}), message

    def callback_query(self, user_id: int, message_id: int, data: str) -> int:
        message = self.chats[user_id].by_id.get(message_id)
        query_id = str(self._query_ids.next())
        payload = {
            "id": query_id,
            "from": self.users[user_id].as_json(),
            "chat_instance": str(user_id),
            "data": data,
        }
        if message is not None:
            payload["message"] = message.raw
        self.callback_queries[query_id] = {"user_id": user_id, "answered": False}
        return self._queue_update({"callback_query": payload})

    def store_file(
        self, data: bytes, file_name: str | None = None, mime_type: str | None = None
    ) -> StoredFile:
        number = self._file_ids.next()
        stored = StoredFile(f"F{number:08d}", f"U{number:08d}", data, file_name, mime_type)
        self.files[stored.file_id] = stored
        return stored

    def photo_sizes(self, stored: StoredFile) -> list[dict[str, Any]]:
        return [
            {"file_id": stored.file_id, "file_unique_id": stored.unique_id, "width": 90, "height": 90,
             "file_size": len(stored.data)},
            {"file_id": stored.file_id, "file_unique_id": stored.unique_id, "width": 800, "height": 800,
             "file_size": len(stored.data)},
        ]  # fmt: skip

    async def wait_confirmed(self, update_id: int, timeout: float = 5.0) -> None:
        await self.wait_for(lambda: self._confirmed >= update_id, timeout)

    # --- HTTP API ----------------------------------------------------------------------
    async def _params(self, request: web.Request) -> tuple[dict[str, Any], dict[str, StoredFile]]:
        params: dict[str, Any] = dict(request.query)
        uploads: dict[str, StoredFile] = {}
        if request.content_type == "application/json":
            body = await request.json()
            params.update(body or {})
            return params, uploads
        if request.content_type == "multipart/form-data":
            reader = await request.multipart()
            async for part in reader:
                if part.filename is not None:
                    data = await part.read()
                    uploads[part.name] = self.store_file(
                        bytes(data), part.filename, part.headers.get("Content-Type")
                    )
                else:
                    params[part.name] = await part.text()
        elif request.can_read_body:
            params.update(dict(await request.post()))
        for key in JSON_FIELDS & params.keys():
            if isinstance(params[key], str):
                try:
                    params[key] = json.loads(params[key])
                except json.JSONDecodeError as error:
                    raise ApiError(400, f"Bad Request: can't parse {key} JSON object") from error
        return params, uploads

    async def _handle_api(self, request: web.Request) -> web.Response:
        self.stats["requests"] += 1
        method = request.match_info["method"]
        self.stats["methods"][method] = self.stats["methods"].get(method, 0) + 1
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        handler = getattr(self, f"api_{method.lower()}", None)
        if handler is None:
            return _error(404, "Not Found: method not found")
        try:
            params, uploads = await self._params(request)
            if method in SEND_METHODS:
                chat = self._chat(params)
                if chat.blocked:
                    raise ApiError(403, "Forbidden: bot was blocked by the user")
                wait = self.flood.check(chat.user_id)
                if wait is not None:
                    raise ApiError(
                        429, f"Too Many Requests: retry after {wait}", {"retry_after": wait}
                    )
            result = await handler(params, uploads)
        except ApiError as error:
            key = str(error.code)
            if key in self.stats:
                self.stats[key] += 1
            return _error(error.code, error.description, error.parameters)
        if method in SEND_METHODS:
            self.stats["sent"] += 1
        return web.json_response({"ok": True, "result": result})

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        file_id = request.match_info["path"].rsplit("/", 1)[-1]
        stored = self.files.get(file_id)
        if stored is None:
            return web.Response(status=404)
        return web.Response(
            body=stored.data, content_type=stored.mime_type or "application/octet-stream"
        )

    def _chat(self, params: dict[str, Any]) -> Chat:
        try:
            chat = self.chats.get(int(params.get("chat_id", "")))
        except (TypeError, ValueError):
            chat = None
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        return chat

    def _bot_message(self, chat: Chat, params: dict[str, Any], **content: Any) -> ChatMessage:
        message_id = self._message_ids.next()
        raw: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {
                "id": chat.user_id,
                "type": "private",
                "first_name": self.users[chat.user_id].first_name,
            },
            "from": self.bot_user(),
        }
        message = ChatMessage(
            message_id=message_id, chat_id=chat.user_id, from_bot=True, date=raw["date"]
        )
        for key, value in content.items():
            setattr(message, key, value)
        if message.text is not None:
            raw["text"] = message.text
        if message.caption is not None:
            raw["caption"] = message.caption
        self._apply_markup(chat, message, raw, params.get("reply_markup"))
        message.raw = raw
        chat.add(message)
        self._emit({"type": "message", "chat_id": chat.user_id, "message": message.to_json()})
        return message

    def _apply_markup(
        self, chat: Chat, message: ChatMessage, raw: dict[str, Any], markup: Any
    ) -> None:
        if not markup:
            return
        if "inline_keyboard" in markup:
            keyboard = markup["inline_keyboard"]
            for row in keyboard:
                for button in row:
                    self._check_button(button)
            message.inline_keyboard = keyboard
            raw["reply_markup"] = {"inline_keyboard": keyboard}
        elif "keyboard" in markup:
            chat.reply_keyboard = [
                [b if isinstance(b, str) else b.get("text", "") for b in row]
                for row in markup["keyboard"]
            ]
            chat.one_time_keyboard = bool(markup.get("one_time_keyboard"))
        elif markup.get("remove_keyboard"):
            chat.reply_keyboard = None

    def _check_button(self, button: dict[str, Any]) -> None:
        if not button.get("text"):
            raise ApiError(400, "Bad Request: text buttons are unallowed in the inline keyboard")
        kinds = [
            k
            for k in ("callback_data", "url", "switch_inline_query", "pay", "web_app")
            if k in button
        ]
        if len(kinds) != 1:
            raise ApiError(
                400, "Bad Request: can't parse inline keyboard button: exactly one field expected"
            )
        data = button.get("callback_data")
        if data is not None and not 1 <= len(str(data).encode()) <= self.limits.max_callback_data:
            raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        url = button.get("url")
        if url is not None and not str(url).startswith(("http://", "https://", "tg://")):
            raise ApiError(400, "Bad Request: inline keyboard button URL is invalid")

    def _text(
        self, params: dict[str, Any], key: str, limit: int, required: bool
    ) -> tuple[str | None, str | None]:
        source = params.get(key)
        if source is None or source == "":
            if required:
                raise ApiError(400, "Bad Request: message text is empty")
            return None, None
        try:
            plain = to_plain(str(source), params.get("parse_mode"))
        except ParseError as error:
            raise ApiError(400, f"Bad Request: can't parse entities: {error}") from error
        if required and not plain.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(plain) > limit:
            what = "message is too long" if key == "text" else "message caption is too long"
            raise ApiError(400, f"Bad Request: {what}")
        html = str(source) if (params.get("parse_mode") or "").lower() == "html" else None
        return plain, html

    def _file(self, params: dict[str, Any], uploads: dict[str, StoredFile], key: str) -> StoredFile:
        if key in uploads:
            return uploads[key]
        reference = params.get(key)
        if isinstance(reference, str) and reference.startswith("attach://"):
            name = reference.removeprefix("attach://")
            if name in uploads:
                return uploads[name]
        if isinstance(reference, str) and reference in self.files:
            return self.files[reference]
        raise ApiError(400, f"Bad Request: wrong file identifier/HTTP URL specified ({key})")

    # --- methods (api_<lowercase name>) ------------------------------------------------
    async def api_getme(self, params: dict[str, Any], uploads: dict[str, StoredFile]) -> Any:
        return self.bot_user()

    async def api_logout(self, params: dict[str, Any], uploads: dict[str, StoredFile]) -> Any:
        return True

    api_close = api_logout

    async def api_getupdates(self, params: dict[str, Any], uploads: dict[str, StoredFile]) -> Any:
        if self.webhook is not None:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                                "use deleteWebhook to delete the webhook first")  # fmt: skip
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        self._confirm(offset - 1)
        if not self._updates and timeout > 0:
            self._new_update.clear()
            try:
                async with asyncio.timeout(timeout):
                    await self._new_update.wait()
            except TimeoutError:
                pass
        return list(itertools_islice(self._updates, limit))

    def _confirm(self, up_to: int) -> None:
        while self._updates and self._updates[0]["update_id"] <= up_to:
            update = self._updates.popleft()
            self._delivered[update["update_id"]] = update
            if len(self._delivered) > 20000:
                del self._delivered[next(iter(self._delivered))]
        if up_to > self._confirmed:
            self._confirmed = up_to
            asyncio.get_running_loop().create_task(self._notify())

    async def api_setwebhook(self, params: dict[str, Any], uploads: dict[str, StoredFile]) -> Any:
        url = params.get("url") or ""
        if not url:
            return await self.api_deletewebhook(params, uploads)
        if not url.startswith(
            ("http://127.0.0.1", "http://localhost", "https://127.0.0.1", "https://localhost")
        ):
            raise ApiError(
                400, "Bad Request: bad webhook: only local addresses are allowed in the emulator"
            )
        if str(params.get("drop_pending_updates")).lower() == "true":
            self._updates.clear()
        self.webhook = {"url": url, "secret_token": params.get("secret_token")}
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.get_running_loop().create_task(self._deliver_webhooks())
        self._new_update.set()
        return True

    async def api_deletewebhook(
        self, params: dict[str, Any], uploads: dict[str, StoredFile]
    ) -> Any:
        self.webhook = None
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            self._webhook_task = None
        if str(params.get("drop_pending_updates")).lower() == "true":
            self._updates.clear()
        return True

    async def api_getwebhookinfo(
        self, params: dict[str, Any], uploads: dict[str, StoredFile]
    ) -> Any:
        return {
            "url": (self.webhook or {}).get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    async def _deliver_webhooks(self) -> None:
        async with ClientSession(timeout=ClientTimeout(total=30)) as http:
            while self.webhook is not None:
                if not self._updates:
                    self._new_update.clear()
                    await self._new_update.wait()
                    continue
                update = self._updates[0]
                headers = {}
                if self.webhook.get("secret_token"):
                    headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook["secret_token"]
                delay = 0.05
                for _attempt in range(20):
                    try:
                        async with http.post(
                            self.webhook["url"], json=update, headers=headers
                        ) as response:
                            if 200 <= response.status < 300:
                                break
                    except Exception as error:  # connection refused while the bot starts, etc.
                        log.debug("webhook delivery failed: %s", error)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 2)
                self._confirm(update["update_id"])

    async def api_sendmessage(self, params: dict[str, Any], uploads: dict[str, StoredFile]) -> Any:
        chat = self._chat(params)
        text, html = self._text(params, "text", self.limits.max_text, required=True)
        message = self._bot_message(
            chat, params, text=text, html=html, parse_mode=params.get("parse_mode")
        )
        return message.raw

    async def api_sendphoto(self, params: dict[str, Any], uploads: dict[str, StoredFile]) -> Any:
        chat = self._chat(params)
        stored = self._file(params, uploads, "photo")
        caption, html = self._text(params, "caption", self.limits.max_caption, required=False)
        message = self._bot_message(
            chat, params, kind="photo", caption=caption, html=html, photo_file_id=stored.file_id
        )
        message.raw["photo"] = self.photo_sizes(stored)
        return message.raw

    async def api_senddocument(self, params: dict[str, Any], uploads: dict[str, StoredFile]) -> Any:
        chat = self._chat(params)
        stored = self._file(params, uploads, "document")
        caption, html = self._text(params, "caption", self.limits.max_caption, required=False)
        document = {
            "file_id": stored.file_id,
            "file_unique_id": stored.unique_id,
            "file_name": stored.file_name,
            "mime_type": stored.mime_type,
            "file_size": len(stored.data),
        }
        message = self._bot_message(
            chat, params, kind="document", caption=caption, html=html, document=document
        )
        message.raw["document"] = document
        return message.raw

    async def api_sendlocation(self, params: dict[str, Any], uploads: dict[str, StoredFile]) -> Any:
        chat = self._chat(params)
        location = {"latitude": float(params["latitude"]), "longitude": float(params["longitude"])}
        message = self._bot_message(chat, params, kind="location", location=location)
        message.raw["location"] = location
        return message.raw

    async def api_sendmediagroup(
        self, params: dict[str, Any], uploads: dict[str, StoredFile]
    ) -> Any:
        chat = self._chat(params)
        results = []
        for item in params.get("media") or []:
            stored = self._file({"media": item.get("media")}, uploads, "media")
            caption, html = self._text(
                {"caption": item.get("caption"), "parse_mode": item.get("parse_mode")},
                "caption", self.limits.max_caption, required=False,
            )  # fmt: skip
            if item.get("type") == "document":
                document = {"file_id": stored.file_id, "file_unique_id": stored.unique_id,
                            "file_name": stored.file_name, "mime_type": stored.mime_type}  # fmt: skip
                message = self._bot_message(
                    chat, {}, kind="document", caption=caption, html=html, document=document
                )
                message.raw["document"] = document
            else:
                message = self._bot_message(
                    chat, {}, kind="photo", caption=caption, html=html, photo_file_id=stored.file_id
                )
                message.raw["photo"] = self.photo_sizes(stored)
            results.append(message.raw)
        return results

    async def api_sendchataction(
        self, params: dict[str, Any], uploads: dict[str, StoredFile]
    ) -> Any:
        self._chat(params)
        return True

    def _edit_target(self, params: dict[str, Any]) -> tuple[Chat, ChatMessage]:
        chat = self._chat(params)
        if chat.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        message = chat.by_id.get(int(params.get("message_id") or 0))
        if message is None or not message.from_bot:
            raise ApiError(400, "Bad Request: message to edit not found")
        return chat, message

    async def api_editmessagetext(
        self, params: dict[str, Any], uploads: dict[str, StoredFile]
    ) -> Any:
        chat, message = self._edit_target(params)
        text, html = self._text(params, "text", self.limits.max_text, required=True)
        keyboard = (params.get("reply_markup") or {}).get("inline_keyboard")
        if text == message.text and keyboard == message.inline_keyboard:
            raise ApiError(400, "Bad Request: message is not modified: specified new message content and "
                                "reply markup are exactly the same as a current content and reply markup of the message")  # fmt: skip
        message.text, message.html, message.edited = text, html, True
        message.raw["text"] = text
        self._replace_keyboard(message, keyboard)
        self._emit({"type": "edit", "chat_id": chat.user_id, "message": message.to_json()})
        return message.raw

    async def api_editmessagecaption(
        self, params: dict[str, Any], uploads: dict[str, StoredFile]
    ) -> Any:
        chat, message = self._edit_target(params)
        caption, html = self._text(params, "caption", self.limits.max_caption, required=False)
        keyboard = (params.get("reply_markup") or {}).get("inline_keyboard")
        if caption == message.caption and keyboard == message.inline_keyboard:
            raise ApiError(400, "Bad Request: message is not modified")
        message.caption, message.html, message.edited = caption, html, True
        message.raw["caption"] = caption
        self._replace_keyboard(message, keyboard)
        self._emit({"type": "edit", "chat_id": chat.user_id, "message": message.to_json()})
        return message.raw

    async def api_editmessagereplymarkup(
        self, params: dict[str, Any], uploads: dict[str, StoredFile]
    ) -> Any:
        chat, message = self._edit_target(params)
        keyboard = (params.get("reply_markup") or {}).get("inline_keyboard")
        if keyboard == message.inline_keyboard:
            raise ApiError(400, "Bad Request: message is not modified")
        self._replace_keyboard(message, keyboard)
        message.edited = True
        self._emit({"type": "edit", "chat_id": chat.user_id, "message": message.to_json()})
        return message.raw

    def _replace_keyboard(
        self, message: ChatMessage, keyboard: list[list[dict[str, Any]]] | None
    ) -> None:
        for row in keyboard or []:
            for button in row:
                self._check_button(button)
        message.inline_keyboard = keyboard
        if keyboard:
            message.raw["reply_markup"] = {"inline_keyboard": keyboard}
        else:
            message.raw.pop("reply_markup", None)

    async def api_deletemessage(
        self, params: dict[str, Any], uploads: dict[str, StoredFile]
    ) -> Any:
        chat = self._chat(params)
        message_id = int(params.get("message_id") or 0)
        if not chat.remove(message_id):
            raise ApiError(400, "Bad Request: message to delete not found")
        self._emit(
            {"type": "delete", "chat_id": chat.user_id, "message": {"message_id": message_id}}
        )
        return True

    async def api_answercallbackquery(
        self, params: dict[str, Any], uploads: dict[str, StoredFile]
    ) -> Any:
        query = self.callback_queries.get(str(params.get("callback_query_id")))
        if query is None or query["answered"]:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        query.update(answered=True, text=params.get("text"),
                     show_alert=str(params.get("show_alert")).lower() == "true")  # fmt: skip
        user = self.users[query["user_id"]]
        answer = {"query_id": str(params.get("callback_query_id")), "text": query["text"],
                  "show_alert": query["show_alert"], "answered": True}  # fmt: skip
        user.callback_answers.append(answer)
        self._emit({"type": "callback_answer", "chat_id": query["user_id"], "answer": answer})
        return True

    async def api_getfile(self, params: dict[str, Any], uploads: dict[str, StoredFile]) -> Any:
        stored = self.files.get(str(params.get("file_id")))
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        return {"file_id": stored.file_id, "file_unique_id": stored.unique_id,
                "file_size": len(stored.data), "file_path": f"files/{stored.file_id}"}  # fmt: skip

    @staticmethod
    def _scope_key(scope: dict[str, Any] | None) -> tuple[str, int | None]:
        scope = scope or {"type": "default"}
        chat_id = scope.get("chat_id")
        return scope.get("type", "default"), int(chat_id) if chat_id is not None else None

    async def api_setmycommands(
        self, params: dict[str, Any], uploads: dict[str, StoredFile]
    ) -> Any:
        commands = params.get("commands") or []
        for command in commands:
            if not (
                1 <= len(command.get("command", "")) <= 32
                and 1 <= len(command.get("description", "")) <= 256
            ):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
        kind, chat_id = self._scope_key(params.get("scope"))
        self.commands[(kind, chat_id, params.get("language_code") or "")] = commands
        return True

    async def api_getmycommands(
        self, params: dict[str, Any], uploads: dict[str, StoredFile]
    ) -> Any:
        kind, chat_id = self._scope_key(params.get("scope"))
        return self.commands.get((kind, chat_id, params.get("language_code") or ""), [])

    async def api_deletemycommands(
        self, params: dict[str, Any], uploads: dict[str, StoredFile]
    ) -> Any:
        kind, chat_id = self._scope_key(params.get("scope"))
        self.commands.pop((kind, chat_id, params.get("language_code") or ""), None)
        return True

    def commands_for(self, user_id: int, language_code: str | None) -> list[dict[str, str]]:
        """The menu a user sees, resolved the way Telegram resolves command scopes."""
        language = (language_code or "").split("-")[0].lower()
        order = [("chat", user_id), ("all_private_chats", None), ("default", None)]
        for kind, chat_id in order:
            for lang in ([language] if language else []) + [""]:
                commands = self.commands.get((kind, chat_id, lang))
                if commands:
                    return commands
        return []

    async def api_setchatmenubutton(
        self, params: dict[str, Any], uploads: dict[str, StoredFile]
    ) -> Any:
        return True

    async def api_getchatmenubutton(
        self, params: dict[str, Any], uploads: dict[str, StoredFile]
    ) -> Any:
        return {"type": "commands"}

    async def api_setmydescription(
        self, params: dict[str, Any], uploads: dict[str, StoredFile]
    ) -> Any:
        return True

    api_setmyshortdescription = api_setmydescription
    api_setmyname = api_setmydescription

    async def api_getchat(self, params: dict[str, Any], uploads: dict[str, StoredFile]) -> Any:
        chat = self._chat(params)
        user = self.users[chat.user_id]
        return {"id": chat.user_id, "type": "private", "first_name": user.first_name,
                "accent_color_id": 0, "max_reaction_count": 11}  # fmt: skip


def itertools_islice(items: deque[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    result = []
    for item in items:
        if len(result) >= limit:
            break
        result.append(item)
    return result


def _error(code: int, description: str, parameters: dict[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=code)
