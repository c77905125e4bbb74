"""How fees read: the resident's statement, the courteous reminder, staff's arrears and rates.

Amounts are formatted by Babel for the reader's language (¥1,234.50 in Simplified Chinese,
CN¥1,234.50 in English and Traditional Chinese); the currency is always CNY. Reminders only
remind: they never mention cutting water, power or any service (Civil Code Art. 944).
"""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

from core.i18n import N_, Translator, translator
from models import Bill, Payment, PaymentClaim, PaymentMethod
from services.fees import Arrear, CollectionRate, OpenBill
from views.callbacks import CallbackData

METHOD = {
    PaymentMethod.CASH: N_("cash"),
    PaymentMethod.BANK: N_("bank transfer"),
    PaymentMethod.WECHAT: N_("WeChat Pay"),
    PaymentMethod.ALIPAY: N_("Alipay"),
    PaymentMethod.TELEGRAM: N_("paid in Telegram"),
}


@dataclasses.dataclass(frozen=True)
class FeeAction(CallbackData, kind="fa"):
    action: str  # tenants_on | tenants_off | pay | code (the compound's payment QR code)
    household_id: int


def period_text(start: date, end: date, _: Translator) -> str:
    if start.month == end.month and start.year == end.year:
        return _.date(start, fmt="yyyy-MM")
    return f"{_.date(start, fmt='yyyy-MM')} – {_.date(end, fmt='yyyy-MM')}"


def statement_text(
    label: str, bills: list[OpenBill], credit: Decimal, history: tuple[list[Bill], list[Payment]],
    _: Translator, today: date,
) -> str:  # fmt: skip
    owed = sum((b.remaining for b in bills), Decimal(0))
    lines = ["<b>" + _("Fees for {home}").format(home=label) + "</b>"]
    if owed > 0:
        lines.append(_("To pay: {amount}").format(amount=_.money(owed)))
    elif credit > 0:
        lines.append(_("Nothing to pay. Paid in advance: {amount}").format(amount=_.money(credit)))
    else:
        lines.append(_("Nothing to pay. Thank you!"))
    if bills:
        lines += ["", "<b>" + _("Open bills") + "</b>"]
        for item in bills:
            bill = item.bill
            line = _("{period}: {amount} due {due}").format(
                period=period_text(bill.period_start, bill.period_end, _),
                amount=_.money(item.remaining), due=_.date(bill.due_date),
            )  # fmt: skip
            if Decimal(bill.subsidy) > 0:
                line += " " + _("(government subsidy {subsidy} already deducted)").format(
                    subsidy=_.money(Decimal(bill.subsidy))
                )
            if Decimal(bill.paid) > 0:
                line += " " + _("(paid so far {paid})").format(paid=_.money(Decimal(bill.paid)))
            if bill.due_date < today:
                line += " · " + _("overdue")
            if item.late_charge > 0:
                line += " · " + _("late charge under your service contract: {amount}").format(
                    amount=_.money(item.late_charge)
                )
            lines.append(line)
        if owed > 0 and credit > 0:
            lines.append(_("Paid in advance: {amount}").format(amount=_.money(credit)))
    paid_bills, payments = history
    if payments:
        lines += ["", "<b>" + _("Recent payments") + "</b>"]
        for payment in payments:
            lines.append(
                f"{_.date(payment.paid_on)} · {_.money(Decimal(payment.amount))} · {_(METHOD[PaymentMethod(payment.method)])}"
            )
    if paid_bills:
        lines += ["", "<b>" + _("Paid bills") + "</b>"]
        for bill in paid_bills:
            lines.append(
                f"{period_text(bill.period_start, bill.period_end, _)} · {_.money(Decimal(bill.amount))} ✅"
            )
    return "\n".join(lines)


def reminder_payload(
    language: str, bills: list[tuple[date, date, Decimal, date]], offset: int
) -> dict:
    """A polite reminder. It reminds; it never threatens (no service is ever cut over fees)."""
    _ = translator(language or "zh_Hans")
    items = "\n".join(
        _("{period}: {amount}, due {due}").format(period=period_text(start, end, _), amount=_.money(remaining), due=_.date(due))
        for start, end, remaining, due in bills
    )  # fmt: skip
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
    return {"text": f"{opening}\n{items}\n{closing}"}


