"""How fees read to residents: the statement of /bills, paying by the compound's code, "I have
paid", the courteous reminder and "we have received".

Amounts are formatted by Babel for the reader's language (¥1,234.50 in Simplified Chinese,
CN¥1,234.50 in English and Traditional Chinese); the currency is always CNY. Reminders only
remind: they never mention cutting water, power or any service (Civil Code Art. 944).
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from markupsafe import Markup

from core.i18n import N_, Translator, join
from core.screen import Button, File, Screen, button, keyboard
from models import Bill, BillingPeriod, Payment, PaymentClaim, PaymentMethod
from services.fee_claims import CLAIM_METHODS, NOT_FOUND, Offer
from services.fee_reminders import REMINDER
from services.notify import renders
from services.payments import PAYMENT_RECEIVED, Booking, Statement
from services.receipts import receipt_label
from views.callbacks import CallbackData

METHOD = {
    PaymentMethod.CASH: N_("cash"),
    PaymentMethod.BANK: N_("bank transfer"),
    PaymentMethod.WECHAT: N_("WeChat Pay"),
    PaymentMethod.ALIPAY: N_("Alipay"),
    PaymentMethod.TELEGRAM: N_("paid in Telegram"),
}
PERIOD = {
    BillingPeriod.MONTHLY: N_("monthly"),
    BillingPeriod.QUARTERLY: N_("quarterly"),
    BillingPeriod.HALF_YEARLY: N_("half-yearly"),
    BillingPeriod.YEARLY: N_("yearly"),
}
CLAIM_BUTTON = {
    PaymentMethod.WECHAT: N_("I have paid by WeChat Pay"),
    PaymentMethod.ALIPAY: N_("I have paid by Alipay"),
    PaymentMethod.BANK: N_("I have paid by bank transfer"),
}


@dataclasses.dataclass(frozen=True)
class FeeAction(CallbackData, kind="fa"):
    action: str  # tenants_on | tenants_off | pay | code (the payment QR code) | receipts
    household_id: int


@dataclasses.dataclass(frozen=True)
class ClaimWithdraw(CallbackData, kind="fxw"):
    """A resident's open "I have paid": ask (the confirmation), yes, or keep."""

    claim_id: int
    action: str  # ask | yes | keep


@dataclasses.dataclass(frozen=True)
class ClaimPaid(CallbackData, kind="fc"):
    """ "I have paid": the home, how, and the amount (in fen) the button offered."""

    household_id: int
    method: str
    fen: int


def method_text(method: PaymentMethod | str, _: Translator) -> Markup:
    return _(METHOD[PaymentMethod(method)])


def period_text(start: date, end: date, _: Translator, *, days: bool = False) -> str:
    """Whole months as 2026年12月 or 2026年12月 – 2027年11月; other days (or with `days`) as
    2026年12月10日 – 2026年12月31日."""
    if days or start.day != 1 or (end + timedelta(days=1)).day != 1:
        first, last = _.date(start), _.date(end)
        return first if start == end else f"{first} – {last}"
    if start.month == end.month and start.year == end.year:
        return _.month(start)
    return f"{_.month(start)} – {_.month(end)}"


def bill_text(bill: Bill, _: Translator) -> Markup:
    """What a bill is for: its days, their number when prorated, and a price adjustment as such."""
    prorated = bill.adjusts_bill_id is not None or bill.days < bill.period_days
    period = period_text(bill.period_start, bill.period_end, _, days=prorated)
    if bill.adjusts_bill_id is not None:
        return _.ngettext(
            "Price adjustment (调价补差) for {period} ({count} day)",
            "Price adjustment (调价补差) for {period} ({count} days)",
            bill.days,
        ).format(period=period, count=_.number(bill.days))
    if bill.days < bill.period_days:
        return _.ngettext(
            "{period} ({count} day, prorated)", "{period} ({count} days, prorated)", bill.days
        ).format(period=period, count=_.number(bill.days))
    return Markup.escape(period)


def bold(text: Markup) -> Markup:
    return Markup("<b>{}</b>").format(text)


def payment_line(payment: Payment, _: Translator) -> Markup:
    """A payment in a history: when, how much, how, its receipt; a reversed one says so."""
    parts = [
        _.date(payment.paid_on),
        _.money(Decimal(payment.amount)),
        method_text(payment.method, _),
    ]
    if payment.receipt_no is not None:
        parts.append(_("receipt {number}").format(number=receipt_label(payment.receipt_no)))
    line = join(parts, " · ")
    if payment.reversed_at is not None:
        line = Markup("<s>{}</s> ").format(line) + _("reversed")
    return line


