"""Owners' votes for the office, from a vote's card: the list of homes not yet voted (liaisons,
staff), the exported record (committee, administrators, officers), the counted receipt hashes,
entering a signed paper ballot (staff; a second one for a home only as the confirmed
replacement of the earlier one) and withdrawing a vote with a reason (committee,
administrators): conversations whose states are the drafts' steps."""

from __future__ import annotations

import asyncio
import re

from telegram import Update
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from handlers.account import conversation_fallbacks
from handlers.common import (
    HandlerFn,
    callback_data,
    handler,
    message_text,
    need_text,
    send,
    use_the_buttons,
)
from handlers.context import BotContext
from services import vote_ballots, vote_documents, vote_paper, vote_records, vote_withdrawal
from services.vote_ballots import PaperBallot
from services.vote_paper import PaperStep
from services.vote_withdrawal import WithdrawStep
from views import vote_office as view
from views.callbacks import InvalidCallback
from views.documents import ballot_sheet, result_sheet
from views.votes import VoteManage

PAPER = re.compile(rf"^v1:{VoteManage.kind}:paper:")
WITHDRAW = re.compile(rf"^v1:{VoteManage.kind}:withdraw:")


@handler
async def office(update: Update, context: BotContext) -> None:
    """A card's office button: not yet voted, the record, the paper ballots and the result
    notice to print, the receipt hashes."""
    data = VoteManage.parse(callback_data(update))
    session, actor, _ = context.session, context.actor, context._
    if data.action == "notvoted":
        found = await vote_records.not_voted(session, actor, data.poll_id, now=context.now())
        await send(update, view.not_voted(found, _))
    elif data.action == "export":
        record = await vote_records.export_record(
            session, actor, data.poll_id, tz=context.runtime.settings.tz, now=context.now()
        )
        await send(update, *view.record(record, _))
    elif data.action == "ballots":
        ballots = await vote_documents.paper_ballots(
            session, actor, data.poll_id, now=context.now()
        )
        tz = context.runtime.settings.tz
        content = await asyncio.to_thread(ballot_sheet.ballots_pdf, ballots, _, tz)
        await send(update, ballot_sheet.ballots_screen(ballots, content, _))
    elif data.action == "result":
        notice = await vote_documents.result_notice(session, actor, data.poll_id)
        tz = context.runtime.settings.tz
        await send(update, result_sheet.result_screen(notice, _, tz, today=context.now()))
    elif data.action == "receipts":
        poll, hashes = await vote_ballots.receipt_hashes(session, actor, data.poll_id)
        await send(update, view.receipt_hashes(poll, hashes, _))
    else:
        raise InvalidCallback(data.action)


@handler
async def paper_start(update: Update, context: BotContext) -> str | None:
    """ "Enter a paper ballot": which home?"""
    data = VoteManage.parse(callback_data(update))
    poll = await vote_paper.start(context.session, context.actor, data.poll_id, now=context.now())
    await send(update, view.ask_home(poll, context._))
    return PaperStep.HOME


@handler
async def paper_home(update: Update, context: BotContext) -> str | None:
    """The home, typed as 1栋 1单元 101 or 1-1-101: what does the ballot say?"""
    poll, draft = await vote_paper.home(
        context.session, context.actor, message_text(update), now=context.now()
    )
    await send(update, view.ask_choice(poll, draft, context._))
    return draft.step


async def _recorded(update: Update, context: BotContext, done: PaperBallot) -> str | int:
    """The answer to a paper ballot; a refused second one waits for the confirmation."""
    await send(update, view.paper_recorded(done, context._, context.runtime.settings.tz))
    return PaperStep.REPLACE if done.entry.refused else ConversationHandler.END


@handler
async def paper_choice(update: Update, context: BotContext) -> str | int:
    """A resolution's paper ballot: the choice pressed."""
    data = view.PaperChoice.parse(callback_data(update))
    done = await vote_paper.choose(
        context.session,
        context.actor,
        data.poll_id,
        data.household_id,
        data.choice,
        now=context.now(),
    )
    return await _recorded(update, context, done)