def arrears_text(
    compound: str, found: list[Arrear], rate: CollectionRate, month: str, _: Translator
) -> str:
    lines = ["<b>" + _("Arrears in {compound}").format(compound=compound) + "</b>"]
    if not found:
        lines.append(_("No overdue bills."))
    else:
        by_building: dict[str, list[Arrear]] = {}
        for item in found:
            by_building.setdefault(item.building, []).append(item)
        total = sum((a.amount for a in found), Decimal(0))
        lines.append(
            _("{count} homes owe {amount} in overdue bills.").format(
                count=_.number(len(found)), amount=_.money(total)
            )
        )
        for building, items in by_building.items():
            lines.append(_("{building}: {count} homes, {amount}").format(
                building=building, count=_.number(len(items)), amount=_.money(sum((a.amount for a in items), Decimal(0)))))  # fmt: skip
    lines += [
        "",
        "<b>" + _("Fee collection rate for bills due in {month}").format(month=month) + "</b>",
    ]
    if rate.billed == 0:
        lines.append(_("No bills were due in {month}.").format(month=month))
    else:
        lines.append(_("Amount: {paid} paid of {billed} billed ({rate})").format(
            paid=_.money(rate.paid), billed=_.money(rate.billed), rate=_.percent(rate.rate)))  # fmt: skip
        lines.append(_("Homes: {paid} fully paid of {billed} billed").format(
            paid=_.number(rate.households_paid), billed=_.number(rate.households_billed)))  # fmt: skip
    return "\n".join(lines)


@dataclasses.dataclass(frozen=True)
class ClaimPaid(CallbackData, kind="fc"):
    """ "I have paid": the home, how, and the amount (in fen) the button offered."""

    household_id: int
    method: str
    fen: int


@dataclasses.dataclass(frozen=True)
class ClaimDecision(CallbackData, kind="cd"):
    claim_id: int
    received: bool


CLAIM_BUTTON = {
    PaymentMethod.WECHAT: N_("I have paid by WeChat Pay"),
    PaymentMethod.ALIPAY: N_("I have paid by Alipay"),
    PaymentMethod.BANK: N_("I have paid by bank transfer"),
}


def pay_by_code_text(payee: str, owed: Decimal, label: str, _: Translator) -> str:
    """The payment note to write is the home as the roster spells it (what bank imports match)."""
    return "\n".join(
        [
            "<b>" + _("Pay {amount} to {payee}").format(amount=_.money(owed), payee=payee) + "</b>",
            _("Scan the code with WeChat or Alipay (or transfer to the account it shows)."),
            _("Write this in the payment note, so the office knows the money is yours: {reference}").format(
                reference=f"<code>{label}</code>"
            ),
            _("Then tap how you paid. The property office checks its account and confirms."),
        ]
    )  # fmt: skip


def claim_waiting_text(claim: PaymentClaim, _: Translator, tz: ZoneInfo) -> str:
    return _(
        "Your payment of {amount} ({method}, {day}) is waiting for the property office to confirm it."
    ).format(
        amount=_.money(Decimal(claim.amount)),
        method=_(METHOD[PaymentMethod(claim.method)]),
        day=_.date(claim.claimed_at, tz),
    )


def claim_for_staff_text(label: str, claim: PaymentClaim, _: Translator, tz: ZoneInfo) -> str:
    """The home's label is also the payment note residents were asked to write."""
    return "\n".join(
        [
            "<b>" + _("{home} says it has paid {amount}").format(home=label, amount=_.money(Decimal(claim.amount)))
            + "</b>",
            _("How: {method}, {time}; payment note: {reference}").format(
                method=_(METHOD[PaymentMethod(claim.method)]),
                time=_.datetime(claim.claimed_at, tz, fmt="short"), reference=label,
            ),
            _("Please check the account, then tap whether the money has arrived."),
        ]
    )  # fmt: skip


def claim_not_found_text(label: str, claim: PaymentClaim, _: Translator, tz: ZoneInfo) -> str:
    return _(
        "The property office has not found your payment of {amount} for {home} ({method}, {day}) yet. "
        "If you have paid, please keep the payment record; the office may ask to see it. "
        "You can also ask at the office."
    ).format(
        amount=_.money(Decimal(claim.amount)), home=label,
        method=_(METHOD[PaymentMethod(claim.method)]),
        day=_.date(claim.claimed_at, tz),
    )  # fmt: skip
