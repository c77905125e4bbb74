"""Fees in the bot: /bills for residents (with Telegram Payments when a provider is configured),
/payment for staff, /arrears for staff and officers, /fees for administrators."""

from __future__ import annotations

import dataclasses
import io
import re
import uuid
from datetime import date, timedelta
from decimal import Decimal

from telegram import InputFile, LabeledPrice, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    PreCheckoutQueryHandler,
    filters,
)

from core.i18n import N_, translator
from handlers.account import conversation_fallbacks
from handlers.common import (
    buttons,
    drop_buttons,
    edit_or_reply,
    handler,
    reply,
    settle,
    use_the_buttons,
)
from handlers.context import BotContext
from handlers.menu import MenuCommand, add_commands, registered, with_role
from models import BillingPeriod, ClaimStatus, Compound, Household, PaymentMethod, Role
from services import fee_claims, fees, outbox, pending
from services.errors import DomainError
from services.outbox import Outgoing, quiet_hours
from services.places import find_household, household_labels
from services.spreadsheets import xlsx
from services.tickets import role_holders
from views.callbacks import CallbackData, InvalidCallback, answer_for
from views.fees import (
    CLAIM_BUTTON,
    METHOD,
    ClaimDecision,
    ClaimPaid,
    FeeAction,
    arrears_text,
    claim_for_staff_text,
    claim_not_found_text,
    claim_waiting_text,
    pay_by_code_text,
    statement_text,
)

PAY_HOME, PAY_AMOUNT, PAY_METHOD = range(30, 33)
FEE_COMPOUND, FEE_PRICE, FEE_STEP = range(40, 43)
PAYCODE_COMPOUND, PAYCODE_PHOTO = range(43, 45)
CLAIMS_SHOWN = 10
PAYMENT, FEE_DRAFT, PAYCODE = "payment", "fee_draft", "paycode"
PERIOD = {BillingPeriod.MONTHLY: N_("monthly"), BillingPeriod.QUARTERLY: N_("quarterly"),
          BillingPeriod.YEARLY: N_("yearly")}  # fmt: skip
STAFF_METHODS = (PaymentMethod.CASH, PaymentMethod.BANK, PaymentMethod.WECHAT, PaymentMethod.ALIPAY)


@dataclasses.dataclass(frozen=True)
class FeeStep(CallbackData, kind="fs"):
    """One answer in the staff payment or the fee schedule flow."""

    step: str
    value: str


@dataclasses.dataclass(frozen=True)
class ArrearsOf(CallbackData, kind="fr"):
    compound_id: int
    month: str  # YYYY-MM


def _today(context: BotContext) -> date:
    return context.now().astimezone(context.runtime.settings.tz).date()


# --- residents ---------------------------------------------------------------------------------
@handler
async def bills(update: Update, context: BotContext) -> None:
    """/bills: balance, open bills and history of each home the person may see."""
    _ = context._
    actor, session = context.actor, context.session
    visible = await fees.bill_households(session, actor)
    if not actor.households:
        await reply(
            update,
            _(
                "Fees are shown to residents registered to a home. Ask the property office for an invite."
            ),
        )
        return
    if not visible:
        await reply(
            update,
            _("Only the owners see this home's bills; they can let tenants see them with /bills."),
        )
        return
    labels = await household_labels(session, visible)
    for household_id in visible:
        bills_open = await fees.open_bills(session, household_id, _today(context))
        credit = await fees.credit(session, household_id)
        text = statement_text(
            labels[household_id],
            bills_open,
            credit,
            await fees.history(session, household_id),
            _,
            _today(context),
        )
        rows = []
        owed = sum((b.remaining for b in bills_open), Decimal(0))
        if owed > 0 and context.runtime.settings.payment_provider_token:
            rows.append(
                [
                    (
                        _("Pay {amount} in Telegram").format(amount=_.money(owed)),
                        FeeAction("pay", household_id).pack(),
                    )
                ]
            )
        if owed > 0 and await fee_claims.account_of(session, household_id) is not None:
            rows.append(
                [
                    (
                        _("Pay by WeChat Pay, Alipay or bank transfer"),
                        FeeAction("code", household_id).pack(),
                    )
                ]
            )
        if household_id in {t.household_id for t in actor.households if t.is_owner}:
            household = await session.get(Household, household_id)
            if household.tenants_see_bills:
                rows.append(
                    [
                        (
                            _("Stop showing bills to tenants"),
                            FeeAction("tenants_off", household_id).pack(),
                        )
                    ]
                )
            else:
                rows.append(
                    [
                        (
                            _("Let tenants see these bills"),
                            FeeAction("tenants_on", household_id).pack(),
                        )
                    ]
                )
        await reply(update, text, reply_markup=buttons(rows) if rows else None)


