"""Where the real Bot API server is strict (or lenient), the emulator is the same: expired button
presses, language codes, keyboard limits, HTML references, file kinds, the 48-hour deletion
window, users who never started the bot, and flood control in the test world."""

from __future__ import annotations

import pytest
from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaDocument,
    InputMediaPhoto,
)
from telegram.error import BadRequest, Forbidden

from emulator import ApiLimits
from tests.utils.world import DOUBLE_ESCAPED

TOO_OLD = r"(?i)query is too old and response timeout expired or query ID is invalid"


def keyboard(*rows: int) -> InlineKeyboardMarkup:
    """Rows of callback buttons with `rows[i]` buttons in row i."""
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(f"{r}.{c}", callback_data=f"{r}.{c}") for c in range(n)]
            for r, n in enumerate(rows)
        ]
    )


async def _press(emu, bot, user) -> str:
    sent = await bot.send_message(user.id, "投票", reply_markup=keyboard(1))
    user.press(sent.message_id, "0.0")
    return next(reversed(emu.callback_queries))


# --- callback queries expire --------------------------------------------------------------
async def test_a_press_can_be_answered_within_150_seconds_on_the_emulators_clock(emu, bot):
    user = emu.add_user("王芳")
    query_id = await _press(emu, bot, user)
    emu.advance_clock(149)
    assert await bot.answer_callback_query(query_id, "好")
    assert user.callback_answers[-1]["text"] == "好"


async def test_a_late_answer_gets_the_real_servers_error(emu, bot):
    user = emu.add_user("王芳")
    query_id = await _press(emu, bot, user)
    emu.advance_clock(151)
    with pytest.raises(BadRequest, match=TOO_OLD):
        await bot.answer_callback_query(query_id)
    assert user.callback_answers == []
    # The window is configurable; the message itself can still be edited.
    emu.set_limits(ApiLimits(callback_query_timeout=1000))
    assert await bot.answer_callback_query(query_id)


async def test_the_clock_only_moves_forward(emu):
    with pytest.raises(ValueError):
        emu.advance_clock(-1)


# --- language codes of the bot's settings -------------------------------------------------
@pytest.mark.parametrize("code", ["zh_Hans", "zh-hans", "ZH", "zho", "z"])
async def test_language_codes_are_two_lowercase_letters_or_empty(emu, bot, code):
    commands = [BotCommand("help", "帮助")]
    with pytest.raises(BadRequest, match=r"(?i)invalid language code specified"):
        await bot.set_my_commands(commands, language_code=code)
    with pytest.raises(BadRequest, match=r"(?i)invalid language code specified"):
        await bot.get_my_commands(language_code=code)
    with pytest.raises(BadRequest, match=r"(?i)invalid language code specified"):
        await bot.delete_my_commands(language_code=code)
    with pytest.raises(BadRequest, match=r"(?i)invalid language code specified"):
        await bot.set_my_description("物业", language_code=code)
    assert await bot.set_my_commands(commands, language_code="zh")
    assert await bot.set_my_commands(commands)


# --- keyboards ----------------------------------------------------------------------------
async def test_at_most_100_inline_buttons(emu, bot):
    user = emu.add_user("王芳")
    await bot.send_message(user.id, "100", reply_markup=keyboard(*[10] * 10))
    assert sum(len(row) for row in user.last_bot_message.inline_keyboard) == 100
    with pytest.raises(BadRequest, match=r"(?i)reply markup is too long"):
        await bot.send_message(user.id, "101", reply_markup=keyboard(*[10] * 10, 1))
    sent = user.last_bot_message
    with pytest.raises(BadRequest, match=r"(?i)reply markup is too long"):
        await bot.edit_message_reply_markup(
            user.id, sent.message_id, reply_markup=keyboard(*[8] * 13)
        )


async def test_a_row_keeps_12_buttons_and_the_rest_is_dropped_silently(emu, bot):
    user = emu.add_user("王芳")
    sent = await bot.send_message(user.id, "13", reply_markup=keyboard(13))
    assert [len(row) for row in sent.reply_markup.inline_keyboard] == [12]
    assert len(user.last_bot_message.inline_keyboard[0]) == 12
    assert emu.violations == [("reply_markup", "1 buttons past 12 in a row dropped")]