def open_claim_line(claim: PaymentClaim, _: Translator, tz: ZoneInfo) -> Markup:
    return _(
        "On {day} you reported paying {amount} by {method}; the property office is checking it."
    ).format(
        day=_.date(claim.claimed_at, tz),
        amount=_.money(Decimal(claim.amount)),
        method=method_text(claim.method, _),
    )


def statement(
    found: Statement, _: Translator, today: date, *, telegram: bool, tz: ZoneInfo
) -> Screen:
    """/bills for one home: what to pay, open bills, payments, and what can be done."""
    lines = [bold(_("Fees for {home}").format(home=found.label))]
    owed = found.owed
    if owed > 0:
        lines.append(_("To pay: {amount}").format(amount=_.money(owed)))
    elif found.credit > 0:
        lines.append(
            _("Nothing to pay. Paid in advance: {amount}").format(amount=_.money(found.credit))
        )
    else:
        lines.append(_("Nothing to pay. Thank you!"))
    if found.claim is not None:
        lines.append(open_claim_line(found.claim, _, tz))
    if found.open:
        lines += [Markup(""), bold(_("Open bills"))]
        for item in found.open:
            lines.append(_open_bill(item.bill, item.remaining, item.late_charge, _, today))
        if owed > 0 and found.credit > 0:
            lines.append(_("Paid in advance: {amount}").format(amount=_.money(found.credit)))
    if found.payments:
        lines += [Markup(""), bold(_("Recent payments"))]
        lines += [payment_line(payment, _) for payment in found.payments]
    if found.paid_bills:
        lines += [Markup(""), bold(_("Paid bills"))]
        for bill in found.paid_bills:
            lines.append(
                join(
                    [
                        bill_text(bill, _),
                        _.money(Decimal(bill.amount)),
                    ],
                    " · ",
                )
                + " ✅"
            )
    rows: list[tuple[Button, ...] | list[Button]] = []
    home = found.household_id
    if found.claim is not None:  # no second way to pay while the office checks the first
        rows += _withdraw(found.claim, _)
    elif owed > 0 and telegram:
        rows.append(
            [
                button(
                    _("Pay {amount} in Telegram").format(amount=_.money(owed)),
                    FeeAction("pay", home),
                )
            ]
        )
    if owed > 0 and found.pay_by_code and found.claim is None:
        rows.append(
            [button(_("Pay by WeChat Pay, Alipay or bank transfer"), FeeAction("code", home))]
        )
    if any(p.receipt_no is not None for p in found.payments):
        rows.append([button(_("Receipts (PDF)"), FeeAction("receipts", home))])
    if found.owner:
        if found.tenants_see_bills:
            rows.append(
                [button(_("Stop showing bills to tenants"), FeeAction("tenants_off", home))]
            )
        else:
            rows.append([button(_("Let tenants see these bills"), FeeAction("tenants_on", home))])
    return Screen(join(lines), keyboard(*rows))


def _open_bill(bill: Bill, remaining: Decimal, late: Decimal, _: Translator, today: date) -> Markup:
    line = _("{period}: {amount} due {due}").format(
        period=bill_text(bill, _),
        amount=_.money(remaining),
        due=_.date(bill.due_date),
    )
    if Decimal(bill.subsidy) > 0:
        line = _.sentences(
            line,
            _("(government subsidy {subsidy} already deducted)").format(
                subsidy=_.money(Decimal(bill.subsidy))
            ),
        )
    if Decimal(bill.paid) > 0:
        line = _.sentences(line, _("(paid so far {paid})").format(paid=_.money(Decimal(bill.paid))))
    if bill.due_date < today:
        line += " · " + _("overdue")
    if late > 0:
        line += " · " + _("late charge under your service contract: {amount}").format(
            amount=_.money(late)
        )
    return line


def tenants_choice(allowed: bool, _: Translator) -> Screen:
    if allowed:
        return Screen(_("Tenants of this home can now see its bills."))
    return Screen(_("Only owners see this home's bills now."))


def nothing_to_pay(_: Translator) -> Screen:
    return Screen(_("Nothing to pay. Thank you!"))


def invoice(label: str, owed: Decimal, _: Translator) -> dict[str, str]:
    """The title and description of an invoice in Telegram (plain text, not HTML)."""
    return {
        "title": _.plain("Property service fee"),
        "description": _.plain("Open bills of {home}").format(home=label),
    }


def paid_in_telegram(booking: Booking, _: Translator) -> Screen:
    text = _("Payment received: {amount}. Thank you! Still to pay: {owed}.").format(
        amount=_.money(Decimal(booking.payment.amount)), owed=_.money(booking.outstanding)
    )
    return Screen(join([text, receipt_note(booking.payment, _)]))


