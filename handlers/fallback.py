"""Catch-alls, registered last: unknown commands, stray text, stale buttons, and the error handler."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from core.db import is_outage
from core.i18n import translator
from handlers.common import STALE_BUTTON, handler, send
from handlers.context import BotContext, HandledElsewhere, _current_unit
from views import account as view

log = logging.getLogger(__name__)


@handler
async def unknown_command(update: Update, context: BotContext) -> None:
    await send(update, view.unknown_command(context._))


@handler
async def unknown_message(update: Update, context: BotContext) -> None:
    await send(update, view.unknown_message(context._))


async def stale_button(update: Update, context: BotContext) -> None:
    """A button whose data no handler recognises: old, from another version, or forged."""
    query = update.callback_query
    assert query is not None
    try:
        await query.answer(context._.plain(STALE_BUTTON), show_alert=True)
    except BadRequest as error:  # "query is too old": the press waited for a stopped bot
        log.info("could not answer a stale button: %s", error)


async def on_error(update: object, context: BotContext) -> None:
    """Log with context; tell the user politely; never show a traceback; roll the unit back."""
    user_id = (
        update.effective_user.id if isinstance(update, Update) and update.effective_user else None
    )
    unit = _current_unit.get()
    if unit is not None and context.error is not None and is_outage(context.error):
        # The database is away: the unit of work rolls back and tries the update again, or tells
        # the user it was not applied (handlers.context.UnitOfWorkProcessor).
        unit.outage, unit.failed = context.error, True
        return
    if unit is not None and isinstance(context.error, HandledElsewhere):
        # Another worker took the update over when our lease ran out, and has answered: roll
        # back quietly (its reply stands; an apology here would be wrong).
        log.warning("update %s was handled by another worker", getattr(update, "update_id", None))
        unit.failed = True
        return
    log.error(
        "error while handling update %s from user %s",
        getattr(update, "update_id", None),
        user_id,
        exc_info=context.error,
    )
    if unit is not None:
        unit.failed = True
    if isinstance(update, Update):
        context.runtime.metrics.update_failed(update.get_bot().id)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    _ = unit.translator if unit is not None else translator("zh_Hans")
    try:
        await send(update, view.sorry(_))
    except Exception:  # the error may be the network itself
        log.warning("could not tell user %s about the error", user_id, exc_info=True)


def register(app: Application) -> None:
    app.add_handler(MessageHandler(filters.COMMAND, unknown_command))
    app.add_handler(MessageHandler(filters.ALL, unknown_message))
    app.add_handler(CallbackQueryHandler(stale_button))
    app.add_error_handler(on_error)