@handler
async def fee_action(update: Update, context: BotContext) -> None:
    _ = context._
    data = FeeAction.parse(update.callback_query.data)
    if data.action in ("tenants_on", "tenants_off"):
        await fees.set_tenants_see_bills(
            context.session, context.actor, data.household_id, data.action == "tenants_on"
        )
        allowed = data.action == "tenants_on"
        text = _("Tenants of this home can now see its bills.")
        if not allowed:
            text = _("Only owners see this home's bills now.")
        await edit_or_reply(update, text)
        return
    if data.action == "code":
        await _show_payment_code(update, context, data.household_id)
        return
    if data.action != "pay":
        raise InvalidCallback(update.callback_query.data)
    token = context.runtime.settings.payment_provider_token
    if (
        data.household_id not in await fees.bill_households(context.session, context.actor)
        or not token
    ):
        raise InvalidCallback(update.callback_query.data)
    owed = await fees.outstanding(context.session, data.household_id)
    if owed <= 0:
        await reply(update, _("Nothing to pay. Thank you!"))
        return
    label = (await household_labels(context.session, [data.household_id]))[data.household_id]
    fen = int(owed * 100)
    await context.bot.send_invoice(
        update.effective_chat.id, title=_("Property service fee"),
        description=_("Open bills of {home}").format(home=label), payload=f"fee:{data.household_id}:{fen}",
        provider_token=token, currency="CNY", prices=[LabeledPrice(_("Property service fee"), fen)],
    )  # fmt: skip


async def _show_payment_code(update: Update, context: BotContext, household_id: int) -> None:
    """The compound's WeChat Pay / Alipay code, the amount, the note to write, and "I have paid"."""
    _ = context._
    offered = await fee_claims.offer(context.session, context.actor, household_id)
    if offered.waiting is not None:
        await reply(update, claim_waiting_text(offered.waiting, _, context.runtime.settings.tz))
        return
    if offered.owed <= 0:
        await reply(update, _("Nothing to pay. Thank you!"))
        return
    label = (await household_labels(context.session, [household_id]))[household_id]
    fen = int(offered.owed * 100)
    rows = [
        [(_(CLAIM_BUTTON[m]), ClaimPaid(household_id, m.value, fen).pack())]
        for m in fee_claims.CLAIM_METHODS
    ]
    picture = offered.picture
    await settle()
    await update.effective_chat.send_photo(
        picture.telegram_file_id or InputFile(picture.content, filename=picture.filename),
        caption=pay_by_code_text(offered.account.payee, offered.owed, label, _), reply_markup=buttons(rows),
    )  # fmt: skip


@handler
async def claim_paid(update: Update, context: BotContext) -> None:
    """ "I have paid": one open claim per home; the staff are told and confirm."""
    _, tz = context._, context.runtime.settings.tz
    data = ClaimPaid.parse(update.callback_query.data)
    result = await fee_claims.claim(context.session, context.actor, household_id=data.household_id,
                                    method=data.method, fen=data.fen, now=context.now())  # fmt: skip
    if not result.new:
        await reply(update, claim_waiting_text(result.claim, _, tz))
        return
    await _tell_staff(context, result.claim)
    await drop_buttons(update)
    await reply(update, _("Thank you. The property office will check its account and confirm your payment of {amount} ({method}); you will get a message then.").format(
        amount=_.money(Decimal(result.claim.amount)), method=_(METHOD[PaymentMethod(result.claim.method)])))  # fmt: skip


def _decision_buttons(claim, _) -> list[list[dict[str, str]]]:  # type: ignore[no-untyped-def]
    return [[{"text": _("The money has arrived"), "data": ClaimDecision(claim.id, True).pack()},
             {"text": _("Not found yet"), "data": ClaimDecision(claim.id, False).pack()}]]  # fmt: skip


