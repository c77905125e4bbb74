"""What every handler shares: the wrapper that answers buttons and renders domain errors, and
sending a view's Screens to the chat of the update."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    InputMediaPhoto,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import BadRequest, RetryAfter

from core.screen import File, Keyboard, Screen, album_parts
from handlers.context import BotContext, active_unit
from handlers.transport import stale_file_id
from services.drafts import STALE
from services.errors import DomainError
from views import common as common_view
from views.callbacks import InvalidCallback

log = logging.getLogger(__name__)

HandlerFn = Callable[[Update, BotContext], Coroutine[Any, Any, Any]]
Markups = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove

STALE_BUTTON = STALE
# A reply that Telegram's flood control refuses (429) is sent again once after the wait it asks
# for, if that wait is at most this long; a longer one fails the update like any other error.
MAX_REPLY_WAIT = 10.0


def handler(fn: HandlerFn) -> HandlerFn:
    """Answer the button at once, turn a DomainError into a translated reply and roll back."""

    @functools.wraps(fn)
    async def wrapper(update: Update, context: BotContext) -> Any:
        query = update.callback_query
        if query is not None:
            try:
                await query.answer()
            except BadRequest as error:  # e.g. "query is too old": the action still goes ahead
                log.info("could not answer a button press: %s", error)
        try:
            return await fn(update, context)
        except InvalidCallback:
            log.info(
                "invalid callback data from user %s", getattr(update.effective_user, "id", None)
            )
            context.unit.failed = True
            await send(update, common_view.stale_button(context._))
        except DomainError as error:
            context.unit.failed = True
            await send(update, common_view.refusal(error, context._))
        return None

    return wrapper


# --- from Screens to Telegram ----------------------------------------------------------------
def inline_keyboard(rows: Keyboard) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b.label, callback_data=b.data, url=b.url) for b in row]
            for row in rows
        ]
    )


def _markup(screen: Screen) -> Markups | None:
    if screen.buttons:
        return inline_keyboard(screen.buttons)
    if screen.reply_keyboard:
        return ReplyKeyboardMarkup(
            [
                [
                    KeyboardButton(
                        b.label,
                        request_location=b.request == "location",
                        request_contact=b.request == "contact",
                    )
                ]
                for b in screen.reply_keyboard
            ],
            resize_keyboard=True,
            one_time_keyboard=True,
        )
    if screen.remove_reply_keyboard:
        return ReplyKeyboardRemove()
    return None


def _file(attachment: str | File) -> str | InputFile:
    if isinstance(attachment, File):
        return InputFile(attachment.content, filename=attachment.filename)
    return attachment


async def _send_file(
    method: Callable[..., Coroutine[Any, Any, Message]],
    attachment: str | File,
    caption: str | None,
    markup: Any,
) -> Message:
    """By Telegram's file id when the file has one; uploaded again if Telegram refuses it."""
    if isinstance(attachment, File) and attachment.file_id:
        try:
            return await _flood_safe(
                method, attachment.file_id, caption=caption, reply_markup=markup
            )
        except BadRequest as error:
            if not stale_file_id(error):
                raise
            log.info("a file id was refused (%s); uploading the file again", error)
    return await _flood_safe(method, _file(attachment), caption=caption, reply_markup=markup)


async def settle() -> None:
    """Commit the update's changes before telling the user about them (see Unit.settle)."""
    unit = active_unit()
    if unit is not None:
        await unit.settle()


