"""The control API under /_emulator/: act as users and watch chats over HTTP, for the browser
demo and for drivers in other processes. Everything is JSON except file downloads and the
Server-Sent Events stream.

    GET  users                      POST users {first_name, last_name?, username?, language_code?,
                                                started? (false: never pressed Start)}
    POST send {user_id, text}       POST send_location {user_id, latitude, longitude}
    POST send_contact {user_id, phone_number?}
    POST send_photo / send_document (multipart: user_id, caption?, file)
    POST press {user_id, message_id, callback_data}   POST press_button {user_id, text, message_id?}
    POST pay {user_id, message_id?}  (tap Pay on an invoice)
    GET  history/{chat_id}          GET keyboard/{chat_id}      GET commands/{user_id}
    GET  files/{file_id}            GET events[?chat_id=]  (text/event-stream)
    POST block / unblock {user_id}  POST limits {ApiLimits fields}   GET stats
    POST clock {advance: seconds}   (the emulator's clock; answers {"offset": seconds})
    GET  violations                 (requests the real server would not take, as recorded)

The first bot of the server by default; another hosted bot (BotApiEmulator.add_bot) by its
username: `bot` in a JSON body or a multipart form, `?bot=` on a GET (users, history, keyboard,
commands, events).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from aiohttp import web

from emulator.limits import ApiLimits

if TYPE_CHECKING:
    from emulator.server import BotApiEmulator
    from emulator.users import EmulatedUser

STREAM_QUEUE = 1000  # events buffered per SSE client; a slower client loses events
KEEP_ALIVE = 15.0


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(
        text=json.dumps(data, ensure_ascii=False), status=status, content_type="application/json"
    )


def _fail(status: int, message: str) -> web.HTTPException:
    error = {400: web.HTTPBadRequest, 404: web.HTTPNotFound}[status]
    return error(text=json.dumps({"error": message}), content_type="application/json")


def add_control_routes(app: web.Application, emulator: BotApiEmulator) -> None:
    routes = web.RouteTableDef()

    def hosted(name: Any) -> BotApiEmulator:
        """The bot a request is for: the first one, or another hosted one by its username."""
        if not name:
            return emulator
        wanted = str(name).lstrip("@").lower()
        for bot in emulator.hosted.values():
            if bot.bot_username.lower() == wanted:
                return bot
        raise _fail(404, f"unknown bot {name!r}")

    def user_json(user: EmulatedUser, bot: BotApiEmulator) -> dict[str, Any]:
        chat = bot.chats[user.id]
        return {**user.as_json(), "blocked": chat.blocked, "started": chat.started}

    def find_user(user_id: Any, bot: Any = None) -> EmulatedUser:
        try:
            return hosted(bot).users[int(user_id)]
        except (KeyError, TypeError, ValueError):
            raise _fail(404, f"unknown user {user_id!r}") from None

    async def body(request: web.Request) -> dict[str, Any]:
        try:
            data = await request.json()
        except json.JSONDecodeError:
            raise _fail(400, "the body must be JSON") from None
        if not isinstance(data, dict):
            raise _fail(400, "the body must be a JSON object")
        return data

    def acting(handler: Callable[[dict[str, Any]], int]) -> Callable[..., Awaitable[web.Response]]:
        """A user action from a JSON body; answers {"update_id": ...} or a 400/404."""

        async def route(request: web.Request) -> web.Response:
            data = await body(request)
            try:
                return _json({"update_id": handler(data)})
            except (KeyError, TypeError, ValueError, LookupError) as error:
                raise _fail(400, f"{error.__class__.__name__}: {error}") from None

        return route

    @routes.get("/_emulator/users")
    async def users(request: web.Request) -> web.Response:
        bot = hosted(request.query.get("bot"))
        return _json([user_json(u, bot) for u in bot.users.values()])

    @routes.post("/_emulator/users")
    async def add_user(request: web.Request) -> web.Response:
        data = await body(request)
        if not str(data.get("first_name", "")).strip():
            raise _fail(400, "first_name is required")
        bot = hosted(data.get("bot"))
        user = bot.add_user(
            first_name=str(data["first_name"]),
            last_name=data.get("last_name"),
            username=data.get("username"),
            language_code=data.get("language_code", "zh-hans"),
            started=bool(data.get("started", True)),
        )
        return _json(user_json(user, bot))

    def send(d: dict[str, Any]) -> int:
        return find_user(d.get("user_id"), d.get("bot")).send(str(d["text"]))

    def send_location(d: dict[str, Any]) -> int:
        return find_user(d.get("user_id"), d.get("bot")).send_location(
            d["latitude"], d["longitude"]
        )

    def send_contact(d: dict[str, Any]) -> int:
        return find_user(d.get("user_id"), d.get("bot")).send_contact(d.get("phone_number"))

    def press(d: dict[str, Any]) -> int:
        return find_user(d.get("user_id"), d.get("bot")).press(
            int(d["message_id"]), str(d["callback_data"])
        )

    def press_button(d: dict[str, Any]) -> int:
        return find_user(d.get("user_id"), d.get("bot")).press_button(
            str(d["text"]), d.get("message_id")
        )

    def pay(d: dict[str, Any]) -> int:
        return find_user(d.get("user_id"), d.get("bot")).pay(
            int(d["message_id"]) if d.get("message_id") else None
        )

    for action in (send, send_location, send_contact, press, press_button, pay):
        routes.post(f"/_emulator/{action.__name__}")(acting(action))

    async def upload(request: web.Request) -> tuple[EmulatedUser, Any, str | None]:
        form = await request.post()
        file = form.get("file")
        if not isinstance(file, web.FileField):
            raise _fail(400, "a multipart 'file' part is required")
        caption = form.get("caption")
        return (
            find_user(form.get("user_id"), form.get("bot")),
            file,
            str(caption) if caption else None,
        )

    @routes.post("/_emulator/send_photo")
    async def send_photo(request: web.Request) -> web.Response:
        user, file, caption = await upload(request)
        return _json({"update_id": user.send_photo(file.file.read(), caption)})

    @routes.post("/_emulator/send_document")
    async def send_document(request: web.Request) -> web.Response:
        user, file, caption = await upload(request)
        mime = file.content_type or "application/octet-stream"
        update_id = user.send_document(file.file.read(), file.filename, mime, caption)
        return _json({"update_id": update_id})

    def chat_of(request: web.Request, key: str = "chat_id") -> Any:
        try:
            return hosted(request.query.get("bot")).chats[int(request.match_info[key])]
        except (KeyError, ValueError):
            raise _fail(404, "unknown chat") from None

    @routes.get("/_emulator/history/{chat_id}")
    async def history(request: web.Request) -> web.Response:
        return _json([m.to_json() for m in chat_of(request).messages])

    @routes.get("/_emulator/keyboard/{chat_id}")
    async def keyboard(request: web.Request) -> web.Response:
        return _json(chat_of(request).keyboard_labels)

    @routes.get("/_emulator/commands/{user_id}")
    async def commands(request: web.Request) -> web.Response:
        user = find_user(request.match_info["user_id"], request.query.get("bot"))
        return _json([{"command": c, "description": d} for c, d in user.commands])

    @routes.get("/_emulator/files/{file_id}")
    async def files(request: web.Request) -> web.Response:
        wanted = request.match_info["file_id"]  # any hosted bot's (file ids are unique)
        stored = next(
            (b.files[wanted] for b in emulator.hosted.values() if wanted in b.files), None
        )
        if stored is None:
            raise _fail(404, "unknown file")
        headers = {}
        if stored.file_name:
            headers["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(stored.file_name)}"
        return web.Response(
            body=stored.data,
            content_type=stored.mime_type or "application/octet-stream",
            headers=headers,
        )

    @routes.post("/_emulator/block")
    async def block(request: web.Request) -> web.Response:
        emulator.block(find_user((await body(request)).get("user_id")).id)
        return _json({"ok": True})

    @routes.post("/_emulator/unblock")
    async def unblock(request: web.Request) -> web.Response:
        emulator.unblock(find_user((await body(request)).get("user_id")).id)
        return _json({"ok": True})

    @routes.post("/_emulator/limits")
    async def limits(request: web.Request) -> web.Response:
        try:
            emulator.set_limits(ApiLimits(**await body(request)))
        except TypeError as error:
            raise _fail(400, str(error)) from None
        return _json(dataclasses.asdict(emulator.limits))

    @routes.post("/_emulator/clock")
    async def clock(request: web.Request) -> web.Response:
        try:
            emulator.advance_clock(float((await body(request)).get("advance", 0)))
        except (TypeError, ValueError) as error:
            raise _fail(400, str(error)) from None
        return _json({"offset": emulator.clock_offset})

    @routes.get("/_emulator/violations")
    async def violations(request: web.Request) -> web.Response:
        return _json([{"method": m, "problem": p} for m, p in emulator.violations])

    @routes.get("/_emulator/stats")
    async def stats(request: web.Request) -> web.Response:
        return _json({**emulator.stats, "pending_updates": emulator.pending_update_count})

    @routes.get("/_emulator/events")
    async def events(request: web.Request) -> web.StreamResponse:
        return await _stream_events(request, hosted(request.query.get("bot")))

    app.add_routes(routes)


async def _stream_events(request: web.Request, emulator: BotApiEmulator) -> web.StreamResponse:
    """Server-Sent Events for one chat (or all). Events go through a bounded queue, so a slow
    or vanished client loses events and never holds up the emulator."""
    wanted = request.query.get("chat_id")
    queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(maxsize=STREAM_QUEUE)

    def on_event(event: dict[str, Any]) -> None:
        if wanted is None or str(event.get("chat_id")) == wanted:
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(event)

    headers = {"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
    response = web.StreamResponse(headers=headers)
    await response.prepare(request)
    emulator.subscribe(on_event)
    emulator.streams.add(queue)
    try:
        await response.write(b": connected\n\n")
        while True:
            try:
                event = await asyncio.wait_for(queue.get(), timeout=KEEP_ALIVE)
            except TimeoutError:
                await response.write(b": keep-alive\n\n")
                continue
            if event is None:  # the emulator is stopping
                break
            data = json.dumps(event, ensure_ascii=False)
            await response.write(f"data: {data}\n\n".encode())
    except ConnectionResetError:  # the client went away
        pass
    finally:
        emulator.unsubscribe(on_event)
        emulator.streams.discard(queue)
    return response
