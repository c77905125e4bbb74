"""Fees for the office: /payment (staff book money at the desk), /claims and the answers to
residents' "I have paid", /arrears, /fees and /paycode (administrators)."""

from __future__ import annotations

from datetime import date

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from core.i18n import N_, iso_month
from handlers.account import conversation_fallbacks
from handlers.common import (
    HandlerFn,
    callback_data,
    handler,
    message_of,
    message_text,
    need_text,
    send,
    show,
    use_the_buttons,
)
from handlers.context import BotContext
from handlers.menu import MenuCommand, add_commands
from services import fee_claims, fee_flows, fee_reports, fee_setting, uploads
from services.fee_flows import PaycodeStep, PaymentStep
from services.fee_setting import FeeQuestion, FeeStep
from services.policy import Permission
from views import fee_office as view
from views import fee_setting as fee_view
from views.callbacks import answer_for


def today(context: BotContext) -> date:
    return context.now().astimezone(context.runtime.settings.tz).date()


# --- /payment ---------------------------------------------------------------------------------
@handler
async def payment_start(update: Update, context: BotContext) -> str | None:
    """/payment: which home?"""
    draft = await fee_flows.start_payment(context.session, context.actor, now=context.now())
    await send(update, view.ask_home(context._))
    return draft.step


@handler
async def payment_home(update: Update, context: BotContext) -> str | None:
    """The home, typed as 1栋 1单元 101 or 1-1-101: how much?"""
    draft = await fee_flows.payment_home(
        context.session, context.actor, message_text(update), now=context.now()
    )
    await send(update, view.ask_amount(draft, context._))
    return draft.step


@handler
async def payment_amount(update: Update, context: BotContext) -> str | None:
    """The amount: how was it paid?"""
    draft = await fee_flows.payment_amount(
        context.session, context.actor, message_text(update), now=context.now()
    )
    await send(update, view.ask_method(draft, context._))
    return draft.step


@handler
async def payment_method(update: Update, context: BotContext) -> int:
    """The way it was paid: booked, and the household told."""
    method = answer_for(view.FeeAnswer, callback_data(update), PaymentStep.METHOD).value
    booking = await fee_flows.payment_method(
        context.session, context.actor, method, today=today(context), now=context.now()
    )
    await show(update, view.booked(booking, context._))
    return ConversationHandler.END


# --- residents' "I have paid" ------------------------------------------------------------------
@handler
async def claims(update: Update, context: BotContext) -> None:
    """/claims: the payments residents reported that no one has answered yet, with the buttons."""
    waiting = await fee_claims.open_claims(context.session, context.actor, now=context.now())
    await send(update, *view.open_claims(waiting, context._, context.runtime.settings.tz))


@handler
async def claim_decided(update: Update, context: BotContext) -> None:
    """Staff: the money of a claim arrived (booked once), or it is not there yet."""
    data = view.ClaimDecision.parse(callback_data(update))
    result = await fee_claims.decide(
        context.session,
        context.actor,
        data.claim_id,
        received=data.received,
        today=today(context),
        now=context.now(),
    )
    screen = view.decided(result, context._)
    await (send(update, screen) if view.answered_elsewhere(result) else show(update, screen))


# --- /arrears ---------------------------------------------------------------------------------
@handler
async def arrears(update: Update, context: BotContext) -> None:
    """/arrears [YYYY-MM]: overdue bills by building, the list by home, the month's collection rate."""
    month = context.args[0] if context.args else iso_month(today(context))
    compounds = await fee_reports.report_compounds(context.session, context.actor, month)
    if len(compounds) > 1:
        await send(update, view.arrears_compounds(compounds, month, context._))
        return
    await _send_arrears(update, context, compounds[0].id if compounds else 0, month)


@handler
async def arrears_of(update: Update, context: BotContext) -> None:
    data = view.ArrearsOf.parse(callback_data(update))
    await _send_arrears(update, context, data.compound_id, data.month)


async def _send_arrears(
    update: Update, context: BotContext, compound_id: int | None, month: str
) -> None:
    report = await fee_reports.arrears_report(
        context.session,
        context.actor,
        compound_id or 0,
        month,
        today=today(context),
        now=context.now(),
    )
    await send(update, *view.arrears(report, context._))


# --- /fees ---------------------------------------------------------------------------------
@handler
async def fees_start(update: Update, context: BotContext) -> str | None:
    """/fees: the fees so far, then the first question."""
    question = await fee_setting.start_fee(
        context.session, context.actor, today=today(context), now=context.now()
    )
    await send(
        update,
        fee_view.fees_in_force(question.fees, question.compounds, today(context), context._),
    )
    await send(update, fee_view.fee_question(question, context._, today(context)))
    return question.draft.step


@handler
async def fee_typed(update: Update, context: BotContext) -> str | int | None:
    """A typed answer: the price, or a first or last day."""
    draft = await fee_setting.fee_draft(context.session, context.actor)
    return await _fee_answer(update, context, draft.step, message_text(update))


@handler
async def fee_button(update: Update, context: BotContext) -> str | int | None:
    """Any other answer, a button."""
    data = view.FeeAnswer.parse(callback_data(update))
    return await _fee_answer(update, context, data.step, data.value)