async def send(update: Update, *screens: Screen) -> Message:
    """Send each screen to the chat of this update, once what the update changed is committed."""
    await settle()
    chat = update.effective_chat
    assert chat is not None, "an update without a chat has nobody to answer"
    sent: Message | None = None
    for screen in (piece for whole in screens for piece in whole.pieces()):
        markup = _markup(screen)
        caption = str(screen.text) or None
        if screen.venue is not None:
            venue = screen.venue
            sent = await _flood_safe(
                chat.send_venue,
                venue.latitude,
                venue.longitude,
                venue.title,
                venue.address,
                reply_markup=markup,
            )
        elif screen.album and markup is not None:  # a media group takes no buttons: text follows
            await send_album(chat, screen.album, None)
            sent = await _flood_safe(chat.send_message, str(screen.text), reply_markup=markup)
        elif screen.album:
            sent = await send_album(chat, screen.album, caption)
        elif screen.photo is not None:
            sent = await _send_file(chat.send_photo, screen.photo, caption, markup)
        elif screen.document is not None:
            sent = await _send_file(chat.send_document, screen.document, caption, markup)
        else:
            sent = await _flood_safe(chat.send_message, str(screen.text), reply_markup=markup)
    assert sent is not None, "send() needs a screen"
    return sent


async def _flood_safe(request: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any) -> Any:
    """One request, made again once if Telegram asks the bot to slow down (429 retry_after)
    for at most MAX_REPLY_WAIT seconds; a user waiting for the answer gets it a little late
    instead of "sorry, something went wrong"."""
    try:
        return await request(*args, **kwargs)
    except RetryAfter as error:
        wait = error.retry_after
        seconds = float(wait) if isinstance(wait, int | float) else wait.total_seconds()
        if seconds > MAX_REPLY_WAIT:
            raise
        log.info("flood control: replying again in %ss", seconds)
        await asyncio.sleep(seconds)
        return await request(*args, **kwargs)


async def send_album(chat: Any, photos: tuple[str, ...], caption: str | None) -> Message:
    """Photos (Telegram file ids) as media groups of 2 to 10, a single one as a photo; the
    caption goes with the first. The last message sent is returned."""
    sent: Message | None = None
    for number, part in enumerate(album_parts(photos)):
        text = caption if number == 0 else None
        if len(part) == 1:
            sent = await _flood_safe(chat.send_photo, part[0], caption=text)
            continue
        media = [InputMediaPhoto(p, caption=text if i == 0 else None) for i, p in enumerate(part)]
        sent = (await _flood_safe(chat.send_media_group, media))[-1]
    assert sent is not None
    return sent


async def show(update: Update, screen: Screen) -> Message | bool:
    """Replace the pressed message with the screen (a button's answer), or send it anew when that
    message cannot be edited (a photo, a message too old) or there is no button."""
    query = update.callback_query
    plain = (
        screen.photo is None
        and screen.document is None
        and screen.venue is None
        and not screen.album
        and not screen.reply_keyboard
        and len(screen.pieces()) == 1
    )
    if query is not None and query.message is not None and plain:
        await settle()
        try:
            return await query.edit_message_text(
                str(screen.text), reply_markup=inline_keyboard(screen.buttons)
            )
        except BadRequest as error:
            if "not modified" in str(error).lower():
                return True
            log.info("could not edit message: %s", error)
    return await send(update, screen)


async def drop_buttons(update: Update) -> None:
    """Take the buttons off the pressed message (an old message may no longer be editable)."""
    query = update.callback_query
    if query is None or query.message is None:
        return
    await settle()
    try:
        await query.edit_message_reply_markup(reply_markup=None)
    except BadRequest as error:
        log.info("could not remove buttons: %s", error)


def callback_data(update: Update) -> str:
    """The pressed button's data (parsed and re-checked by the codec and the service)."""
    query = update.callback_query
    return (query.data or "") if query is not None else ""


def message_text(update: Update) -> str:
    message = update.effective_message
    return (message.text or "") if message is not None else ""


def message_of(update: Update) -> Message:
    """The update's message (handlers registered for messages always have one)."""
    message = update.effective_message
    assert message is not None
    return message


@handler
async def use_the_buttons(update: Update, context: BotContext) -> None:
    """Typed text (or a photo) in a conversation step that expects a button."""
    await send(update, common_view.use_the_buttons(context._))


@handler
async def need_text(update: Update, context: BotContext) -> None:
    """A photo, a sticker or a file in a step that waits for text."""
    await send(update, common_view.need_text(context._))
