"""Fees for residents: /bills (with Telegram Payments when a provider is configured), paying by
the compound's code and "I have paid"."""

from __future__ import annotations

from datetime import date

from telegram import LabeledPrice, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    PreCheckoutQueryHandler,
    filters,
)

from core.i18n import N_
from handlers.common import callback_data, drop_buttons, handler, message_of, send, show
from handlers.context import BotContext
from handlers.menu import MenuCommand, add_commands
from services import fee_claims, payments, receipts
from services.policy import Permission
from views import bills as view
from views import corrections
from views.callbacks import InvalidCallback


def today(context: BotContext) -> date:
    return context.now().astimezone(context.runtime.settings.tz).date()


@handler
async def show_bills(update: Update, context: BotContext) -> None:
    """/bills: balance, open bills and history of each home the person may see."""
    telegram = bool(context.runtime.settings.payment_provider_token)
    for found in await payments.statements(context.session, context.actor, today=today(context)):
        screen = view.statement(
            found, context._, today(context), telegram=telegram, tz=context.runtime.settings.tz
        )
        await send(update, screen)


@handler
async def fee_action(update: Update, context: BotContext) -> None:
    """A button under a statement: tenants' visibility, pay in Telegram, pay by code."""
    data = view.FeeAction.parse(callback_data(update))
    session, actor, _ = context.session, context.actor, context._
    if data.action in ("tenants_on", "tenants_off"):
        household = await payments.set_tenants_see_bills(
            session, actor, data.household_id, data.action == "tenants_on", now=context.now()
        )
        await show(update, view.tenants_choice(household.tenants_see_bills, _))
    elif data.action == "code":
        offered = await fee_claims.offer(session, actor, data.household_id)
        if offered.waiting is not None:
            await send(update, view.claim_waiting(offered.waiting, _, context.runtime.settings.tz))
        elif offered.owed <= 0:
            await send(update, view.nothing_to_pay(_))
        else:
            sent = await send(update, view.pay_by_code(offered, _))
            if sent.photo:  # the code's file id from now on (a first upload, or a new one)
                await fee_claims.keep_file_id(session, offered.picture, sent.photo[-1].file_id)
    elif data.action == "receipts":
        found = await receipts.home_receipts(session, actor, data.household_id)
        await send(update, corrections.receipts(found, _))
    elif data.action == "pay" and context.runtime.settings.payment_provider_token:
        label, owed = await payments.invoice_due(session, actor, data.household_id)
        if owed <= 0:
            await send(update, view.nothing_to_pay(_))
            return
        fen = int(owed * 100)
        texts = view.invoice(label, owed, _)
        await context.bot.send_invoice(
            message_of(update).chat_id,
            title=texts["title"],
            description=texts["description"],
            payload=payments.invoice_payload(data.household_id, fen),
            provider_token=context.runtime.settings.payment_provider_token,
            currency="CNY",
            prices=[LabeledPrice(texts["title"], fen)],
        )
    else:
        raise InvalidCallback(callback_data(update))


@handler
async def claim_paid(update: Update, context: BotContext) -> None:
    """ "I have paid": one open claim per home; the staff are told and confirm."""
    data = view.ClaimPaid.parse(callback_data(update))
    result = await fee_claims.claim(
        context.session,
        context.actor,
        household_id=data.household_id,
        method=data.method,
        fen=data.fen,
        now=context.now(),
    )
    if not result.new:
        await send(update, view.claim_waiting(result.claim, context._, context.runtime.settings.tz))
        return
    await drop_buttons(update)
    await send(update, view.claim_sent(result.claim, context._))


@handler
async def pre_checkout(update: Update, context: BotContext) -> None:
    """Telegram asks before taking the money: is this amount still what the home owes?"""
    query = update.pre_checkout_query
    assert query is not None
    _ = context._
    found = payments.parse_invoice(query.invoice_payload)
    if found is None or query.currency != "CNY" or found[1] != query.total_amount:
        await query.answer(
            ok=False, error_message=_.plain("This invoice is not valid. Please open /bills again.")
        )
        return
    if not await payments.invoice_still_due(context.session, context.actor, *found):
        await query.answer(
            ok=False, error_message=_.plain("The amount due has changed. Please open /bills again.")
        )
        return
    await query.answer(ok=True)


@handler
async def paid_in_telegram(update: Update, context: BotContext) -> None:
    """Money received through Telegram: booked once per charge id, however often the update comes."""
    payment = message_of(update).successful_payment
    assert payment is not None
    booking = await payments.book_in_telegram(
        context.session,
        context.actor,
        payload=payment.invoice_payload,
        fen=payment.total_amount,
        charge_id=payment.telegram_payment_charge_id,
        today=today(context),
        now=context.now(),
    )
    if booking is not None and booking.new:
        await send(update, view.paid_in_telegram(booking, context._))


def register(app: Application) -> None:
    add_commands(
        MenuCommand("bills", N_("My property fee bills"), Permission.FEES_VIEW_BILLS, order=45)
    )
    app.add_handler(CommandHandler("bills", show_bills))
    app.add_handler(CallbackQueryHandler(fee_action, pattern=view.FeeAction.pattern()))
    app.add_handler(CallbackQueryHandler(claim_paid, pattern=view.ClaimPaid.pattern()))
    app.add_handler(PreCheckoutQueryHandler(pre_checkout))
    app.add_handler(MessageHandler(filters.SUCCESSFUL_PAYMENT, paid_in_telegram))
