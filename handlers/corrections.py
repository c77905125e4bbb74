"""Corrections: /receipts (a home's payments for the office), reversing a payment with a reason,
receipts as PDF (households and the office), and a resident withdrawing an "I have paid"."""

from __future__ import annotations

import asyncio

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
from handlers.common import (
    callback_data,
    drop_buttons,
    handler,
    message_text,
    need_text,
    send,
    show,
    use_the_buttons,
)
from handlers.context import BotContext
from handlers.menu import MenuCommand, add_commands
from services import fee_claims, receipts, reversals
from services.policy import Permission
from services.reversals import QUICK_REASONS, ReversalStep
from views import corrections as view
from views.bills import ClaimWithdraw
from views.callbacks import InvalidCallback, answer_for


# --- the office: /receipts and reversing a payment -----------------------------------------------
@handler
async def receipts_start(update: Update, context: BotContext) -> str | None:
    """/receipts: which home?"""
    draft = await reversals.start_receipts(context.session, context.actor, now=context.now())
    await send(update, view.ask_home(context._))
    return draft.step


@handler
async def receipts_home(update: Update, context: BotContext) -> int:
    """The home: its latest payments, each with its receipt and Reverse."""
    found = await reversals.receipts_home(context.session, context.actor, message_text(update))
    await send(update, view.home_payments(found, context._))
    return ConversationHandler.END


@handler
async def reverse_start(update: Update, context: BotContext) -> str | None:
    """ "Reverse" under a payment: why?"""
    data = view.ReverseStart.parse(callback_data(update))
    proposed = await reversals.start_reversal(
        context.session, context.actor, data.payment_id, now=context.now()
    )
    await send(update, view.ask_reason(proposed, context._))
    return proposed.draft.step


@handler
async def reason_typed(update: Update, context: BotContext) -> str | None:
    """A typed reason: reverse it?"""
    return await _reason(update, context, message_text(update))


@handler
async def reason_pressed(update: Update, context: BotContext) -> str | None:
    """A quick reason (wrong home, wrong amount), in the words of the staff member's language."""
    value = answer_for(view.ReversalAnswer, callback_data(update), ReversalStep.REASON).value
    if value not in QUICK_REASONS:
        raise InvalidCallback(callback_data(update))
    return await _reason(update, context, context._.plain(QUICK_REASONS[value]))


async def _reason(update: Update, context: BotContext, text: str) -> str:
    proposed = await reversals.reversal_reason(
        context.session, context.actor, text, now=context.now()
    )
    await send(update, view.confirm_reversal(proposed, context._))
    return proposed.draft.step


@handler
async def reversal_confirmed(update: Update, context: BotContext) -> int:
    """Reverse it (once) or keep it."""
    value = answer_for(view.ReversalAnswer, callback_data(update), ReversalStep.CONFIRM).value
    if value not in ("yes", "no"):
        raise InvalidCallback(callback_data(update))
    result = await reversals.reversal_confirm(
        context.session, context.actor, value == "yes", now=context.now()
    )
    await show(update, view.reversed_for_office(result, context._))
    return ConversationHandler.END


# --- receipts ----------------------------------------------------------------------------------
@handler
async def receipt_pdf(update: Update, context: BotContext) -> None:
    """A receipt as a PDF, for the home's bill readers and the office."""
    data = view.ReceiptPdf.parse(callback_data(update))
    found = await receipts.receipt(context.session, context.actor, data.payment_id)
    tz = context.runtime.settings.tz
    screen = await asyncio.to_thread(view.receipt_document, found, context._, tz)
    await send(update, screen)


# --- a resident withdraws an "I have paid" ------------------------------------------------------
@handler
async def claim_withdraw(update: Update, context: BotContext) -> None:
    """Withdraw my payment report: ask first, then withdraw (once), or keep it."""
    data = ClaimWithdraw.parse(callback_data(update))
    session, actor, _ = context.session, context.actor, context._
    if data.action == "ask":
        claim, label = await fee_claims.withdrawable(session, actor, data.claim_id)
        await send(update, view.ask_withdrawal(claim, label, _, context.runtime.settings.tz))
    elif data.action == "yes":
        result = await fee_claims.withdraw(session, actor, data.claim_id, now=context.now())
        await show(update, view.withdrawn(result, _))
    elif data.action == "keep":
        await fee_claims.withdrawable(session, actor, data.claim_id)
        await drop_buttons(update)
        await send(update, view.kept_claim(_))
    else:
        raise InvalidCallback(callback_data(update))


def register(app: Application) -> None:
    add_commands(
        MenuCommand(
            "receipts",
            N_("A home's payments: receipts, reversing one"),
            Permission.FEES_REVERSE_PAYMENT,
            order=46,
        )
    )
    text = filters.TEXT & ~filters.COMMAND
    app.add_handler(
        ConversationHandler(
            entry_points=[
                CommandHandler("receipts", receipts_start),
                CallbackQueryHandler(reverse_start, pattern=view.ReverseStart.pattern()),
            ],
            states={
                ReversalStep.HOME: [
                    MessageHandler(text, receipts_home),
                    MessageHandler(~filters.COMMAND, need_text),
                ],
                ReversalStep.REASON: [
                    MessageHandler(text, reason_typed),
                    CallbackQueryHandler(reason_pressed, pattern=view.ReversalAnswer.pattern()),
                    MessageHandler(~filters.COMMAND, need_text),
                ],
                ReversalStep.CONFIRM: [
                    CallbackQueryHandler(reversal_confirmed, pattern=view.ReversalAnswer.pattern()),
                    MessageHandler(~filters.COMMAND, use_the_buttons),
                ],
            },
            fallbacks=conversation_fallbacks(),
            name="reversal",
            persistent=True,
            allow_reentry=True,
        )
    )
    app.add_handler(CallbackQueryHandler(receipt_pdf, pattern=view.ReceiptPdf.pattern()))
    app.add_handler(CallbackQueryHandler(claim_withdraw, pattern=ClaimWithdraw.pattern()))
