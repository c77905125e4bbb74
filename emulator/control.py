"""The control API (/_emulator/...): act as users and watch chats over HTTP, for the demo page
and out-of-process drivers."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import TYPE_CHECKING, Any

from aiohttp import web

from emulator.limits import ApiLimits

if TYPE_CHECKING:
    from emulator.server import BotApiEmulator


def _json(data: Any) -> web.Response:
    """JSON with Chinese left readable."""
    return web.json_response(data, dumps=lambda value: json.dumps(value, ensure_ascii=False))


def add_control_routes(app: web.Application, emulator: BotApiEmulator) -> None:
    routes = web.RouteTableDef()

    def user_json(user: Any) -> dict[str, Any]:
        return {**user.as_json(), "blocked": emulator.chats[user.id].blocked}

    @routes.get("/_emulator/users")
    async def users(request: web.Request) -> web.Response:
        return _json([user_json(u) for u in emulator.users.values()])

    @routes.post("/_emulator/users")
    async def add_user(request: web.Request) -> web.Response:
        body = await request.json()
        user = emulator.add_user(
            first_name=body["first_name"],
            last_name=body.get("last_name"),
            username=body.get("username"),
            language_code=body.get("language_code", "zh-hans"),
        )
        return _json(user_json(user))

    def _user(body: dict[str, Any]) -> Any:
        user = emulator.users.get(int(body.get("user_id", 0)))
        if user is None:
            raise web.HTTPNotFound(text="unknown user")
        return user

    @routes.post("/_emulator/send")
    async def send(request: web.Request) -> web.Response:
        body = await request.json()
        return _json({"update_id": _user(body).send(str(body["text"]))})

    @routes.post("/_emulator/send_location")
    async def send_location(request: web.Request) -> web.Response:
        body = await request.json()
        update_id = _user(body).send_location(float(body["latitude"]), float(body["longitude"]))
        return _json({"update_id": update_id})

    async def _upload(request: web.Request) -> tuple[Any, bytes, str, str, str | None]:
        form = await request.post()
        upload = form["file"]
        user = _user({"user_id": form.get("user_id")})
        return (
            user,
            upload.file.read(),
            upload.filename,
            upload.content_type,
            form.get("caption") or None,
        )

    @routes.post("/_emulator/send_photo")
    async def send_photo(request: web.Request) -> web.Response:
        user, data, _name, _type, caption = await _upload(request)
        return _json({"update_id": user.send_photo(data, caption)})

    @routes.post("/_emulator/send_document")
    async def send_document(request: web.Request) -> web.Response:
        user, data, name, content_type, caption = await _upload(request)
        return _json({"update_id": user.send_document(data, name, content_type, caption)})

    @routes.post("/_emulator/press")
    async def press(request: web.Request) -> web.Response:
        body = await request.json()
        update_id = _user(body).press(int(body["message_id"]), str(body["callback_data"]))
        return _json({"update_id": update_id})

    @routes.get("/_emulator/history/{chat_id}")
    async def history(request: web.Request) -> web.Response:
        chat = emulator.chats.get(int(request.match_info["chat_id"]))
        if chat is None:
            raise web.HTTPNotFound()
        return _json([m.to_json() for m in chat.messages])

    @routes.get("/_emulator/keyboard/{chat_id}")
    async def keyboard(request: web.Request) -> web.Response:
        chat = emulator.chats.get(int(request.match_info["chat_id"]))
        return _json(chat.reply_keyboard if chat else None)

    @routes.get("/_emulator/commands/{user_id}")
    async def commands(request: web.Request) -> web.Response:
        user = emulator.users.get(int(request.match_info["user_id"]))
        if user is None:
            raise web.HTTPNotFound()
        return _json([{"command": c, "description": d} for c, d in user.commands])

    @routes.get("/_emulator/files/{file_id}")
    async def files(request: web.Request) -> web.Response:
        stored = emulator.files.get(request.match_info["file_id"])
        if stored is None:
            raise web.HTTPNotFound()
        headers = {}
        if stored.file_name:
            headers["Content-Disposition"] = f'inline; filename="{stored.file_name}"'
        return web.Response(body=stored.data, content_type=stored.mime_type or "application/octet-stream",
                            headers=headers)  # fmt: skip

    @routes.post("/_emulator/block")
    async def block(request: web.Request) -> web.Response:
        emulator.block(_user(await request.json()).id)
        return _json({"ok": True})

    @routes.post("/_emulator/unblock")
    async def unblock(request: web.Request) -> web.Response:
        emulator.unblock(_user(await request.json()).id)
        return _json({"ok": True})

    @routes.post("/_emulator/limits")
    async def limits(request: web.Request) -> web.Response:
        emulator.set_limits(ApiLimits(**await request.json()))
        return _json({"ok": True})

    @routes.get("/_emulator/stats")
    async def stats(request: web.Request) -> web.Response:
        return _json(emulator.stats)

    @routes.get("/_emulator/events")
    async def events(request: web.Request) -> web.StreamResponse:
        """Server-sent events for one chat (or all): a slow client loses events, never blocks."""
        wanted = request.query.get("chat_id")
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(maxsize=1000)

        def on_event(event: dict[str, Any]) -> None:
            if wanted is None or str(event.get("chat_id")) == wanted:
                with contextlib.suppress(asyncio.QueueFull):
                    queue.put_nowait(event)

        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        emulator.subscribe(on_event)
        emulator.streams.add(queue)
        try:
            await response.write(b": connected\n\n")
            while True:
                try:
                    event = await asyncio.wait_for(queue.get(), timeout=15)
                    if event is None:  # the emulator is stopping
                        break
                    await response.write(
                        f"data: {json.dumps(event, ensure_ascii=False)}\n\n".encode()
                    )
                except TimeoutError:
                    await response.write(b": keep-alive\n\n")
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            emulator.unsubscribe(on_event)
            emulator.streams.discard(queue)
        return response

    app.add_routes(routes)
