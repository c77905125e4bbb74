"""The spec check: what the published Bot API does not take is recorded, request by request."""

from __future__ import annotations

import json

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from emulator.spec import check_request, spec

MARKUP = json.dumps({"inline_keyboard": [[{"text": "好", "callback_data": "v:1"}]]})


def test_the_spec_is_bot_api_10_1():
    assert spec()["version"] == "Bot API 10.1"
    assert "sendMessage" in spec()["methods"]


def test_a_valid_request_has_no_problems():
    assert not check_request(
        "sendMessage", {"chat_id": "1", "text": "hi", "reply_markup": MARKUP}, {}
    )
    assert not check_request("SENDMESSAGE", {"chat_id": 1, "text": "hi"}, {})  # a JSON body
    scope = json.dumps({"type": "chat", "chat_id": 5})
    commands = json.dumps([{"command": "help", "description": "帮助"}])
    assert not check_request("setMyCommands", {"commands": commands, "scope": scope}, {})


def test_an_unknown_method_or_parameter_is_a_problem():
    assert check_request("sendTelepathy", {}, {}) == [
        "sendTelepathy: no such method in Bot API 10.1"
    ]
    assert check_request("sendMessage", {"chat_id": "1", "text": "x", "colour": "red"}, {}) == [
        "sendMessage: unknown parameter 'colour'"
    ]


def test_a_missing_required_parameter_is_a_problem():
    assert check_request("sendMessage", {"chat_id": "1"}, {}) == [
        "sendMessage: required parameter 'text' missing"
    ]
    scope = json.dumps({"type": "chat"})
    problems = check_request("deleteMyCommands", {"scope": scope}, {})
    assert problems == [
        "deleteMyCommands.scope: BotCommandScopeChat: required field 'chat_id' missing"
    ]


def test_a_wrong_type_is_a_problem():
    assert check_request("sendMessage", {"chat_id": "1", "text": "x", "protect_content": "yes"}, {})
    assert check_request("sendMessage", {"chat_id": "me!", "text": "x"}, {}) == []  # a @username
    assert check_request("getUpdates", {"offset": "one"}, {}) == [
        "getUpdates.offset: 'one' is not Integer"
    ]
    assert check_request("sendLocation", {"chat_id": 1, "latitude": "north", "longitude": 1}, {})
    assert check_request("sendMessage", {"chat_id": 1, "text": 5}, {})  # JSON: a number


def test_objects_are_checked_down_to_their_fields():
    bad_button = json.dumps({"inline_keyboard": [[{"text": "好", "callback": "v:1"}]]})
    (problem,) = check_request(
        "sendMessage", {"chat_id": "1", "text": "x", "reply_markup": bad_button}, {}
    )
    assert "InlineKeyboardButton: unknown field 'callback'" in problem
    not_rows = json.dumps({"inline_keyboard": [{"text": "好", "callback_data": "v"}]})
    assert check_request("sendMessage", {"chat_id": "1", "text": "x", "reply_markup": not_rows}, {})
    media = json.dumps([{"type": "photo", "media": "AgAC1"}, {"type": "poster", "media": "x"}])
    (problem,) = check_request("sendMediaGroup", {"chat_id": "1", "media": media}, {})
    assert "fits none of" in problem and "InputMediaPhoto" in problem


def test_what_python_telegram_bot_sends_passes():
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("好", callback_data="v:1")]])
    params = {"chat_id": "1", "text": "x", "reply_markup": json.dumps(markup.to_dict())}
    assert check_request("sendMessage", params, {}) == []


async def test_the_emulator_records_violations_and_still_answers(emu, bot):
    user = emu.add_user("王芳")
    await bot.send_message(user.id, "hi", api_kwargs={"colour": "red"})
    assert user.last_text == "hi"
    assert emu.violations == [("sendMessage", "sendMessage: unknown parameter 'colour'")]
