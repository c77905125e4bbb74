"""What every handler shares: the wrapper that answers buttons, renders domain errors and replies."""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest

from core.i18n import N_
from handlers.context import BotContext, active_unit
from services.errors import DomainError
from views.callbacks import InvalidCallback

log = logging.getLogger(__name__)

HandlerFn = Callable[[Update, BotContext], Awaitable[Any]]

STALE_BUTTON = N_("This button is no longer valid. Please start again from the menu.")


def handler(fn: HandlerFn) -> HandlerFn:
    """Answer the button at once, turn a DomainError into a translated reply and roll back."""

    @functools.wraps(fn)
    async def wrapper(update: Update, context: BotContext) -> Any:
        query = update.callback_query
        if query is not None:
            await query.answer()
        try:
            return await fn(update, context)
        except InvalidCallback:
            log.info("invalid callback data from user %s", update.effective_user.id)
            context.unit.failed = True
            await reply(update, context._(STALE_BUTTON))
        except DomainError as error:
            context.unit.failed = True
            await reply(update, error.render(context._))
        return None

    return wrapper


def buttons(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    """An inline keyboard from rows of (label, callback data); empty rows are dropped."""
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(text, callback_data=data) for text, data in row]
            for row in rows
            if row
        ]
    )


@handler
async def use_the_buttons(update: Update, context: BotContext) -> None:
    """Typed text (or a photo) in a conversation step that expects a button."""
    await reply(update, context._("Please choose with the buttons above, or send /cancel to stop."))


async def settle() -> None:
    """Commit the update's changes before telling the user about them (see Unit.settle)."""
    unit = active_unit()
    if unit is not None:
        await unit.settle()


async def reply(update: Update, text: str, **kwargs: Any) -> Message:
    """Send a message to the chat of this update (a button press has no message to reply to),
    once what the update changed is committed."""
    await settle()
    return await update.effective_chat.send_message(text, **kwargs)


async def edit_or_reply(update: Update, text: str, **kwargs: Any) -> Message | bool:
    """Replace the pressed message's text, or send a new one when it cannot be edited."""
    query = update.callback_query
    if query is not None and query.message is not None:
        await settle()
        try:
            return await query.edit_message_text(text, **kwargs)
        except BadRequest as error:
            if "not modified" in str(error).lower():
                return True
            log.info("could not edit message: %s", error)
    return await reply(update, text, **kwargs)


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


def parse_local_time(text: str | None, tz: ZoneInfo) -> datetime | None:
    """`YYYY-MM-DD HH:MM` in local time, or None when it is not a real date and time."""
    match = re.fullmatch(r"\s*(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2})\s*", text or "")
    if not match:
        return None
    try:
        year, month, day, hour, minute = (int(g) for g in match.groups())
        return datetime(year, month, day, hour, minute, tzinfo=tz)
    except ValueError:
        return None