@handler
async def claims(update: Update, context: BotContext) -> None:
    """/claims: the payments residents reported that no one has answered yet, with the buttons."""
    _, session, tz = context._, context.session, context.runtime.settings.tz
    waiting = await fee_claims.open_claims(session, context.actor)
    if not waiting:
        await reply(update, _("No reported payments are waiting for confirmation."))
        return
    shown = waiting[:CLAIMS_SHOWN]
    labels = await household_labels(session, [c.household_id for c in shown])
    for claim in shown:
        label = labels[claim.household_id]
        rows = [[(b["text"], b["data"]) for b in row] for row in _decision_buttons(claim, _)]
        await reply(update, claim_for_staff_text(label, claim, _, tz), reply_markup=buttons(rows))
    if len(waiting) > CLAIMS_SHOWN:
        await reply(update, _("{count} more are waiting; answer these first, then send /claims again.").format(
            count=len(waiting) - CLAIMS_SHOWN))  # fmt: skip


async def _tell_staff(context: BotContext, claim) -> None:  # type: ignore[no-untyped-def]
    session, tz = context.session, context.runtime.settings.tz
    label = (await household_labels(session, [claim.household_id]))[claim.household_id]
    people = await role_holders(
        session, claim.compound_id, {Role.STAFF.value}
    ) or await role_holders(session, claim.compound_id, {Role.ADMIN.value})
    messages = []
    for person in people:
        _ = translator(person.language or "")
        choices = _decision_buttons(claim, _)
        messages.append(Outgoing(chat_id=person.telegram_id, resident_id=person.id, recipient_key=str(person.id),
                                 payload={"text": claim_for_staff_text(label, claim, _, tz),
                                          "buttons": choices}))  # fmt: skip
    await outbox.enqueue(session, f"fee-claim:{claim.id}", messages, now=context.now(),
                         quiet=quiet_hours(context.runtime.settings))  # fmt: skip


@handler
async def claim_decided(update: Update, context: BotContext) -> None:
    """Staff: the money of a claim arrived (booked once), or it is not there yet."""
    _, session, tz = context._, context.session, context.runtime.settings.tz
    data = ClaimDecision.parse(update.callback_query.data)
    result = await fee_claims.decide(session, context.actor, data.claim_id, received=data.received,
                                     today=_today(context), now=context.now())  # fmt: skip
    claim = result.claim
    label = (await household_labels(session, [claim.household_id]))[claim.household_id]
    if result.already:
        text = _("Already answered: the money of {home} was not found yet.")
        if claim.status == ClaimStatus.CONFIRMED:
            text = _("Already answered: {amount} of {home} is booked.")
        await reply(update, text.format(home=label, amount=_.money(Decimal(claim.amount))))
        return
    if result.booking is not None:
        booking = result.booking
        await _tell_household(context, booking, label)
        await edit_or_reply(update, _("Booked {amount} ({method}) for {home}. Still to pay: {owed}; paid in advance: {credit}.").format(
            amount=_.money(Decimal(booking.payment.amount)), method=_(METHOD[PaymentMethod(booking.payment.method)]),
            home=label, owed=_.money(booking.outstanding), credit=_.money(booking.credit)))  # fmt: skip
        return
    household = await session.get(Household, claim.household_id)
    people = [
        Outgoing(chat_id=p.telegram_id, resident_id=p.id, household_id=household.id, recipient_key=str(p.id),
                 payload={"text": claim_not_found_text(label, claim, translator(p.language or ""), tz)})
        for p in await fees.bill_recipients(session, household)
    ]  # fmt: skip
    await outbox.enqueue(session, f"fee-claim:{claim.id}:not-found", people, now=context.now(),
                         quiet=quiet_hours(context.runtime.settings))  # fmt: skip
    await edit_or_reply(
        update, _("{home} has been told that the money has not been found yet.").format(home=label)
    )