async def test_a_button_with_url_and_callback_data_is_a_url_button(emu, bot):
    """The real server reads url first and ignores callback_data: no error, no callback."""
    user = emu.add_user("王芳")
    both = InlineKeyboardButton("看看", url="https://example.cn", callback_data="x")
    sent = await bot.send_message(user.id, "链接", reply_markup=InlineKeyboardMarkup([[both]]))
    button = sent.reply_markup.inline_keyboard[0][0]
    assert (button.url, button.callback_data) == ("https://example.cn", None)
    assert user.last_bot_message.inline_keyboard == [
        [{"text": "看看", "url": "https://example.cn"}]
    ]


# --- HTML character references ------------------------------------------------------------
async def test_a_lone_ampersand_and_unknown_references_stay_text(emu, bot):
    """The server decodes only &lt; &gt; &amp; &quot; and numeric references; anything else
    after '&' is shown as typed (no error), which the test world catches as an escaped text."""
    user = emu.add_user("王芳")
    await bot.send_message(user.id, "A & B &apos;x&apos; &#39;y&#39;", parse_mode="HTML")
    assert user.last_text == "A & B &apos;x&apos; 'y'"
    assert DOUBLE_ESCAPED.search(user.last_text)


# --- file ids know their kind --------------------------------------------------------------
async def test_a_documents_file_id_cannot_be_sent_as_a_photo_nor_the_other_way(emu, bot):
    user = emu.add_user("王芳")
    document = (await bot.send_document(user.id, b"%PDF", filename="a.pdf")).document.file_id
    photo = (await bot.send_photo(user.id, b"JPEG")).photo[-1].file_id
    with pytest.raises(BadRequest, match=r"(?i)can't use file of type Document as Photo"):
        await bot.send_photo(user.id, document)
    with pytest.raises(BadRequest, match=r"(?i)can't use file of type Photo as Document"):
        await bot.send_document(user.id, photo)
    with pytest.raises(BadRequest, match=r"(?i)can't use file of type Document as Photo"):
        await bot.send_media_group(user.id, [InputMediaPhoto(photo), InputMediaPhoto(document)])
    await bot.send_media_group(user.id, [InputMediaDocument(document)] * 2)
    # What users send keeps its kind too.
    user.send_photo(b"JPEG")
    sent_photo = user.messages[-1].photo_file_id
    assert sent_photo is not None and (await bot.send_photo(user.id, sent_photo))
    with pytest.raises(BadRequest, match=r"(?i)can't use file of type Photo as Document"):
        await bot.send_document(user.id, sent_photo)


# --- deleting ------------------------------------------------------------------------------
async def test_a_message_older_than_48_hours_cannot_be_deleted(emu, bot):
    user = emu.add_user("王芳")
    old = await bot.send_message(user.id, "旧")
    emu.advance_clock(47 * 3600)
    recent = await bot.send_message(user.id, "新")
    assert await bot.delete_message(user.id, recent.message_id)
    emu.advance_clock(3600 + 1)
    with pytest.raises(BadRequest, match=r"(?i)message can't be deleted"):
        await bot.delete_message(user.id, old.message_id)
    assert [m.text for m in user.bot_messages] == ["旧"]
    assert await bot.delete_messages(user.id, [old.message_id])  # skipped, as Telegram does
    assert [m.text for m in user.bot_messages] == ["旧"]


# --- users the bot cannot write to ---------------------------------------------------------
async def test_a_user_who_never_started_the_bot_cannot_be_written_to_first(emu, bot):
    user = emu.add_user("王芳", started=False)
    with pytest.raises(Forbidden, match=r"(?i)bot can't initiate conversation with a user"):
        await bot.send_message(user.id, "你好")
    user.send("/start")
    assert await bot.send_message(user.id, "你好")
    emu.block(user.id)
    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await bot.send_message(user.id, "你好")


# --- flood control in the test world --------------------------------------------------------
def test_the_real_servers_flood_limits():
    limits = ApiLimits.telegram()
    assert (limits.global_rate, limits.per_chat_rate) == (30, 1)
    assert ApiLimits().global_rate is None  # the plain emulator (benchmarks, demo) has none
    assert ApiLimits.telegram(per_chat_burst=1).per_chat_burst == 1


async def test_the_test_world_runs_with_flood_control(world):
    assert world.emulator.limits == ApiLimits.telegram()
    world.flood_control(False)
    assert world.emulator.limits.global_rate is None


async def test_the_test_world_fails_a_test_that_broke_the_spec(world):
    await world.app.bot.get_me(api_kwargs={"colour": "red"})
    with pytest.raises(AssertionError, match="requests the real Bot API would not take"):
        world.check_what_was_sent()
    world.emulator.violations.clear()  # this test itself must pass