async def _fee_answer(update: Update, context: BotContext, step: str, value: str) -> str | int:
    result = await fee_setting.fee_answer(
        context.session, context.actor, step, value, today=today(context), now=context.now()
    )
    if isinstance(result, FeeQuestion):
        await show(update, fee_view.fee_question(result, context._, today(context)))
        return result.draft.step
    await show(update, fee_view.fee_saved(result, context._, today(context)))
    return ConversationHandler.END


# --- /paycode ---------------------------------------------------------------------------------
@handler
async def paycode_start(update: Update, context: BotContext) -> str | None:
    draft, compounds = await fee_flows.start_paycode(
        context.session, context.actor, now=context.now()
    )
    screen = (
        view.ask_paycode(context._)
        if draft.step == PaycodeStep.PHOTO
        else view.paycode_compound(compounds, context._)
    )
    await send(update, screen)
    return draft.step


@handler
async def paycode_compound(update: Update, context: BotContext) -> str | None:
    value = answer_for(view.FeeAnswer, callback_data(update), PaycodeStep.COMPOUND).value
    draft = await fee_flows.paycode_compound(
        context.session, context.actor, value, now=context.now()
    )
    await show(update, view.ask_paycode(context._))
    return draft.step


@handler
async def paycode_photo(update: Update, context: BotContext) -> int:
    message = message_of(update)
    photo = message.photo[-1]

    async def download() -> bytes:
        try:
            return bytes(await (await photo.get_file()).download_as_bytearray())
        except BadRequest as error:  # Telegram's own limit, when the update gave no size
            if "too big" not in str(error).lower():
                raise
            raise uploads.too_big(uploads.TELEGRAM_DOWNLOAD_LIMIT) from None

    compound, payee = await fee_flows.paycode_photo(
        context.session,
        context.actor,
        caption=message.caption,
        size=photo.file_size,
        download=download,
        file_id=photo.file_id,
        now=context.now(),
    )
    await send(update, view.paycode_saved(compound, payee, context._))
    return ConversationHandler.END


@handler
async def need_photo(update: Update, context: BotContext) -> None:
    await send(update, view.need_photo(context._))


def register(app: Application) -> None:
    add_commands(
        MenuCommand(
            "payment", N_("Record a fee payment"), Permission.FEES_RECORD_PAYMENT, order=46
        ),
        MenuCommand(
            "claims", N_("Payments residents reported"), Permission.FEES_CONFIRM_CLAIM, order=46
        ),
        MenuCommand(
            "arrears", N_("Arrears and fee collection rate"), Permission.FEES_REPORT, order=47
        ),
        MenuCommand("fees", N_("Set the property fee"), Permission.FEES_CONFIGURE, order=48),
        MenuCommand(
            "paycode",
            N_("Set the payment QR code residents scan"),
            Permission.FEES_PAYMENT_CODE,
            order=49,
        ),
    )
    text = filters.TEXT & ~filters.COMMAND

    def typed(callback: HandlerFn) -> list[BaseHandler]:
        return [MessageHandler(text, callback), MessageHandler(~filters.COMMAND, need_text)]

    def pressed(callback: HandlerFn) -> list[BaseHandler]:
        return [
            CallbackQueryHandler(callback, pattern=view.FeeAnswer.pattern()),
            MessageHandler(~filters.COMMAND, use_the_buttons),
        ]

    app.add_handler(
        ConversationHandler(
            entry_points=[CommandHandler("payment", payment_start)],
            states={
                PaymentStep.HOME: typed(payment_home),
                PaymentStep.AMOUNT: typed(payment_amount),
                PaymentStep.METHOD: pressed(payment_method),
            },
            fallbacks=conversation_fallbacks(),
            name="payment",
            persistent=True,
        )
    )
    typed_steps = (FeeStep.PRICE, FeeStep.START, FeeStep.END)  # these also have buttons

    def typed_or_pressed(callback: HandlerFn) -> list[BaseHandler]:
        return [
            CallbackQueryHandler(fee_button, pattern=view.FeeAnswer.pattern()),
            *typed(callback),
        ]

    app.add_handler(
        ConversationHandler(
            entry_points=[CommandHandler("fees", fees_start)],
            states={
                **{s: typed_or_pressed(fee_typed) for s in typed_steps},
                **{s: pressed(fee_button) for s in FeeStep if s not in typed_steps},
            },
            fallbacks=conversation_fallbacks(),
            name="fees",
            persistent=True,
        )
    )
    app.add_handler(
        ConversationHandler(
            entry_points=[CommandHandler("paycode", paycode_start)],
            states={
                PaycodeStep.COMPOUND: pressed(paycode_compound),
                PaycodeStep.PHOTO: [
                    MessageHandler(filters.PHOTO, paycode_photo),
                    MessageHandler(~filters.COMMAND, need_photo),
                ],
            },
            fallbacks=conversation_fallbacks(),
            name="paycode",
            persistent=True,
        )
    )
    app.add_handler(CommandHandler("claims", claims))
    app.add_handler(CommandHandler("arrears", arrears))
    app.add_handler(CallbackQueryHandler(claim_decided, pattern=view.ClaimDecision.pattern()))
    app.add_handler(CallbackQueryHandler(arrears_of, pattern=view.ArrearsOf.pattern()))
