"""/newvote: owners' committee members and administrators draft an owners' vote step by step
(the conversation's states are the draft's steps), see the notice as owners will, and publish."""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from core.i18n import N_
from handlers.account import conversation_fallbacks
from handlers.common import (
    HandlerFn,
    callback_data,
    handler,
    message_text,
    need_text,
    show,
    use_the_buttons,
)
from handlers.context import BotContext
from handlers.menu import MenuCommand, add_commands
from services import vote_drafts
from services.policy import Permission
from services.vote_drafts import TYPED, Question, VoteStep
from views import vote_drafting as view
from views.callbacks import answer_for


async def _ask(update: Update, context: BotContext, asked: Question) -> str:
    await show(update, view.question(asked, context._, context.runtime.settings.tz))
    return asked.draft.step


@handler
async def new_vote(update: Update, context: BotContext) -> str | None:
    """/newvote: which compound (if several), else the title."""
    asked = await vote_drafts.start(
        context.session, context.actor, now=context.now(), tz=context.runtime.settings.tz
    )
    return await _ask(update, context, asked)


@handler
async def typed(update: Update, context: BotContext) -> str | None:
    """The title, the text, the candidates or the times."""
    asked = await vote_drafts.answer_text(
        context.session,
        context.actor,
        message_text(update),
        now=context.now(),
        tz=context.runtime.settings.tz,
    )
    return await _ask(update, context, asked)


@handler
async def pressed(update: Update, context: BotContext) -> str | None:
    """An answer given with a button (kind, matter, seats, scope, buildings, times)."""
    data = view.DraftStep.parse(callback_data(update))
    asked = await vote_drafts.answer(
        context.session,
        context.actor,
        data.step,
        data.value,
        now=context.now(),
        tz=context.runtime.settings.tz,
    )
    return await _ask(update, context, asked)


@handler
async def publish(update: Update, context: BotContext) -> int:
    """Publish (or cancel) from the preview."""
    value = answer_for(view.DraftStep, callback_data(update), VoteStep.PREVIEW).value
    poll = await vote_drafts.publish(
        context.session, context.actor, value == "1", now=context.now()
    )
    await show(update, view.published(poll, context._, context.runtime.settings.tz))
    return ConversationHandler.END


def register(app: Application) -> None:
    add_commands(
        MenuCommand("newvote", N_("Draft an owners' vote"), Permission.VOTE_DRAFT, order=41)
    )

    def text_step(callback: HandlerFn) -> list[BaseHandler]:
        return [
            MessageHandler(filters.TEXT & ~filters.COMMAND, callback),
            MessageHandler(~filters.COMMAND, need_text),
        ]

    def button_step(callback: HandlerFn) -> list[BaseHandler]:
        return [
            CallbackQueryHandler(callback, pattern=view.DraftStep.pattern()),
            MessageHandler(~filters.COMMAND, use_the_buttons),
        ]

    states: dict[object, list[BaseHandler]] = {
        step: text_step(typed) if step in TYPED else button_step(pressed) for step in VoteStep
    }
    states[VoteStep.PREVIEW] = button_step(publish)
    app.add_handler(
        ConversationHandler(
            entry_points=[CommandHandler("newvote", new_vote)],
            states=states,
            fallbacks=conversation_fallbacks(),
            name="newvote",
            persistent=True,
        )
    )
