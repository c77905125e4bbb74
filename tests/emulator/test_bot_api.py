"""The emulator answers a stock python-telegram-bot Bot as Telegram would, refusals included."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import pytest
from telegram import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    KeyboardButton,
    MessageEntity,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    ReplyParameters,
)
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter

from emulator import ApiLimits
from tests.emulator.conftest import TOKEN


def seconds(retry_after: object) -> float:
    """RetryAfter.retry_after is an int in PTB 22, a timedelta in later versions."""
    value: Any = getattr(retry_after, "total_seconds", lambda: retry_after)()
    return float(value)


async def test_get_me_describes_the_bot(emu, bot):
    me = await bot.get_me()
    assert (me.id, me.username, me.first_name, me.is_bot) == (4242, "EmuBot", "Red Property", True)


async def test_a_formatted_message_reaches_the_user_as_plain_text_with_entities(emu, bot):
    user = emu.add_user("王芳")
    sent = await bot.send_message(user.id, "<b>你好</b> &amp; 欢迎", parse_mode="HTML")
    assert sent.text == "你好 & 欢迎" and sent.entities == (MessageEntity("bold", 0, 2),)
    assert sent.chat.id == user.id and sent.from_user.username == "EmuBot"
    seen = user.last_bot_message
    assert (seen.text, seen.html, seen.kind) == ("你好 & 欢迎", "<b>你好</b> &amp; 欢迎", "text")
    assert seen.raw["message_id"] == sent.message_id


@pytest.mark.parametrize(
    ("kwargs", "match"),  # PTB strips "Bad Request: " and capitalises the description
    [
        ({"text": "x" * 4097}, "message is too long"),
        ({"text": " \n "}, "text is empty"),
        ({"text": "<b>open", "parse_mode": "HTML"}, "can't parse entities"),
        ({"text": "<script>x</script>", "parse_mode": "HTML"}, "unsupported start tag"),
        ({"text": "1 < 2", "parse_mode": "HTML"}, "can't parse entities"),
        ({"text": "1.5", "parse_mode": "MarkdownV2"}, "can't parse entities"),
        ({"text": "x", "parse_mode": "Fancy"}, "unsupported parse_mode"),
        (
            {
                "text": "x",
                "reply_markup": InlineKeyboardMarkup(
                    [[InlineKeyboardButton("x", callback_data="d" * 65)]]
                ),
            },
            "BUTTON_DATA_INVALID",
        ),
        (
            {"text": "x", "reply_markup": InlineKeyboardMarkup([[InlineKeyboardButton("x")]])},
            "text buttons are unallowed",
        ),
        (
            {
                "text": "x",
                "reply_markup": InlineKeyboardMarkup(
                    [[InlineKeyboardButton("x", url="javascript:alert(1)")]]
                ),
            },
            "BUTTON_URL_INVALID",
        ),
        ({"text": "x", "reply_parameters": ReplyParameters(999)}, "replied not found"),
    ],
)
async def test_what_telegram_refuses_the_emulator_refuses(emu, bot, kwargs, match):
    user = emu.add_user("王芳")
    with pytest.raises(BadRequest, match=rf"(?i){match}"):
        await bot.send_message(user.id, **kwargs)
    assert user.bot_messages == [] and emu.stats["400"] == 1


async def test_limits_count_text_after_parsing_and_callback_data_in_bytes(emu, bot):
    user = emu.add_user("王芳")
    await bot.send_message(user.id, "<b>" + "字" * 4096 + "</b>", parse_mode="HTML")
    assert len(user.last_text) == 4096
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("好", callback_data="字" * 21)]])
    await bot.send_message(user.id, "63 bytes of data", reply_markup=keyboard)
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):  # 22 × 3 bytes = 66
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("好", callback_data="字" * 22)]])
        await bot.send_message(user.id, "66 bytes", reply_markup=keyboard)
    with pytest.raises(BadRequest, match=r"(?i)caption is too long"):
        await bot.send_photo(user.id, b"JPEG", caption="c" * 1025)


async def test_unknown_chats_methods_and_tokens_are_refused(emu, bot):
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(999, "hi")
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{emu.base_url}{TOKEN}/sendTelepathy") as response:
            assert response.status == 404
            assert await response.json() == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found: method not found",
            }
        async with http.post(f"{emu.base_url}1:WRONG/getMe") as response:
            assert response.status == 401
    from telegram import Bot

    with pytest.raises(InvalidToken):
        await Bot("1:WRONG", base_url=emu.base_url).get_me()


async def test_json_bodies_work_as_well_as_forms(emu):
    user = emu.add_user("王芳")
    async with aiohttp.ClientSession() as http:
        url = f"{emu.base_url}{TOKEN}/sendMessage"
        payload = {"chat_id": user.id, "text": "hi", "reply_markup": {"remove_keyboard": True}}
        async with http.post(url, json=payload) as response:
            body = await response.json()
    assert body["ok"] and body["result"]["text"] == "hi"


async def test_a_blocked_user_gives_403_until_unblocked(emu, bot):
    user = emu.add_user("王芳")
    sent = await bot.send_message(user.id, "hi")
    emu.block(user.id)
    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await bot.send_message(user.id, "hi")
    with pytest.raises(Forbidden):
        await bot.edit_message_text("edited", chat_id=user.id, message_id=sent.message_id)
    emu.unblock(user.id)
    await bot.send_message(user.id, "hi again")
    assert [m.text for m in user.bot_messages] == ["hi", "hi again"]
    assert emu.stats["403"] == 2


async def test_flood_control_answers_429_with_retry_after_and_sends_nothing(emu, bot):
    clock = [100.0]
    emu.flood.clock = lambda: clock[0]
    emu.set_limits(ApiLimits(per_chat_rate=0.25, per_chat_burst=2))
    user = emu.add_user("王芳")
    await bot.send_message(user.id, "one")
    await bot.send_message(user.id, "two")
    with pytest.raises(RetryAfter) as refused:
        await bot.send_message(user.id, "three")
    assert seconds(refused.value.retry_after) == 4  # one token at 0.25/s
    assert emu.stats["429"] == 1 and [m.text for m in user.bot_messages] == ["one", "two"]
    await bot.send_message(emu.add_user("李四").id, "other chats are not limited")
    clock[0] += 4
    await bot.send_message(user.id, "three")
    assert len(user.bot_messages) == 3


async def test_global_rate_limits_across_chats_and_retry_after_can_be_fixed(emu, bot):
    emu.flood.clock = lambda: 0.0  # time stands still: only the burst gets through
    emu.set_limits(ApiLimits(global_rate=5, retry_after=7))
    users = [emu.add_user(f"u{i}") for i in range(8)]
    results = await asyncio.gather(
        *(bot.send_message(u.id, "hi") for u in users), return_exceptions=True
    )
    refused = [r for r in results if isinstance(r, RetryAfter)]
    assert len(refused) == 3 and {seconds(r.retry_after) for r in refused} == {7}
    assert emu.stats["sent"] == 5


async def test_edits_apply_in_place_and_unchanged_edits_are_refused(emu, bot):
    user = emu.add_user("王芳")
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]])
    message = await bot.send_message(user.id, "v1", reply_markup=keyboard)
    await bot.send_message(user.id, "after")
    edited = await bot.edit_message_text(
        "<i>v2</i>",
        chat_id=user.id,
        message_id=message.message_id,
        parse_mode="HTML",
        reply_markup=keyboard,
    )
    assert edited.text == "v2" and edited.edit_date is not None
    first = user.messages[0]
    assert (first.text, first.edited, first.buttons()) == ("v2", True, ["A"])
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text(
            "<i>v2</i>",
            chat_id=user.id,
            message_id=message.message_id,
            parse_mode="HTML",
            reply_markup=keyboard,
        )
    await bot.edit_message_text("v2", chat_id=user.id, message_id=message.message_id)
    assert first.inline_keyboard is None  # no reply_markup: the keyboard goes, as on Telegram
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_reply_markup(chat_id=user.id, message_id=message.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("v3", chat_id=user.id, message_id=9999)


async def test_deleted_messages_leave_the_history(emu, bot):
    user = emu.add_user("王芳")
    first = await bot.send_message(user.id, "first")
    await bot.send_message(user.id, "second")
    assert await bot.delete_message(user.id, first.message_id)
    assert [m.text for m in user.messages] == ["second"]
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(user.id, first.message_id)


async def test_photos_and_documents_round_trip_both_ways(emu, bot):
    user = emu.add_user("王芳")
    sent = await bot.send_photo(user.id, b"PNG-BYTES", caption="<b>照片</b>", parse_mode="HTML")
    assert len(sent.photo) >= 2 and sent.caption == "照片"
    seen = user.last_bot_message
    assert (seen.kind, seen.caption) == ("photo", "照片")
    assert emu.file_bytes(seen.photo_file_id) == b"PNG-BYTES"
    file = await bot.get_file(sent.photo[-1].file_id)
    assert bytes(await file.download_as_bytearray()) == b"PNG-BYTES"
    again = await bot.send_photo(user.id, sent.photo[-1].file_id)  # by file_id, no upload
    assert again.photo[-1].file_id == sent.photo[-1].file_id

    await bot.send_document(user.id, b'{"a": 1}', filename="data.json")
    document = user.last_bot_message.document
    assert document["file_name"] == "data.json" and document["mime_type"] == "application/json"
    assert emu.file_bytes(document["file_id"]) == b'{"a": 1}'

    album = await bot.send_media_group(
        user.id, [InputMediaPhoto(b"ONE", caption="一"), InputMediaPhoto(b"TWO")]
    )
    assert [m.caption for m in album] == ["一", None] and album[0].media_group_id
    assert emu.file_bytes(user.bot_messages[-1].photo_file_id) == b"TWO"


async def test_location_and_chat_action(emu, bot):
    user = emu.add_user("王芳")
    assert await bot.send_chat_action(user.id, "typing")
    sent = await bot.send_location(user.id, 30.59, 114.30)
    assert sent.location.latitude == pytest.approx(30.59)
    assert user.last_bot_message.location == {"latitude": 30.59, "longitude": 114.30}


async def test_reply_keyboards_persist_until_removed_or_used_once(emu, bot):
    user = emu.add_user("王芳")
    keyboard = ReplyKeyboardMarkup(
        [["报修", "缴费"], [KeyboardButton("分享电话", request_contact=True)]]
    )
    await bot.send_message(user.id, "菜单", reply_markup=keyboard)
    await bot.send_message(user.id, "something else")
    assert user.reply_keyboard == [["报修", "缴费"], ["分享电话"]]
    await bot.send_message(user.id, "bye", reply_markup=ReplyKeyboardRemove())
    assert user.reply_keyboard is None
    await bot.send_message(
        user.id, "once", reply_markup=ReplyKeyboardMarkup([["好"]], one_time_keyboard=True)
    )
    user.press_button("好")
    assert user.reply_keyboard is None and user.messages[-1].text == "好"


async def test_command_menus_resolve_scope_then_language_like_telegram(emu, bot):
    zh = emu.add_user("王芳", language_code="zh-hans")
    en = emu.add_user("Ann", language_code="en-GB")
    de = emu.add_user("Otto", language_code="de")
    await bot.set_my_commands([BotCommand("help", "帮助")])
    await bot.set_my_commands([BotCommand("help", "Help")], language_code="en")
    await bot.set_my_commands(
        [BotCommand("start", "开始")], scope=BotCommandScopeAllPrivateChats(), language_code="zh"
    )
    await bot.set_my_commands([BotCommand("mine", "我的")], scope=BotCommandScopeChat(de.id))
    assert zh.commands == [("start", "开始")]
    assert en.commands == [("help", "Help")]
    assert de.commands == [("mine", "我的")]
    assert [c.command for c in await bot.get_my_commands(language_code="en")] == ["help"]
    await bot.delete_my_commands(scope=BotCommandScopeChat(de.id))
    assert de.commands == [("help", "帮助")]
    with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand("Not A Command", "x")])


async def test_bot_profile_chat_and_menu_button(emu, bot):
    user = emu.add_user("王芳", username="wangfang")
    chat = await bot.get_chat(user.id)
    assert (chat.id, chat.type, chat.first_name, chat.username) == (
        user.id,
        "private",
        "王芳",
        "wangfang",
    )
    assert await bot.set_my_description("红色物业", language_code="zh")
    assert (await bot.get_my_description(language_code="zh")).description == "红色物业"
    assert await bot.set_my_short_description("物业")
    assert await bot.set_my_name("红色物业")
    assert (await bot.get_chat_menu_button(user.id)).type == "commands"


async def test_a_venue_is_a_location_with_a_title_and_an_address(emu, bot):
    user = emu.add_user("王芳")
    sent = await bot.send_venue(user.id, 30.6215, 114.2995, "工单 #3", "幸福家园 · 南门")
    assert (sent.venue.title, sent.venue.address) == ("工单 #3", "幸福家园 · 南门")
    assert sent.location.latitude == pytest.approx(30.6215)  # as Telegram: both fields
    message = user.last_bot_message
    assert message.kind == "venue" and message.location == {
        "latitude": 30.6215,
        "longitude": 114.2995,
    }
    assert message.venue["title"] == "工单 #3" and message.to_json()["venue"]["address"]
    with pytest.raises(BadRequest, match=r"(?i)wrong latitude"):
        await bot.send_venue(user.id, 91, 1, "x", "y")
    async with aiohttp.ClientSession() as http:
        payload = {"chat_id": user.id, "latitude": 1, "longitude": 2, "address": "y"}
        async with http.post(f"{emu.base_url}{TOKEN}/sendVenue", json=payload) as response:
            assert response.status == 400
            assert (await response.json())["description"] == "Bad Request: title is empty"


async def test_a_round_trip_delays_every_call_both_ways(emu, bot):
    """Benchmarks give the emulator Telegram's network distance: the server sees a call half a
    round trip after it was made, and the bot has the answer half a round trip after that."""
    emu.set_limits(ApiLimits(round_trip=0.4))
    user = emu.add_user("王芳")
    started = time.monotonic()
    sending = asyncio.create_task(bot.send_message(user.id, "far away"))
    await asyncio.sleep(0.05)
    assert user.bot_messages == []  # still on its way to the server
    sent = await sending
    assert time.monotonic() - started >= 0.4
    assert [m.text for m in user.bot_messages] == ["far away"] and sent.text == "far away"
    emu.set_limits(ApiLimits())
    assert (await bot.get_me()).username == "EmuBot"
