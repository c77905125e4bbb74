"""Owners' votes around their result: the live turnout the committee and liaisons follow during
the vote, and objections to the preliminary result — an owner's (a conversation: the button, then
their text) and the committee's list of them."""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from handlers.account import conversation_fallbacks
from handlers.common import callback_data, handler, message_text, need_text, send
from handlers.context import BotContext
from services import vote_objections, vote_turnout
from services.vote_objections import ObjectionStep, PeriodOver
from views import common as common_view
from views import vote_objections as view
from views.vote_results import ObjectionStart
from views.vote_turnout import VoteTurnout
from views.vote_turnout import turnout as turnout_screen


@handler
async def turnout(update: Update, context: BotContext) -> None:
    """ "Live turnout" on an open vote's card: participation so far, by headcount and area."""
    data = VoteTurnout.parse(callback_data(update))
    found = await vote_turnout.live(context.session, context.actor, data.poll_id, now=context.now())
    await send(update, turnout_screen(found, context._, context.runtime.settings.tz))


@handler
async def objection_start(update: Update, context: BotContext) -> str | None:
    """ "Raise an objection" on a preliminary result: what is the objection?"""
    data = ObjectionStart.parse(callback_data(update))
    poll = await vote_objections.start(
        context.session, context.actor, data.poll_id, now=context.now()
    )
    await send(update, view.ask(poll, context._, context.runtime.settings.tz))
    return ObjectionStep.TEXT


@handler
async def objection_text(update: Update, context: BotContext) -> int | None:
    """The objection's text: stored and sent to the committee; the owner gets a confirmation.
    If the period ended meanwhile, the owner is told so and the conversation ends."""
    try:
        done = await vote_objections.submit(
            context.session, context.actor, message_text(update), now=context.now()
        )
    except PeriodOver as over:
        await vote_objections.abandon(context.session, context.actor)
        await send(update, common_view.refusal(over, context._))
        return ConversationHandler.END
    await send(update, view.recorded(done, context._, context.runtime.settings.tz))
    return ConversationHandler.END


@handler
async def objection_list(update: Update, context: BotContext) -> None:
    """The committee's list of a vote's objections."""
    data = view.ObjectionList.parse(callback_data(update))
    found = await vote_objections.objections(context.session, context.actor, data.poll_id)
    await send(update, view.objection_list(found, context._, context.runtime.settings.tz))


def register(app: Application) -> None:
    app.add_handler(
        ConversationHandler(
            entry_points=[CallbackQueryHandler(objection_start, pattern=ObjectionStart.pattern())],
            states={
                ObjectionStep.TEXT: [
                    MessageHandler(filters.TEXT & ~filters.COMMAND, objection_text),
                    MessageHandler(~filters.COMMAND, need_text),
                ],
            },
            fallbacks=conversation_fallbacks(),
            name="vote-objection",
            persistent=True,
            allow_reentry=True,  # another objection button pressed in the middle: start again
        )
    )
    app.add_handler(CallbackQueryHandler(turnout, pattern=VoteTurnout.pattern()))
    app.add_handler(CallbackQueryHandler(objection_list, pattern=view.ObjectionList.pattern()))