@handler
async def paper_candidates(update: Update, context: BotContext) -> str | int:
    """An election's paper ballot: the candidates' numbers."""
    done = await vote_paper.candidates(
        context.session, context.actor, message_text(update), now=context.now()
    )
    return await _recorded(update, context, done)


@handler
async def paper_replace(update: Update, context: BotContext) -> str | int:
    """After a refusal: it replaces that earlier ballot (recorded, flagged), or not."""
    data = view.PaperReplace.parse(callback_data(update))
    done = await vote_paper.confirm_replacement(
        context.session,
        context.actor,
        data.poll_id,
        data.household_id,
        data.earlier_id,
        data.confirmed,
        now=context.now(),
    )
    if done is None:
        await send(update, view.paper_kept(context._))
        return ConversationHandler.END
    return await _recorded(update, context, done)


@handler
async def withdraw_start(update: Update, context: BotContext) -> str | None:
    """ "Withdraw this vote": the reason owners will be told?"""
    data = VoteManage.parse(callback_data(update))
    poll = await vote_withdrawal.start(
        context.session, context.actor, data.poll_id, now=context.now()
    )
    await send(update, view.ask_reason(poll, context._))
    return WithdrawStep.REASON


@handler
async def withdraw_reason(update: Update, context: BotContext) -> str | None:
    """The reason, typed: confirm?"""
    found = await vote_withdrawal.give_reason(
        context.session, context.actor, message_text(update), now=context.now()
    )
    await send(update, view.confirm_withdrawal(found, context._))
    return WithdrawStep.CONFIRM


@handler
async def withdraw_confirm(update: Update, context: BotContext) -> int:
    """Withdraw it (everyone told of it gets the reason), or keep it; a second tap is answered."""
    data = view.WithdrawConfirm.parse(callback_data(update))
    done = await vote_withdrawal.confirm(
        context.session, context.actor, data.poll_id, data.confirmed, now=context.now()
    )
    await send(update, view.withdrawal_done(done, context._))
    return ConversationHandler.END


def register(app: Application) -> None:
    def typed(callback: HandlerFn) -> list[BaseHandler]:
        return [
            MessageHandler(filters.TEXT & ~filters.COMMAND, callback),
            MessageHandler(~filters.COMMAND, need_text),
        ]

    app.add_handler(
        ConversationHandler(
            entry_points=[CallbackQueryHandler(paper_start, pattern=PAPER)],
            states={
                PaperStep.HOME: typed(paper_home),
                PaperStep.CHOICE: [
                    CallbackQueryHandler(paper_choice, pattern=view.PaperChoice.pattern()),
                    *typed(paper_candidates),
                ],
                PaperStep.REPLACE: [
                    CallbackQueryHandler(paper_replace, pattern=view.PaperReplace.pattern()),
                    MessageHandler(~filters.COMMAND, use_the_buttons),
                ],
            },
            fallbacks=conversation_fallbacks(),
            name="vote-paper",
            persistent=True,
            allow_reentry=True,  # another home's ballot can be started from a card at any time
        )
    )
    app.add_handler(
        ConversationHandler(
            entry_points=[CallbackQueryHandler(withdraw_start, pattern=WITHDRAW)],
            states={
                WithdrawStep.REASON: typed(withdraw_reason),
                WithdrawStep.CONFIRM: [
                    CallbackQueryHandler(withdraw_confirm, pattern=view.WithdrawConfirm.pattern()),
                    MessageHandler(~filters.COMMAND, use_the_buttons),
                ],
            },
            fallbacks=conversation_fallbacks(),
            name="vote-withdraw",
            persistent=True,
            allow_reentry=True,
        )
    )
    # A tap on a confirmation already answered (a double tap, an old message): told why.
    app.add_handler(CallbackQueryHandler(withdraw_confirm, pattern=view.WithdrawConfirm.pattern()))
    app.add_handler(CallbackQueryHandler(paper_replace, pattern=view.PaperReplace.pattern()))
    app.add_handler(CallbackQueryHandler(office, pattern=VoteManage.pattern()))
