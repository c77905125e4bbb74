"""Owners' votes for those who read and vote: /vote, a vote's card, casting a ballot (a choice,
or ticked candidates), and /receipt to check that a ballot was counted."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from core.i18n import N_
from handlers.common import callback_data, handler, send, show
from handlers.context import BotContext
from handlers.menu import MenuCommand, add_commands
from services import vote_ballots, vote_cards
from services.policy import Permission
from views import votes as view


@handler
async def list_votes(update: Update, context: BotContext) -> None:
    """/vote: votes of the person's compounds, open ones first."""
    found = await vote_cards.votes_for(context.session, context.actor)
    await send(update, view.vote_list(found, context._))


@handler
async def open_card(update: Update, context: BotContext) -> None:
    """A vote tapped in the list or the notice: its card."""
    data = view.VoteView.parse(callback_data(update))
    found = await vote_cards.card(context.session, context.actor, data.poll_id)
    await send(update, view.card(found, context._, context.runtime.settings.tz))


@handler
async def cast(update: Update, context: BotContext) -> None:
    """Agree, disagree or abstain: the card shows the home's new choice, then the receipt."""
    data = view.VoteCast.parse(callback_data(update))
    done, found = await vote_cards.vote(
        context.session, context.actor, data.poll_id, [data.choice], now=context.now()
    )
    tz = context.runtime.settings.tz
    await show(update, view.card(found, context._, tz))
    await send(update, view.cast(done, context._, tz))


@handler
async def elect(update: Update, context: BotContext) -> None:
    """An election ballot: tick or untick a candidate (the card again), or submit."""
    data = view.VoteElect.parse(callback_data(update))
    tz = context.runtime.settings.tz
    if data.submit:
        done, found = await vote_cards.vote_selection(
            context.session, context.actor, data.poll_id, data.mask, now=context.now()
        )
        await show(update, view.card(found, context._, tz))
        await send(update, view.cast(done, context._, tz))
        return
    found = await vote_cards.card(context.session, context.actor, data.poll_id, mask=data.mask)
    await show(update, view.card(found, context._, tz))


@handler
async def check_receipt(update: Update, context: BotContext) -> None:
    """/receipt CODE: was this ballot counted? Says nothing about the choice."""
    if not context.args:
        await send(update, view.receipt_asked(context._))
        return
    poll, status = await vote_ballots.check_receipt(context.session, context.args[0])
    await send(update, view.receipt(poll, status, context._))


def register(app: Application) -> None:
    add_commands(
        MenuCommand(
            "vote", N_("Owners' votes: read, vote, results"), Permission.VOTE_VIEW, order=40
        )
    )
    app.add_handler(CommandHandler("vote", list_votes))
    app.add_handler(CommandHandler("receipt", check_receipt))
    app.add_handler(CallbackQueryHandler(open_card, pattern=view.VoteView.pattern()))
    app.add_handler(CallbackQueryHandler(cast, pattern=view.VoteCast.pattern()))
    app.add_handler(CallbackQueryHandler(elect, pattern=view.VoteElect.pattern()))
