"""The control API drives users over HTTP and streams what happens in their chats."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest


@pytest.fixture
async def http():
    async with aiohttp.ClientSession() as session:
        yield session


async def next_event(stream: aiohttp.ClientResponse) -> dict:
    async with asyncio.timeout(5):
        while True:
            line = await stream.content.readline()
            if line.startswith(b"data:"):
                return json.loads(line[5:])


async def test_users_send_and_the_history_and_events_show_it(emu, bot, http):
    async with http.post(f"{emu.url}/_emulator/users", json={"first_name": "王芳"}) as r:
        user = await r.json()
    assert user["language_code"] == "zh-hans" and user["blocked"] is False
    async with http.get(f"{emu.url}/_emulator/events?chat_id={user['id']}") as stream:
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        payload = {"user_id": user["id"], "text": "你好"}
        async with http.post(f"{emu.url}/_emulator/send", json=payload) as r:
            update_id = (await r.json())["update_id"]
        event = await next_event(stream)
        assert (event["type"], event["chat_id"], event["message"]["text"]) == (
            "message",
            user["id"],
            "你好",
        )
        assert (await bot.get_updates())[0].update_id == update_id
        await bot.send_photo(user["id"], b"JPEG", caption="回复")
        event = await next_event(stream)
        assert event["message"]["from_bot"] and event["message"]["caption"] == "回复"
    async with http.get(f"{emu.url}/_emulator/history/{user['id']}") as r:
        history = await r.json()
    assert [(m["from_bot"], m["content"]) for m in history] == [(False, "你好"), (True, "回复")]
    async with http.get(f"{emu.url}{history[1]['photo_url']}") as r:
        assert await r.read() == b"JPEG"


async def test_uploads_presses_keyboards_and_commands(emu, bot, http):
    from telegram import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, ReplyKeyboardMarkup

    user = emu.add_user("王芳")
    form = aiohttp.FormData()
    form.add_field("user_id", str(user.id))
    form.add_field("caption", "漏水")
    form.add_field("file", b"PHOTO", filename="p.jpg", content_type="image/jpeg")
    async with http.post(f"{emu.url}/_emulator/send_photo", data=form) as r:
        assert r.status == 200
    assert emu.file_bytes(user.messages[-1].photo_file_id) == b"PHOTO"

    markup = InlineKeyboardMarkup([[InlineKeyboardButton("同意", callback_data="yes")]])
    sent = await bot.send_message(user.id, "好吗", reply_markup=markup)
    payload = {"user_id": user.id, "message_id": sent.message_id, "callback_data": "yes"}
    async with http.post(f"{emu.url}/_emulator/press", json=payload) as r:
        assert r.status == 200
    async with http.post(f"{emu.url}/_emulator/press", json={**payload, "message_id": 999}) as r:
        assert r.status == 400
    assert (await bot.get_updates())[-1].callback_query.data == "yes"

    await bot.send_message(user.id, "菜单", reply_markup=ReplyKeyboardMarkup([["报修"]]))
    async with http.get(f"{emu.url}/_emulator/keyboard/{user.id}") as r:
        assert await r.json() == [["报修"]]
    await bot.set_my_commands([BotCommand("help", "帮助")])
    async with http.get(f"{emu.url}/_emulator/commands/{user.id}") as r:
        assert await r.json() == [{"command": "help", "description": "帮助"}]


async def test_block_limits_and_stats(emu, bot, http):
    from telegram.error import Forbidden

    user = emu.add_user("王芳")
    async with http.post(f"{emu.url}/_emulator/block", json={"user_id": user.id}) as r:
        assert r.status == 200
    with pytest.raises(Forbidden):
        await bot.send_message(user.id, "hi")
    async with http.post(f"{emu.url}/_emulator/unblock", json={"user_id": user.id}) as r:
        assert r.status == 200
    async with http.post(f"{emu.url}/_emulator/limits", json={"per_chat_rate": 1}) as r:
        assert (await r.json())["per_chat_rate"] == 1 and emu.limits.per_chat_rate == 1
    async with http.post(f"{emu.url}/_emulator/limits", json={"nonsense": 1}) as r:
        assert r.status == 400
    await bot.send_message(user.id, "hi")
    async with http.get(f"{emu.url}/_emulator/stats") as r:
        stats = await r.json()
    assert stats["sent"] == 1 and stats["403"] == 1 and stats["methods"]["sendMessage"] == 2
    async with http.post(f"{emu.url}/_emulator/send", json={"user_id": 1, "text": "x"}) as r:
        assert r.status == 404


async def test_a_client_that_stops_reading_does_not_hold_up_the_emulator(emu, bot, http):
    user = emu.add_user("王芳")
    async with http.get(f"{emu.url}/_emulator/events") as stream:
        await stream.content.readline()
        for i in range(1500):  # more than the stream's queue holds; nobody reads
            user.send(f"m{i}")
        await bot.send_message(user.id, "still answering")
        assert len(user.messages) == 1501


async def test_the_clock_never_started_users_and_violations_over_http(emu, bot, http):
    payload = {"first_name": "陌生人", "started": False}
    async with http.post(f"{emu.url}/_emulator/users", json=payload) as r:
        user = await r.json()
    assert user["started"] is False
    async with http.post(f"{emu.url}/_emulator/clock", json={"advance": 151}) as r:
        assert (await r.json()) == {"offset": 151.0}
    async with http.post(f"{emu.url}/_emulator/clock", json={"advance": -1}) as r:
        assert r.status == 400
    await bot.get_me(api_kwargs={"colour": "red"})
    async with http.get(f"{emu.url}/_emulator/violations") as r:
        assert await r.json() == [
            {"method": "getMe", "problem": "getMe: unknown parameter 'colour'"}
        ]