def _invoice(payload: str) -> tuple[int, int] | None:
    match = re.fullmatch(r"fee:(\d{1,12}):(\d{1,12})", payload or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


@handler
async def pre_checkout(update: Update, context: BotContext) -> None:
    """Telegram asks before taking the money: is this amount still what the home owes?"""
    query = update.pre_checkout_query
    found = _invoice(query.invoice_payload)
    _ = context._
    if found is None or query.currency != "CNY" or found[1] != query.total_amount:
        await query.answer(
            ok=False, error_message=_("This invoice is not valid. Please open /bills again.")
        )
        return
    household_id, fen = found
    visible = household_id in await fees.bill_households(context.session, context.actor)
    owed = await fees.outstanding(context.session, household_id)
    if not visible or int(owed * 100) != fen:
        await query.answer(
            ok=False, error_message=_("The amount due has changed. Please open /bills again.")
        )
        return
    await query.answer(ok=True)


@handler
async def paid_in_telegram(update: Update, context: BotContext) -> None:
    """Money received through Telegram: booked once per charge id, however often the update comes."""
    _ = context._
    payment = update.effective_message.successful_payment
    found = _invoice(payment.invoice_payload)
    if found is None:
        return
    booking = await fees.record_payment(
        context.session, context.actor, household_id=found[0], amount=Decimal(payment.total_amount) / 100,
        method=PaymentMethod.TELEGRAM, reference=payment.telegram_payment_charge_id, paid_on=_today(context),
        now=context.now(),
    )  # fmt: skip
    if not booking.new:
        return
    await reply(update, _("Payment received: {amount}. Thank you! Still to pay: {owed}.").format(
        amount=_.money(Decimal(booking.payment.amount)), owed=_.money(booking.outstanding)))  # fmt: skip


# --- staff record a payment ------------------------------------------------------------------------
@handler
async def payment_start(update: Update, context: BotContext) -> int | None:
    _ = context._
    compounds = await fees.role_compounds(context.session, context.actor, fees.STAFF_ROLES)
    if not compounds:
        await reply(update, _("Only property staff of this compound can record payments."))
        return ConversationHandler.END
    await pending.expect(
        context.session, context.actor, PAYMENT, 0, now=context.now(), nonce=uuid.uuid4().hex
    )
    await reply(
        update, _("Record a payment. Which home? For example 1栋 1单元 101. /cancel to stop.")
    )
    return PAY_HOME


@handler
async def payment_home(update: Update, context: BotContext) -> int | None:
    _ = context._
    row = await pending.current(context.session, context.actor)
    compounds = await fees.role_compounds(context.session, context.actor, fees.STAFF_ROLES)
    home = await find_household(
        context.session, [c.id for c in compounds], update.effective_message.text
    )
    label = (await household_labels(context.session, [home.id]))[home.id]
    owed = await fees.outstanding(context.session, home.id)
    await pending.expect(
        context.session, context.actor, PAYMENT, home.id, now=context.now(), nonce=row.data["nonce"]
    )
    await reply(
        update,
        _("{home} owes {owed}. How much was paid? For example 1234.50").format(
            home=label, owed=_.money(owed)
        ),
    )
    return PAY_AMOUNT


@handler
async def payment_amount(update: Update, context: BotContext) -> int | None:
    _ = context._
    try:
        amount = fees.parse_money(update.effective_message.text)
    except DomainError as error:
        await reply(update, error.render(_))
        return PAY_AMOUNT
    row = await pending.current(context.session, context.actor)
    await pending.expect(context.session, context.actor, PAYMENT, row.ref_id, now=context.now(),
                         nonce=row.data["nonce"], amount=str(amount))  # fmt: skip
    rows = [[(_(METHOD[m]), FeeStep("method", m.value).pack()) for m in STAFF_METHODS[:2]],
            [(_(METHOD[m]), FeeStep("method", m.value).pack()) for m in STAFF_METHODS[2:]]]  # fmt: skip
    await reply(
        update,
        _("{amount} — how was it paid?").format(amount=_.money(amount)),
        reply_markup=buttons(rows),
    )
    return PAY_METHOD


@handler
async def payment_method(update: Update, context: BotContext) -> int | None:
    _ = context._
    method = answer_for(FeeStep, update.callback_query.data, "method").value
    if method not in {m.value for m in STAFF_METHODS}:
        raise InvalidCallback(method)
    row = await pending.take(context.session, context.actor, PAYMENT)
    if "amount" not in row.data:
        raise InvalidCallback(update.callback_query.data)
    booking = await fees.record_payment(
        context.session, context.actor, household_id=row.ref_id, amount=Decimal(row.data["amount"]), method=method,
        reference=f"staff:{row.data['nonce']}", paid_on=_today(context), now=context.now(),
    )  # fmt: skip
    label = (await household_labels(context.session, [row.ref_id]))[row.ref_id]
    await edit_or_reply(update, _("Booked {amount} ({method}) for {home}. Still to pay: {owed}; paid in advance: {credit}.").format(
        amount=_.money(Decimal(booking.payment.amount)), method=_(METHOD[PaymentMethod(method)]), home=label,
        owed=_.money(booking.outstanding), credit=_.money(booking.credit)))  # fmt: skip
    await _tell_household(context, booking, label)
    return ConversationHandler.END


async def _tell_household(context: BotContext, booking: fees.Booking, label: str) -> None:
    """The owners (and tenants who see bills) hear that the money arrived."""
    household = await context.session.get(Household, booking.payment.household_id)
    people = []
    for person in await fees.bill_recipients(context.session, household):
        _ = translator(person.language or "")
        text = _("We have received {amount} for {home} on {day} ({method}). Thank you! Still to pay: {owed}.").format(
            amount=_.money(Decimal(booking.payment.amount)), home=label, day=_.date(booking.payment.paid_on),
            method=_(METHOD[PaymentMethod(booking.payment.method)]), owed=_.money(booking.outstanding))  # fmt: skip
        people.append(Outgoing(chat_id=person.telegram_id, payload={"text": text}, resident_id=person.id,
                               household_id=household.id, recipient_key=str(person.id)))  # fmt: skip
    await outbox.enqueue(context.session, f"fee-paid:{booking.payment.id}", people, now=context.now(),
                         quiet=quiet_hours(context.runtime.settings))  # fmt: skip


# --- arrears and the collection rate -------------------------------------------------------------
@handler
async def arrears(update: Update, context: BotContext) -> None:
    """/arrears [YYYY-MM]: overdue bills by building, the list by home, the month's collection rate."""
    _ = context._
    month = context.args[0] if context.args else _today(context).strftime("%Y-%m")
    if not re.fullmatch(r"20\d\d-(0[1-9]|1[0-2])", month):
        await reply(update, _("Send the month as YYYY-MM, for example /arrears 2026-10."))
        return
    compounds = await fees.role_compounds(context.session, context.actor, fees.REPORT_ROLES)
    if not compounds:
        await reply(
            update,
            _("Arrears are for property staff, committee members, supervisors and officers."),
        )
        return
    if len(compounds) > 1:
        rows = [[(c.name, ArrearsOf(c.id, month).pack())] for c in compounds[:40]]
        await reply(update, _("Which compound?"), reply_markup=buttons(rows))
        return
    await _send_arrears(update, context, compounds[0].id, month)


@handler
async def arrears_of(update: Update, context: BotContext) -> None:
    data = ArrearsOf.parse(update.callback_query.data)
    if not re.fullmatch(r"20\d\d-(0[1-9]|1[0-2])", data.month):
        raise InvalidCallback(data.month)
    await _send_arrears(update, context, data.compound_id, data.month)


async def _send_arrears(update: Update, context: BotContext, compound_id: int, month: str) -> None:
    _ = context._
    compounds = {
        c.id: c
        for c in await fees.role_compounds(context.session, context.actor, fees.REPORT_ROLES)
    }
    if compound_id not in compounds:
        raise InvalidCallback(str(compound_id))
    start = date(int(month[:4]), int(month[5:]), 1)
    end = fees.add_months(start, 1) - timedelta(days=1)
    found = await fees.arrears(context.session, compound_id, _today(context))
    rate = await fees.collection_rate(context.session, compound_id, start, end)
    await reply(update, arrears_text(compounds[compound_id].name, found, rate, month, _))
    if found:
        headers = [
            _("Building"),
            _("Home"),
            _("Owner (roster)"),
            _("Overdue bills"),
            _("Amount"),
            _("Oldest due date"),
        ]
        rows = [
            [a.building, a.label, a.owner_name, a.bills, float(a.amount), a.oldest_due.isoformat()]
            for a in found
        ]
        await update.effective_chat.send_document(
            io.BytesIO(xlsx({_("Arrears"): (headers, rows)})),
            filename=f"arrears-{compound_id}-{month}.xlsx",
        )


# --- administrators set the fee --------------------------------------------------------------------
@handler
async def fees_start(update: Update, context: BotContext) -> int | None:
    _ = context._
    compounds = await fees.role_compounds(context.session, context.actor, {Role.ADMIN})
    if not compounds:
        await reply(update, _("Only administrators of this compound can set fees."))
        return ConversationHandler.END
    lines = []
    for compound in compounds[:10]:
        for schedule in await fees.schedules(context.session, compound.id):
            lines.append(_schedule_line(compound.name, schedule, _))
    await reply(update, "\n".join(lines) if lines else _("No fee is set yet."))
    if len(compounds) > 1:
        rows = [[(c.name, FeeStep("compound", str(c.id)).pack())] for c in compounds[:20]]
        await reply(
            update,
            _("Set a new fee for which compound? (/cancel to stop)"),
            reply_markup=buttons(rows),
        )
        return FEE_COMPOUND
    return await _ask_price(update, context, compounds[0].id)


def _schedule_line(compound: str, schedule, _) -> str:  # type: ignore[no-untyped-def]
    line = _("{compound}: {name} {price} per ㎡ per month, billed {period}, due on day {day}, from {start}").format(
        compound=compound, name=schedule.name, price=_.money(Decimal(schedule.price_per_m2)),
        period=_(PERIOD[BillingPeriod(schedule.period)]), day=schedule.due_day, start=_.date(schedule.starts_on))  # fmt: skip
    if Decimal(schedule.subsidy_share) > 0:
        line += "; " + _("government subsidy {share}").format(
            share=_.percent(Decimal(schedule.subsidy_share))
        )
    if schedule.late_charge_daily_rate is not None:
        line += "; " + _("late charge {rate} a day, at most {cap} of the unpaid amount").format(
            rate=_.percent(Decimal(schedule.late_charge_daily_rate)), cap=_.percent(Decimal(schedule.late_charge_cap)))  # fmt: skip
    return line


@handler
async def fee_compound(update: Update, context: BotContext) -> int | None:
    value = answer_for(FeeStep, update.callback_query.data, "compound").value
    if not value.isdigit():
        raise InvalidCallback(value)
    return await _ask_price(update, context, int(value))


async def _ask_price(update: Update, context: BotContext, compound_id: int) -> int:
    await fees.require_role(context.session, context.actor, compound_id, {Role.ADMIN},
                            N_("Only administrators of this compound can set fees."))  # fmt: skip
    await pending.expect(context.session, context.actor, FEE_DRAFT, compound_id, now=context.now())
    await reply(
        update,
        context._(
            "New fee: send the price per ㎡ per month in yuan, for example 1.20. /cancel to stop."
        ),
    )
    return FEE_PRICE


@handler
async def fee_price(update: Update, context: BotContext) -> int | None:
    _ = context._
    text = (update.effective_message.text or "").strip().removesuffix("元")
    try:
        price = Decimal(text)
        if not Decimal(0) < price <= 100 or price != price.quantize(Decimal("0.0001")):
            raise ValueError
    except (ArithmeticError, ValueError):
        await reply(
            update,
            _(
                "The price must be between 0 and 100 yuan per ㎡ per month, with at most 4 decimals."
            ),
        )
        return FEE_PRICE
    row = await pending.current(context.session, context.actor)
    await pending.expect(
        context.session, context.actor, FEE_DRAFT, row.ref_id, now=context.now(), price=str(price)
    )
    return await _next_question(update, context)


STEPS = ("period", "due", "subsidy", "late", "start", "confirm")


async def _next_question(update: Update, context: BotContext) -> int:
    _ = context._
    row = await pending.current(context.session, context.actor)
    data = row.data
    step = next(s for s in STEPS if s not in data)
    b = lambda label, value: (label, FeeStep(step, value).pack())  # noqa: E731
    if step == "period":
        rows, question = [[b(_(PERIOD[p]), p.value) for p in BillingPeriod]], _("Billed every?")
    elif step == "due":
        rows, question = (
            [[b(str(d), str(d)) for d in (1, 5, 10, 15, 20, 25, 28)]],
            _("Due on which day of the month?"),
        )
    elif step == "subsidy":
        rows = [[b(_("No subsidy"), "0")] + [b(f"{p} %", str(p)) for p in (10, 20, 30, 50)]]
        question = _("Does the government pay part of it (政府补贴)? Which share?")
    elif step == "late":
        rows = [[b(_("No late charge"), "none")], [b(_("0.03 % a day, at most 30 %"), "3")],
                [b(_("0.05 % a day, at most 30 %"), "5")]]  # fmt: skip
        question = _("Does the service contract provide a late charge? Only then may one be shown.")
    elif step == "start":
        today = _today(context).replace(day=1)
        rows = [
            [
                b(_("This month"), today.isoformat()),
                b(_("Next month"), fees.add_months(today, 1).isoformat()),
            ]
        ]
        question = _("From which month?")
    else:
        example = fees.bill_amounts(
            Decimal(100), Decimal(data["price"]), 1, Decimal(data["subsidy"]) / 100
        )
        question = _("A 100 ㎡ home would owe {owed} a month ({gross} minus a subsidy of {subsidy}). Save this fee?").format(
            owed=_.money(example[2]), gross=_.money(example[0]), subsidy=_.money(example[1]))  # fmt: skip
        rows = [[b(_("Save"), "1"), b(_("Cancel"), "0")]]
    await edit_or_reply(update, question, reply_markup=buttons(rows))
    return FEE_STEP


@handler
async def fee_step(update: Update, context: BotContext) -> int | None:
    _ = context._
    row = await pending.current(context.session, context.actor)
    if row.purpose != FEE_DRAFT or "price" not in row.data:
        raise InvalidCallback(update.callback_query.data)
    step = next(s for s in STEPS if s not in row.data)
    value = answer_for(FeeStep, update.callback_query.data, step).value
    allowed = {
        "period": {p.value for p in BillingPeriod}, "due": {"1", "5", "10", "15", "20", "25", "28"},
        "subsidy": {"0", "10", "20", "30", "50"}, "late": {"none", "3", "5"}, "confirm": {"0", "1"},
    }  # fmt: skip
    if step == "start":
        if not re.fullmatch(r"\d{4}-\d{2}-01", value):
            raise InvalidCallback(value)
    elif value not in allowed[step]:
        raise InvalidCallback(value)
    if step == "confirm":
        await pending.take(context.session, context.actor, FEE_DRAFT)
        if value == "0":
            await edit_or_reply(update, _("Cancelled. Nothing was changed."))
            return ConversationHandler.END
        data = row.data
        schedule = await fees.create_schedule(
            context.session, context.actor, compound_id=row.ref_id, price_per_m2=Decimal(data["price"]),
            period=data["period"], due_day=int(data["due"]), starts_on=date.fromisoformat(data["start"]),
            subsidy_share=Decimal(data["subsidy"]) / 100,
            late_charge_daily_rate=None if data["late"] == "none" else Decimal(data["late"]) / 10000,  # ‱ a day
            now=context.now(),
        )  # fmt: skip
        await edit_or_reply(
            update,
            _("Saved. Bills are made at the start of each period.")
            + "\n"
            + _schedule_line("", schedule, _).lstrip(": "),
        )
        return ConversationHandler.END
    await pending.expect(
        context.session,
        context.actor,
        FEE_DRAFT,
        row.ref_id,
        now=context.now(),
        **row.data,
        **{step: value},
    )
    return await _next_question(update, context)


@handler
async def need_text(update: Update, context: BotContext) -> None:
    await reply(update, context._("Please answer with text."))


# --- administrators upload the payment code -----------------------------------------------------
@handler
async def paycode_start(update: Update, context: BotContext) -> int | None:
    _ = context._
    compounds = await fees.role_compounds(context.session, context.actor, {Role.ADMIN})
    if not compounds:
        await reply(update, _("Only an administrator of this compound can set how residents pay."))
        return ConversationHandler.END
    if len(compounds) > 1:
        rows = [[(c.name, FeeStep("paycode", str(c.id)).pack())] for c in compounds[:20]]
        await reply(update, _("Set the payment code of which compound? (/cancel to stop)"),
                    reply_markup=buttons(rows))  # fmt: skip
        return PAYCODE_COMPOUND
    return await _ask_code(update, context, compounds[0].id)


@handler
async def paycode_compound(update: Update, context: BotContext) -> int | None:
    value = answer_for(FeeStep, update.callback_query.data, "paycode").value
    if not value.isdigit():
        raise InvalidCallback(value)
    return await _ask_code(update, context, int(value))


async def _ask_code(update: Update, context: BotContext, compound_id: int) -> int:
    await fees.require_role(context.session, context.actor, compound_id, {Role.ADMIN},
                            N_("Only an administrator of this compound can set how residents pay."))  # fmt: skip
    await pending.expect(context.session, context.actor, PAYCODE, compound_id, now=context.now())
    await reply(update, context._(
        "Send the WeChat Pay or Alipay payment code as a photo, with the payee's name as its caption "
        "(for example 幸福家园物业服务中心). Residents will see both in /bills. /cancel to stop."))  # fmt: skip
    return PAYCODE_PHOTO


@handler
async def paycode_photo(update: Update, context: BotContext) -> int | None:
    _, message = context._, update.effective_message
    if not (message.caption or "").strip():
        await reply(update, _("Please send the photo again with the payee's name as its caption."))
        return PAYCODE_PHOTO
    row = await pending.take(context.session, context.actor, PAYCODE)
    photo = message.photo[-1]
    content = bytes(await (await photo.get_file()).download_as_bytearray())
    account = await fee_claims.set_account(context.session, context.actor, compound_id=row.ref_id,
                                           payee=message.caption, image=content, now=context.now())  # fmt: skip
    await fee_claims.remember_file_id(context.session, account, photo.file_id)
    compound = await context.session.get(Compound, row.ref_id)
    await reply(update, _("{compound}: residents now see the payment code of {payee} in /bills.").format(
        compound=compound.name, payee=account.payee))  # fmt: skip
    return ConversationHandler.END


@handler
async def need_photo(update: Update, context: BotContext) -> None:
    await reply(update, context._("Please send the payment code as a photo, or /cancel to stop."))


def register(app: Application) -> None:
    staff = with_role(Role.STAFF, Role.ADMIN)
    add_commands(
        MenuCommand("bills", N_("My property fee bills"), registered, order=45),
        MenuCommand("payment", N_("Record a fee payment"), staff, order=46),
        MenuCommand("claims", N_("Payments residents reported"), staff, order=46),
        MenuCommand("arrears", N_("Arrears and fee collection rate"),
                    with_role(Role.STAFF, Role.ADMIN, Role.OFFICER, Role.SUPERVISOR, Role.COMMITTEE), order=47),
        MenuCommand("fees", N_("Set the property fee"), with_role(Role.ADMIN), order=48),
        MenuCommand("paycode", N_("Set the payment QR code residents scan"), with_role(Role.ADMIN), order=49),
    )  # fmt: skip
    buttons_only = MessageHandler(~filters.COMMAND, use_the_buttons)

    def typed(callback):  # type: ignore[no-untyped-def]
        return [
            MessageHandler(filters.TEXT & ~filters.COMMAND, callback),
            MessageHandler(~filters.COMMAND, need_text),
        ]

    app.add_handler(
        ConversationHandler(
            entry_points=[CommandHandler("payment", payment_start)],
            states={
                PAY_HOME: typed(payment_home), PAY_AMOUNT: typed(payment_amount),
                PAY_METHOD: [CallbackQueryHandler(payment_method, pattern=FeeStep.pattern()), buttons_only],
            },
            fallbacks=conversation_fallbacks(), name="payment", persistent=True,
        )
    )  # fmt: skip
    app.add_handler(
        ConversationHandler(
            entry_points=[CommandHandler("fees", fees_start)],
            states={
                FEE_COMPOUND: [CallbackQueryHandler(fee_compound, pattern=FeeStep.pattern()), buttons_only],
                FEE_PRICE: typed(fee_price),
                FEE_STEP: [CallbackQueryHandler(fee_step, pattern=FeeStep.pattern()), buttons_only],
            },
            fallbacks=conversation_fallbacks(), name="fees", persistent=True,
        )
    )  # fmt: skip
    app.add_handler(
        ConversationHandler(
            entry_points=[CommandHandler("paycode", paycode_start)],
            states={
                PAYCODE_COMPOUND: [CallbackQueryHandler(paycode_compound, pattern=FeeStep.pattern()), buttons_only],
                PAYCODE_PHOTO: [MessageHandler(filters.PHOTO, paycode_photo),
                                MessageHandler(~filters.COMMAND, need_photo)],
            },
            fallbacks=conversation_fallbacks(), name="paycode", persistent=True,
        )
    )  # fmt: skip
    app.add_handler(CommandHandler("bills", bills))
    app.add_handler(CommandHandler("claims", claims))
    app.add_handler(CommandHandler("arrears", arrears))
    app.add_handler(CallbackQueryHandler(fee_action, pattern=FeeAction.pattern()))
    app.add_handler(CallbackQueryHandler(claim_paid, pattern=ClaimPaid.pattern()))
    app.add_handler(CallbackQueryHandler(claim_decided, pattern=ClaimDecision.pattern()))
    app.add_handler(CallbackQueryHandler(arrears_of, pattern=ArrearsOf.pattern()))
    app.add_handler(PreCheckoutQueryHandler(pre_checkout))
    app.add_handler(MessageHandler(filters.SUCCESSFUL_PAYMENT, paid_in_telegram))