def receipt_note(payment: Payment, _: Translator) -> Markup:
    return _("Receipt No. {number}").format(number=receipt_label(payment.receipt_no))


# --- paying by the compound's code -------------------------------------------------------------
def pay_by_code(offered: Offer, _: Translator) -> Screen:
    """The code, the amount, the note to write (the home as the roster spells it, which is what
    bank imports match), and "I have paid" by each way."""
    fen = int(offered.owed * 100)
    picture = offered.picture
    photo = File(picture.content, picture.filename, file_id=picture.telegram_file_id)
    text = join(
        [
            bold(
                _("Pay {amount} to {payee}").format(
                    amount=_.money(offered.owed), payee=offered.account.payee
                )
            ),
            _("Scan the code with WeChat or Alipay (or transfer to the account it shows)."),
            _(
                "Write this in the payment note, so the office knows the money is yours: {reference}"
            ).format(reference=Markup("<code>{}</code>").format(offered.label)),
            _("Then tap how you paid. The property office checks its account and confirms."),
        ]
    )
    rows = [
        [button(_(CLAIM_BUTTON[m]), ClaimPaid(offered.household_id, m.value, fen))]
        for m in CLAIM_METHODS
    ]
    return Screen(text, keyboard(*rows), photo=photo)


def claim_waiting(claim: PaymentClaim, _: Translator, tz: ZoneInfo) -> Screen:
    return Screen(
        _(
            "Your payment of {amount} ({method}, {day}) is waiting for the property office to confirm it."
        ).format(
            amount=_.money(Decimal(claim.amount)),
            method=method_text(claim.method, _),
            day=_.date(claim.claimed_at, tz),
        ),
        _withdraw(claim, _),
    )


def _withdraw(claim: PaymentClaim, _: Translator) -> tuple[tuple[Button, ...], ...]:
    return keyboard([button(_("Withdraw my payment report"), ClaimWithdraw(claim.id or 0, "ask"))])


def claim_sent(claim: PaymentClaim, _: Translator) -> Screen:
    return Screen(
        _(
            "Thank you. The property office will check its account and confirm your payment of "
            "{amount} ({method}); you will get a message then."
        ).format(amount=_.money(Decimal(claim.amount)), method=method_text(claim.method, _)),
        _withdraw(claim, _),
    )


@renders(NOT_FOUND)
def claim_not_found(_: Translator, *, tz: ZoneInfo, claim: PaymentClaim, label: str) -> Screen:
    return Screen(
        _(
            "The property office has not found your payment of {amount} for {home} ({method}, {day}) yet. "
            "If you have paid, please keep the payment record; the office may ask to see it. "
            "You can also ask at the office."
        ).format(
            amount=_.money(Decimal(claim.amount)),
            home=label,
            method=method_text(claim.method, _),
            day=_.date(claim.claimed_at, tz),
        )
    )


@renders(PAYMENT_RECEIVED)
def payment_received(_: Translator, *, tz: ZoneInfo, booking: Booking) -> Screen:
    """The owners (and tenants who see bills) hear that the money arrived."""
    payment = booking.payment
    text = _(
        "We have received {amount} for {home} on {day} ({method}). Thank you! Still to pay: {owed}."
    ).format(
        amount=_.money(Decimal(payment.amount)),
        home=booking.label,
        day=_.date(payment.paid_on),
        method=method_text(payment.method, _),
        owed=_.money(booking.outstanding),
    )
    return Screen(join([text, receipt_note(payment, _)]))


@renders(REMINDER)
def reminder(
    _: Translator, *, tz: ZoneInfo, bills: list[tuple[date, date, Decimal, date]], offset: int
) -> Screen:
    """A polite reminder. It reminds; it never threatens (no service is ever cut over fees)."""
    items = [
        _("{period}: {amount}, due {due}").format(
            period=period_text(start, end, _), amount=_.money(remaining), due=_.date(due)
        )
        for start, end, remaining, due in bills
    ]
    if offset < 0:
        opening = _("A friendly reminder: your property service fee will be due soon.")
    elif offset == 0:
        opening = _("A friendly reminder: your property service fee is due today.")
    else:
        opening = _("A friendly reminder: our records show a property service fee not yet paid.")
    closing = _(
        "If you have already paid, please ignore this message, and thank you. Questions about the "
        "bill? Reply /bills or ask the property service centre. Thank you for supporting our "
        "compound's services."
    )
    return Screen(join([opening, *items, closing]))
