"""The monthly survey in the bot: /rate (or the invitation's button) opens this month's card;
each tap records one score for the home; a comment can be added."""

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
from handlers.common import buttons, edit_or_reply, handler, reply
from handlers.context import BotContext
from handlers.menu import MenuCommand, add_commands, registered
from services import surveys
from services.errors import DomainError
from views.surveys import SurveyComment, SurveyScore, card

COMMENT = 50


def _today(context: BotContext):  # type: ignore[no-untyped-def]
    return context.now().astimezone(context.runtime.settings.tz).date()


async def _show(update: Update, context: BotContext, *, edit: bool) -> None:
    month = surveys.month_of(_today(context))
    household = surveys.household_of(context.actor)
    answer = await surveys.answer_of(context.session, household, month)
    text, rows = card(answer, month, context._)
    if edit:
        await edit_or_reply(update, text, reply_markup=buttons(rows))
    else:
        await reply(update, text, reply_markup=buttons(rows))


@handler
async def rate(update: Update, context: BotContext) -> None:
    """/rate: this month's survey card for the person's home."""
    await _show(update, context, edit=False)


@handler
async def scored(update: Update, context: BotContext) -> None:
    data = SurveyScore.parse(update.callback_query.data)
    if not 0 <= data.question < len(surveys.QUESTIONS) or not 0 <= data.score <= 5:
        raise DomainError(N_("Scores go from 1 to 5."))
    if data.score == 0:  # a row's label or the invitation's button: show the card
        await _show(update, context, edit=False)
        return
    await surveys.score(context.session, context.actor, data.month, surveys.QUESTIONS[data.question], data.score,
                        now=context.now(), today=_today(context))  # fmt: skip
    await _show(update, context, edit=True)


@handler
async def comment_start(update: Update, context: BotContext) -> int | None:
    SurveyComment.parse(update.callback_query.data)
    surveys.household_of(context.actor)
    await reply(update, context._("Send your comment (at most 500 characters). /cancel to stop."))
    return COMMENT


@handler
async def comment_received(update: Update, context: BotContext) -> int | None:
    await surveys.comment(context.session, context.actor, update.effective_message.text, now=context.now(),
                          today=_today(context))  # fmt: skip
    await reply(update, context._("Thank you, your comment is recorded."))
    await _show(update, context, edit=False)
    return ConversationHandler.END


def register(app: Application) -> None:
    add_commands(MenuCommand("rate", N_("Rate this month's services"), registered, order=20))
    app.add_handler(
        ConversationHandler(
            entry_points=[CallbackQueryHandler(comment_start, pattern=SurveyComment.pattern())],
            states={COMMENT: [MessageHandler(filters.TEXT & ~filters.COMMAND, comment_received)]},
            fallbacks=conversation_fallbacks(), name="survey-comment", persistent=True,
        )
    )  # fmt: skip
    app.add_handler(CommandHandler("rate", rate))
    app.add_handler(CallbackQueryHandler(scored, pattern=SurveyScore.pattern()))
