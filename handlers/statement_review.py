"""/statement: staff assign the bank statement rows that matched no home or several — a tap on a
candidate home, or the home typed — or set them aside as no fee payment."""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from core.i18n import N_
from handlers.account import conversation_fallbacks
from handlers.common import callback_data, handler, message_text, need_text, send, show
from handlers.context import BotContext
from handlers.menu import MenuCommand, add_commands
from services import statement_review
from services.policy import Permission
from services.statement_review import Reviewed, ReviewStep
from views import statement_review as view


@handler
async def statement(update: Update, context: BotContext) -> None:
    """/statement: the oldest rows waiting, one card each."""
    items, count = await statement_review.waiting(context.session, context.actor, now=context.now())
    await send(update, *view.waiting(items, count, context._))


@handler
async def home_pressed(update: Update, context: BotContext) -> None:
    """A candidate home: booked on it (once)."""
    data = view.RowHome.parse(callback_data(update))
    result = await statement_review.book(
        context.session, context.actor, data.row_id, data.household_id, now=context.now()
    )
    await _answer(update, context, result)


@handler
async def dismissed(update: Update, context: BotContext) -> None:
    """Not a fee payment: set aside (once)."""
    data = view.RowDismissed.parse(callback_data(update))
    result = await statement_review.dismiss(
        context.session, context.actor, data.row_id, now=context.now()
    )
    await _answer(update, context, result)


@handler
async def typing_start(update: Update, context: BotContext) -> str | None:
    """ "Type the home": which one?"""
    data = view.RowTyped.parse(callback_data(update))
    row = await statement_review.start_typing(
        context.session, context.actor, data.row_id, now=context.now()
    )
    await send(update, view.ask_home(row, context._))
    return ReviewStep.HOME


@handler
async def home_typed(update: Update, context: BotContext) -> int:
    """The typed home: booked on it."""
    result = await statement_review.typed_home(
        context.session, context.actor, message_text(update), now=context.now()
    )
    await _answer(update, context, result)
    return ConversationHandler.END


async def _answer(update: Update, context: BotContext, result: Reviewed) -> None:
    """The card becomes the answer; a row answered before is said in a new message."""
    label = await statement_review.booked_label(context.session, result.row)
    screen = view.reviewed(result, label, context._)
    await (send(update, screen) if result.already else show(update, screen))


def register(app: Application) -> None:
    add_commands(
        MenuCommand(
            "statement",
            N_("Bank transfers to assign to homes"),
            Permission.FEES_RECORD_PAYMENT,
            order=46,
        )
    )
    app.add_handler(
        ConversationHandler(
            entry_points=[CallbackQueryHandler(typing_start, pattern=view.RowTyped.pattern())],
            states={
                ReviewStep.HOME: [
                    MessageHandler(filters.TEXT & ~filters.COMMAND, home_typed),
                    MessageHandler(~filters.COMMAND, need_text),
                ]
            },
            fallbacks=conversation_fallbacks(),
            name="statement",
            persistent=True,
            allow_reentry=True,
        )
    )
    app.add_handler(CommandHandler("statement", statement))
    app.add_handler(CallbackQueryHandler(home_pressed, pattern=view.RowHome.pattern()))
    app.add_handler(CallbackQueryHandler(dismissed, pattern=view.RowDismissed.pattern()))
