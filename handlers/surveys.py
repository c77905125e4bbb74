"""The monthly survey in the bot: /rate (or the invitation's button) opens this month's card;
each tap records one score for the home; a comment can be added."""

from __future__ import annotations

from datetime import date

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
from handlers.common import callback_data, handler, message_text, send, show
from handlers.context import BotContext
from handlers.menu import MenuCommand, add_commands
from services import surveys
from services.policy import Permission
from services.surveys import CommentStep
from views import surveys as view
from views.surveys import SurveyComment, SurveyScore


def today(context: BotContext) -> date:
    return context.now().astimezone(context.runtime.settings.tz).date()


@handler
async def rate(update: Update, context: BotContext) -> None:
    """/rate: this month's survey card for the person's home."""
    found = await surveys.card(context.session, context.actor, today=today(context))
    await send(update, view.card(found, context._))


@handler
async def scored(update: Update, context: BotContext) -> None:
    """A score on the card (or a row's label, or the invitation's button: the card anew)."""
    data = SurveyScore.parse(callback_data(update))
    if data.score == 0:
        found = await surveys.card(context.session, context.actor, today=today(context))
        await send(update, view.card(found, context._))
        return
    found = await surveys.score(
        context.session,
        context.actor,
        data.month,
        data.question,
        data.score,
        now=context.now(),
        today=today(context),
    )
    await show(update, view.card(found, context._))


@handler
async def comment_start(update: Update, context: BotContext) -> str | None:
    """ "Add a comment": the next message is the comment."""
    data = SurveyComment.parse(callback_data(update))
    draft = await surveys.begin_comment(
        context.session, context.actor, data.month, now=context.now(), today=today(context)
    )
    await send(update, view.ask_comment(context._))
    return draft.step


@handler
async def comment_received(update: Update, context: BotContext) -> int | None:
    found = await surveys.comment(
        context.session,
        context.actor,
        message_text(update),
        now=context.now(),
        today=today(context),
    )
    await send(update, view.comment_recorded(context._), view.card(found, context._))
    return ConversationHandler.END


def register(app: Application) -> None:
    add_commands(
        MenuCommand("rate", N_("Rate this month's services"), Permission.SURVEY_ANSWER, order=20)
    )
    app.add_handler(
        ConversationHandler(
            entry_points=[CallbackQueryHandler(comment_start, pattern=SurveyComment.pattern())],
            states={
                CommentStep.TEXT: [
                    MessageHandler(filters.TEXT & ~filters.COMMAND, comment_received)
                ]
            },
            fallbacks=conversation_fallbacks(),
            name="survey-comment",
            persistent=True,
        )
    )
    app.add_handler(CommandHandler("rate", rate))
    app.add_handler(CallbackQueryHandler(scored, pattern=SurveyScore.pattern()))
