"""Emulated users act as people do and see what people see."""

from __future__ import annotations

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup


def keyboard(*labels: str, url: str | None = None) -> InlineKeyboardMarkup:
    buttons = [InlineKeyboardButton(label, callback_data=f"data:{label}") for label in labels]
    if url:
        buttons.append(InlineKeyboardButton("网站", url=url))
    return InlineKeyboardMarkup([buttons])


async def test_the_chat_history_holds_both_sides_in_order(emu, bot):
    user = emu.add_user("王芳", last_name="王", username="wf", language_code="zh-hans")
    user.send("/start")
    await bot.send_message(user.id, "欢迎")
    user.send_location(30.5, 114.3)
    user.send_contact("+8613800000000")
    user.send_document(b"%PDF", "合同.pdf", "application/pdf", caption="合同")
    kinds = [(m.from_bot, m.kind, m.content) for m in user.messages]
    assert kinds == [
        (False, "text", "/start"),
        (True, "text", "欢迎"),
        (False, "location", ""),
        (False, "contact", ""),
        (False, "document", "合同"),
    ]
    assert user.messages[3].contact["user_id"] == user.id
    assert emu.history(user.id) is user.messages and user.last_text == "欢迎"
    updates = await bot.get_updates()
    assert updates[3].message.document.file_name == "合同.pdf"
    assert updates[0].message.from_user.language_code == "zh-hans"


async def test_press_button_prefers_the_newest_keyboard_and_exact_labels(emu, bot):
    user = emu.add_user("王芳")
    old = await bot.send_message(user.id, "old", reply_markup=keyboard("同意"))
    await bot.send_message(user.id, "new", reply_markup=keyboard("不同意", "同意"))
    await bot.send_message(user.id, "no keyboard")
    user.press_button("同意")
    user.press_button("不")  # contained in a label
    user.press_button("同意", message_id=old.message_id)
    queries = [u.callback_query for u in await bot.get_updates()]
    assert [(q.data, q.message.text) for q in queries] == [
        ("data:同意", "new"),
        ("data:不同意", "new"),
        ("data:同意", "old"),
    ]
    await queries[0].answer("ok")
    assert user.callback_answers == [
        {"query_id": queries[0].id, "text": "ok", "show_alert": False, "answered": True}
    ]


async def test_press_button_explains_what_it_could_not_find(emu, bot):
    user = emu.add_user("王芳")
    await bot.send_message(user.id, "x", reply_markup=keyboard("同意", url="https://example.com"))
    with pytest.raises(LookupError, match="同意"):
        user.press_button("拒绝")
    with pytest.raises(LookupError, match="url"):
        user.press_button("网站")


async def test_reply_keyboard_buttons_send_their_label_or_the_contact(emu, bot):
    user = emu.add_user("王芳")
    markup = ReplyKeyboardMarkup([["报修"], [KeyboardButton("分享电话", request_contact=True)]])
    await bot.send_message(user.id, "菜单", reply_markup=markup)
    user.press_button("报修")
    user.press_button("分享电话")
    updates = await bot.get_updates()
    assert updates[0].message.text == "报修"
    assert updates[1].message.contact.phone_number == user.phone_number


async def test_wait_for_bot_message_times_out_with_a_useful_message(emu):
    user = emu.add_user("王芳")
    with pytest.raises(TimeoutError, match="no bot message #1"):
        await user.wait_for_bot_message(timeout=0.01)


async def test_wait_for_bot_message_counts_from_the_given_position(emu, bot):
    user = emu.add_user("王芳")
    await bot.send_message(user.id, "one")
    await bot.send_message(user.id, "two")
    assert (await user.wait_for_bot_message(after_count=1)).text == "two"


def test_users_are_numbered_from_1000001_and_can_be_looked_up(emu):
    first, second = emu.add_user("A"), emu.add_user("B", language_code="en")
    assert (first.id, second.id) == (1000001, 1000002)
    assert emu.user(second.id) is second and second.language_code == "en"
    with pytest.raises(ValueError, match="empty"):
        first.send("  ")


async def test_subscribers_see_every_change_and_a_broken_one_harms_nothing(emu, bot):
    events: list[dict] = []

    def broken(event: dict) -> None:
        raise RuntimeError("observer bug")

    emu.subscribe(broken)
    emu.subscribe(events.append)
    user = emu.add_user("王芳")
    user.send("hi")
    sent = await bot.send_message(user.id, "v1", reply_markup=keyboard("A"))
    await bot.edit_message_text("v2", chat_id=user.id, message_id=sent.message_id)
    await bot.delete_message(user.id, sent.message_id)
    emu.unsubscribe(events.append)
    user.send("unseen")
    assert [(e["type"], e["message"]["from_bot"]) for e in events] == [
        ("message", False),
        ("message", True),
        ("edit", True),
        ("delete", True),
    ]
    assert events[2]["message"]["text"] == "v2"
