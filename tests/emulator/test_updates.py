"""Updates reach a real python-telegram-bot Application by long polling and by webhook."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import Conflict
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from emulator import BotApiEmulator
from tests.emulator.conftest import TOKEN


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("再说一遍", callback_data="again")]])
    assert update.message is not None
    await update.message.reply_text(f"你说：{update.message.text}", reply_markup=keyboard)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None
    await update.message.reply_text(f"start args={context.args}")


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None and isinstance(query.message, Message)
    await query.answer(f"收到 {query.data}", show_alert=True)
    await query.edit_message_text(f"{query.message.text} ✓")


async def photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None
    file = await update.message.photo[-1].get_file()
    data = bytes(await file.download_as_bytearray())
    await update.message.reply_text(f"got {len(data)} bytes: {data.decode()}")


@pytest.fixture
async def app(emu: BotApiEmulator) -> AsyncIterator[Application]:
    application = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(emu.base_url)
        .base_file_url(emu.base_file_url)
        .build()
    )
    application.add_handler(CommandHandler("start", start))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    application.add_handler(MessageHandler(filters.PHOTO, photo))
    application.add_handler(CallbackQueryHandler(pressed))
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0, timeout=5)
        yield application
        await application.updater.stop()
        await application.stop()


async def test_an_application_echoes_through_long_polling(emu, app):
    user = emu.add_user("王芳")
    user.send("你好")
    reply = await user.wait_for_bot_message()
    assert reply.text == "你说：你好" and reply.buttons() == ["再说一遍"]
    user.send("/start abc")
    assert (await user.wait_for_bot_message()).text == "start args=['abc']"


async def test_a_button_press_becomes_a_callback_query_that_is_answered(emu, app):
    user = emu.add_user("王芳")
    user.send("hi")
    reply = await user.wait_for_bot_message()
    update_id = user.press_button("再说")
    await emu.wait_confirmed(update_id)
    await emu.wait_for(lambda: user.callback_answers and reply.edited)
    answer = user.callback_answers[0]
    assert answer["text"] == "收到 again" and answer["show_alert"] is True
    assert user.last_text == "你说：hi ✓" and len(user.bot_messages) == 1


async def test_the_bot_downloads_a_photo_the_user_sent(emu, app):
    user = emu.add_user("王芳")
    user.send_photo(b"JPEG-DATA", caption="楼道灯坏了")
    assert (await user.wait_for_bot_message()).text == "got 9 bytes: JPEG-DATA"


async def test_a_long_poll_returns_as_soon_as_an_update_arrives(emu, bot):
    user = emu.add_user("王芳")
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await emu.wait_polling()
    user.send("hello")
    updates = await asyncio.wait_for(poll, 5)
    assert [u.message.text for u in updates] == ["hello"]


async def test_updates_stay_until_confirmed_by_offset(emu, bot):
    user = emu.add_user("王芳")
    first, second = user.send("/start abc"), user.send("two")
    updates = await bot.get_updates(timeout=0)
    assert [u.update_id for u in updates] == [first, second]
    command = updates[0].message
    assert command.entities[0].type == "bot_command" and command.entities[0].length == 6
    assert [u.update_id for u in await bot.get_updates(offset=second)] == [second]
    assert emu.pending_update_count == 1
    await bot.get_updates(offset=second + 1)
    assert emu.pending_update_count == 0
    await emu.wait_confirmed(second, timeout=1)


async def test_a_redelivered_update_comes_back_once(emu, bot):
    user = emu.add_user("王芳")
    update_id = user.send("once more")
    await bot.get_updates(offset=update_id + 1)
    emu.redeliver(update_id)
    again = await bot.get_updates(offset=update_id + 1)  # the offset is already past it
    assert [u.update_id for u in again] == [update_id]
    assert await bot.get_updates(offset=update_id + 1) == ()


async def test_an_update_fetched_but_not_yet_confirmed_can_be_redelivered(emu, bot):
    user = emu.add_user("王芳")
    update_id = user.send("in flight")
    await bot.get_updates()  # fetched; the bot "dies" before its next poll confirms it
    emu.redeliver(update_id)
    assert [u.update_id for u in await bot.get_updates(offset=update_id + 1)] == [update_id]
    assert await bot.get_updates(offset=update_id + 1) == ()
    with pytest.raises(KeyError):
        emu.redeliver(12345)


async def test_allowed_updates_filter_what_is_queued(emu, bot):
    user = emu.add_user("王芳")
    message = await bot.send_message(
        user.id,
        "x",
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="x")]]),
    )
    await bot.get_updates(allowed_updates=["message"])
    user.press(message.message_id, "x")
    user.send("kept")
    assert [u.message.text for u in await bot.get_updates()] == ["kept"]


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[str, list, asyncio.Queue]]:
    """A webhook endpoint that fails its first request, then records updates and headers."""
    received: list[tuple[dict, str | None]] = []
    arrivals: asyncio.Queue[int] = asyncio.Queue()
    calls = 0

    async def hook(request: web.Request) -> web.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            return web.Response(status=502)
        update = await request.json()
        received.append((update, request.headers.get("X-Telegram-Bot-Api-Secret-Token")))
        arrivals.put_nowait(update["update_id"])
        return web.Response()

    application = web.Application()
    application.router.add_post("/hook", hook)
    runner = web.AppRunner(application)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server = site._server
    assert isinstance(server, asyncio.Server)
    port = server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}/hook", received, arrivals
    await runner.cleanup()


async def test_webhook_delivers_in_order_with_the_secret_header_and_retries(emu, bot, receiver):
    url, received, _ = receiver
    assert await bot.set_webhook(url, secret_token="s3cret")
    user = emu.add_user("王芳")
    ids = [user.send("one"), user.send("two")]
    await emu.wait_confirmed(ids[-1])
    assert [(u["update_id"], u["message"]["text"], secret) for u, secret in received] == [
        (ids[0], "one", "s3cret"),
        (ids[1], "two", "s3cret"),
    ]
    info = await bot.get_webhook_info()
    assert info.url == url and info.pending_update_count == 0
    assert "502" in (info.last_error_message or "")
    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates()
    assert await bot.delete_webhook()
    user.send("polled")
    assert [u.message.text for u in await bot.get_updates()] == ["polled"]


async def test_webhooks_only_go_to_local_addresses(emu, bot):
    from telegram.error import BadRequest

    with pytest.raises(BadRequest, match=r"(?i)bad webhook"):
        await bot.set_webhook("https://example.com/hook")
    with pytest.raises(BadRequest, match=r"(?i)bad webhook"):
        await bot.set_webhook("http://127.0.0.1.example.com/hook")


async def test_stopping_answers_waiting_long_polls_at_once(emu):
    import aiohttp

    async with aiohttp.ClientSession() as http:
        url = f"{emu.base_url}{TOKEN}/getUpdates?timeout=30"
        poll = asyncio.create_task(http.get(url))
        await emu.wait_polling()
        async with asyncio.timeout(5):
            await emu.stop()
            response = await poll
        assert (await response.json()) == {"ok": True, "result": []}
