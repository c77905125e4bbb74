"""The emulator enforces what Telegram enforces, seen through a stock python-telegram-bot Bot."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from telegram import (
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
)
from telegram.error import BadRequest, Forbidden, RetryAfter

from emulator import ApiLimits, BotApiEmulator

TOKEN = "42:EMULATOR-test"


@pytest.fixture
async def emu():
    async with BotApiEmulator(token=TOKEN, bot_username="EmuBot") as emulator:
        yield emulator


@pytest.fixture
async def bot(emu):
    from telegram import Bot

    async with Bot(TOKEN, base_url=emu.base_url, base_file_url=emu.base_file_url) as bot:
        yield bot


async def test_get_me_and_messages_reach_the_user(emu, bot):
    assert (await bot.get_me()).username == "EmuBot"
    user = emu.add_user("王芳")
    await bot.send_message(user.id, "<b>你好</b> &amp; 欢迎", parse_mode="HTML")
    assert user.last_text == "你好 & 欢迎"
    assert user.last_bot_message.html == "<b>你好</b> &amp; 欢迎"


async def test_updates_are_delivered_by_long_polling_and_confirmed(emu, bot):
    user = emu.add_user("王芳")
    update_id = user.send("/start abc")
    updates = await bot.get_updates(timeout=1)
    assert [u.update_id for u in updates] == [update_id]
    message = updates[0].message
    assert message.text == "/start abc" and message.entities[0].type == "bot_command"
    await bot.get_updates(offset=update_id + 1, timeout=0)
    assert emu.pending_update_count == 0


async def test_long_poll_returns_as_soon_as_an_update_arrives(emu, bot):
    user = emu.add_user("王芳")
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await asyncio.sleep(0.05)
    user.send("hello")
    updates = await asyncio.wait_for(poll, 2)
    assert updates[0].message.text == "hello"


async def test_button_press_becomes_a_callback_query_answered_once(emu, bot):
    user = emu.add_user("王芳")
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("同意", callback_data="v1:yes")]])
    await bot.send_message(user.id, "好吗？", reply_markup=keyboard)
    user.press_button("同意")
    query = (await bot.get_updates(timeout=1))[-1].callback_query
    assert query.data == "v1:yes"
    await query.answer("好的", show_alert=True)
    assert user.callback_answers[-1]["text"] == "好的"
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await query.answer()


@pytest.mark.parametrize(
    ("kwargs", "match"),  # PTB capitalises the description
    [
        ({"text": "x" * 4097}, "too long"),
        ({"text": ""}, "empty"),
        ({"text": "<b>open", "parse_mode": "HTML"}, "can't parse entities"),
        ({"text": "<script>x</script>", "parse_mode": "HTML"}, "can't parse entities"),
        ({"text": "a & b", "parse_mode": "HTML"}, "can't parse entities"),
        ({"text": "1.5", "parse_mode": "MarkdownV2"}, "can't parse entities"),
        (
            {
                "text": "x",
                "reply_markup": InlineKeyboardMarkup(
                    [[InlineKeyboardButton("x", callback_data="d" * 65)]]
                ),
            },
            "BUTTON_DATA_INVALID",
        ),
    ],
)
async def test_what_telegram_refuses_the_emulator_refuses(emu, bot, kwargs, match):
    user = emu.add_user("王芳")
    with pytest.raises(BadRequest, match=f"(?i){match}"):
        await bot.send_message(user.id, **kwargs)
    assert user.bot_messages == []


async def test_4096_characters_after_parsing_are_accepted(emu, bot):
    user = emu.add_user("王芳")
    await bot.send_message(user.id, "<b>" + "字" * 4096 + "</b>", parse_mode="HTML")
    assert len(user.last_text) == 4096


async def test_blocked_user_gives_403(emu, bot):
    user = emu.add_user("王芳")
    emu.block(user.id)
    with pytest.raises(Forbidden, match="blocked"):
        await bot.send_message(user.id, "hi")
    emu.unblock(user.id)
    await bot.send_message(user.id, "hi")


async def test_flood_control_answers_429_with_retry_after(emu, bot):
    emu.set_limits(ApiLimits(per_chat_rate=1, per_chat_burst=1))
    user = emu.add_user("王芳")
    await bot.send_message(user.id, "one")
    with pytest.raises(RetryAfter) as error:
        await bot.send_message(user.id, "two")
    assert error.value.retry_after >= 1
    assert emu.stats["429"] == 1 and len(user.bot_messages) == 1


async def test_global_rate_limits_across_chats(emu, bot):
    emu.set_limits(ApiLimits(global_rate=5))
    users = [emu.add_user(f"u{i}") for i in range(8)]
    results = await asyncio.gather(
        *(bot.send_message(u.id, "hi") for u in users), return_exceptions=True
    )
    assert sum(isinstance(r, RetryAfter) for r in results) == 3


async def test_files_round_trip_both_ways(emu, bot):
    user = emu.add_user("王芳")
    await bot.send_photo(user.id, b"PNG-BYTES", caption="照片")
    sent = user.last_bot_message
    assert sent.kind == "photo" and sent.caption == "照片"
    assert emu.file_bytes(sent.photo_file_id) == b"PNG-BYTES"
    user.send_photo(b"FROM-USER")
    photo = (await bot.get_updates(timeout=1))[-1].message.photo[-1]
    assert bytes(await (await photo.get_file()).download_as_bytearray()) == b"FROM-USER"
    await bot.send_document(user.id, b'{"a": 1}', filename="data.json")
    assert user.last_bot_message.document["file_name"] == "data.json"


async def test_edits_and_not_modified(emu, bot):
    user = emu.add_user("王芳")
    message = await bot.send_message(user.id, "v1")
    await bot.edit_message_text("v2", chat_id=user.id, message_id=message.message_id)
    assert user.last_text == "v2" and user.last_bot_message.edited
    with pytest.raises(BadRequest, match="not modified"):
        await bot.edit_message_text("v2", chat_id=user.id, message_id=message.message_id)
    with pytest.raises(BadRequest, match="not found"):
        await bot.edit_message_text("v3", chat_id=user.id, message_id=9999)


async def test_command_menus_resolve_like_telegram(emu, bot):
    zh, en = emu.add_user("王芳", language_code="zh-hans"), emu.add_user("Ann", language_code="en")
    await bot.set_my_commands([BotCommand("help", "帮助")])
    await bot.set_my_commands([BotCommand("help", "Help")], language_code="en")
    await bot.set_my_commands([BotCommand("mine", "我的")], scope=BotCommandScopeChat(zh.id))
    assert zh.commands == [("mine", "我的")]
    assert en.commands == [("help", "Help")]
    assert emu.add_user("Otto", language_code="de").commands == [("help", "帮助")]


async def test_webhook_delivery_with_secret_header(emu, bot):
    received: list[tuple[dict, str | None]] = []

    async def receive(request):
        received.append(
            (await request.json(), request.headers.get("X-Telegram-Bot-Api-Secret-Token"))
        )
        return aiohttp.web.Response()

    app = aiohttp.web.Application()
    app.router.add_post("/hook", receive)
    runner = aiohttp.web.AppRunner(app)
    await runner.setup()
    site = aiohttp.web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="s3cret")
        user = emu.add_user("王芳")
        update_id = user.send("hi")
        await emu.wait_confirmed(update_id)
        assert (
            received == [(received[0][0], "s3cret")] and received[0][0]["message"]["text"] == "hi"
        )
        with pytest.raises(Exception, match="webhook is active"):
            await bot.get_updates()
    finally:
        await bot.delete_webhook()
        await runner.cleanup()


async def test_control_api_sends_and_streams_events(emu):
    user = emu.add_user("王芳")
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{emu.url}/_emulator/events?chat_id={user.id}") as stream:
            await stream.content.readline()  # ": connected"
            async with http.post(
                f"{emu.url}/_emulator/send", json={"user_id": user.id, "text": "你好"}
            ) as r:
                assert (await r.json())["update_id"] >= 1
            line = b""
            while not line.startswith(b"data:"):
                line = await asyncio.wait_for(stream.content.readline(), 2)
            assert "你好" in line.decode()
        async with http.get(f"{emu.url}/_emulator/history/{user.id}") as r:
            assert [m["text"] for m in await r.json()] == ["你好"]
