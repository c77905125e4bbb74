"""How corrections read: receipts (收据) and their PDF, the office reversing a payment (冲正) and
what the household is told, and a resident withdrawing an "I have paid"."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from zoneinfo import ZoneInfo

from markupsafe import Markup

from core.i18n import Translator, join
from core.screen import Button, File, Screen, button, keyboard
from models import ClaimStatus, Payment, PaymentClaim
from services.fee_claims import WITHDRAWN, Withdrawn
from services.notify import renders
from services.receipts import Receipt, receipt_label
from services.reversals import (
    PAYMENT_REVERSED,
    QUICK_REASONS,
    HomePayments,
    Proposed,
    Reversal,
    ReversalStep,
)
from views.bills import ClaimWithdraw, bold, method_text, open_claim_line, payment_line
from views.callbacks import CallbackData
from views.receipt_sheet import receipt_pdf


@dataclasses.dataclass(frozen=True)
class ReverseStart(CallbackData, kind="fxs"):
    """ "Reverse" under a payment (the office)."""

    payment_id: int


@dataclasses.dataclass(frozen=True)
class ReversalAnswer(CallbackData, kind="fxa"):
    """An answer in the reversal: a quick reason, or yes / no at the confirmation."""

    step: str
    value: str


@dataclasses.dataclass(frozen=True)
class ReceiptPdf(CallbackData, kind="fxr"):
    payment_id: int


# --- receipts -----------------------------------------------------------------------------------
def receipt_button(payment: Payment, _: Translator) -> Button:
    label = _("Receipt {number} · {amount}").format(
        number=receipt_label(payment.receipt_no), amount=_.money(Decimal(payment.amount))
    )
    if payment.reversed_at is not None:
        label += " · " + _("void")
    return button(label, ReceiptPdf(payment.id or 0))


def receipts(found: list[Payment], _: Translator) -> Screen:
    """/bills → Receipts: a button per recent payment, each sending its PDF."""
    if not found:
        return Screen(_("No payments yet, so no receipts."))
    rows = [[receipt_button(p, _)] for p in found if p.receipt_no is not None]
    return Screen(_("Which receipt? It comes as a PDF you can print."), keyboard(*rows))


def receipt_document(found: Receipt, _: Translator, tz: ZoneInfo) -> Screen:
    caption = _("Receipt {number} for {home}").format(number=found.number, home=found.label)
    if found.void:
        caption += " · " + _("void (the payment was reversed)")
    name = f"receipt-{found.number}.pdf"
    return Screen(caption, document=File(receipt_pdf(found, _, tz), name))


# --- the office: /receipts and reversing ---------------------------------------------------------
def ask_home(_: Translator) -> Screen:
    return Screen(
        _("A home's payments and receipts. Which home? For example 1栋 1单元 101. /cancel to stop.")
    )


def home_payments(found: HomePayments, _: Translator) -> Screen:
    """The latest payments of a home, each with its receipt, and Reverse where it still counts."""
    lines = [bold(_("Payments of {home}").format(home=found.label))]
    if not found.payments:
        lines.append(_("No payments have been booked for this home."))
    lines += [payment_line(p, _) for p in found.payments]
    lines.append(_("Still to pay: {owed}").format(owed=_.money(found.outstanding)))
    rows = []
    for payment in found.payments:
        row = [receipt_button(payment, _)]
        if payment.reversed_at is None:
            number = receipt_label(payment.receipt_no)
            row.append(
                button(_("Reverse {number}").format(number=number), ReverseStart(payment.id or 0))
            )
        rows.append(row)
    return Screen(join(lines), keyboard(*rows))


def office_buttons(payment: Payment, _: Translator) -> tuple[tuple[Button, ...], ...]:
    """Under a payment just booked: its receipt, and reversing it at once if it was a mistake."""
    return keyboard(
        [
            receipt_button(payment, _),
            button(_("Reverse this payment"), ReverseStart(payment.id or 0)),
        ]
    )


def _payment_summary(payment: Payment, label: str, _: Translator) -> Markup:
    return _("Receipt {number}: {amount} ({method}) for {home}, paid on {day}").format(
        number=receipt_label(payment.receipt_no),
        amount=_.money(Decimal(payment.amount)),
        method=method_text(payment.method, _),
        home=label,
        day=_.date(payment.paid_on),
    )


def ask_reason(proposed: Proposed, _: Translator) -> Screen:
    step = ReversalStep.REASON.value
    rows = [[button(_(text), ReversalAnswer(step, key))] for key, text in QUICK_REASONS.items()]
    text = join(
        [
            bold(_("Reverse a payment")),
            _payment_summary(proposed.payment, proposed.label, _),
            _("Why? Choose a reason or type it (the household will read it). /cancel to stop."),
        ]
    )
    return Screen(text, keyboard(*rows))


def confirm_reversal(proposed: Proposed, _: Translator) -> Screen:
    step = ReversalStep.CONFIRM.value
    text = join(
        [
            bold(_("Reverse this payment?")),
            _payment_summary(proposed.payment, proposed.label, _),
            _("Reason: {reason}").format(reason=proposed.draft.reason or ""),
            _(
                "The bills it paid will be open again, its receipt will be void, and the household "
                "will be told. The payment stays in the records, marked reversed."
            ),
        ]
    )
    return Screen(
        text,
        keyboard(
            [
                button(_("Reverse it"), ReversalAnswer(step, "yes")),
                button(_("Keep it"), ReversalAnswer(step, "no")),
            ]
        ),
    )


def reversed_for_office(result: Reversal | None, _: Translator) -> Screen:
    if result is None:
        return Screen(_("Kept. Nothing was changed."))
    if result.already:
        return Screen(
            _("Receipt {receipt} has already been reversed; nothing was changed.").format(
                receipt=result.receipt
            )
        )
    return Screen(
        _(
            "Reversed: receipt {receipt} ({amount}) of {home} is void. Still to pay: {owed}; paid in "
            "advance: {credit}. The household has been told."
        ).format(
            receipt=result.receipt,
            amount=_.money(Decimal(result.payment.amount)),
            home=result.label,
            owed=_.money(result.outstanding),
            credit=_.money(result.credit),
        )
    )


@renders(PAYMENT_REVERSED)
def payment_reversed(_: Translator, *, tz: ZoneInfo, reversal: Reversal) -> Screen:
    """The household hears of the correction: which receipt, how much, why, and what is owed."""
    payment = reversal.payment
    return Screen(
        join(
            [
                _(
                    "Correction: the payment of {amount} booked for {home} on {day} (receipt "
                    "{receipt}) has been reversed, and receipt {receipt} is void."
                ).format(
                    amount=_.money(Decimal(payment.amount)),
                    home=reversal.label,
                    day=_.date(payment.paid_on),
                    receipt=reversal.receipt,
                ),
                _("Reason: {reason}").format(reason=payment.reversal_reason or ""),
                _("Still to pay: {owed}").format(owed=_.money(reversal.outstanding)),
                _(
                    "We apologise for the mistake. Questions? Reply /bills or ask the property "
                    "service centre."
                ),
            ]
        )
    )


# --- a resident's open "I have paid" ----------------------------------------------------------
def ask_withdrawal(claim: PaymentClaim, label: str, _: Translator, tz: ZoneInfo) -> Screen:
    """Withdraw it? (A report the office answered, or withdrawn already, says so instead.)"""
    if claim.status != ClaimStatus.PENDING:
        return withdrawn(Withdrawn(claim, label, already=True), _)
    text = join(
        [
            open_claim_line(claim, _, tz),
            _(
                "Withdraw this report? Do so only if you have not paid, or reported it by mistake; "
                "the office then stops checking, and you can pay or report again with /bills."
            ),
        ]
    )
    claim_id = claim.id or 0
    return Screen(
        text,
        keyboard(
            [
                button(_("Yes, withdraw it"), ClaimWithdraw(claim_id, "yes")),
                button(_("Keep it"), ClaimWithdraw(claim_id, "keep")),
            ]
        ),
    )


def withdrawn(result: Withdrawn, _: Translator) -> Screen:
    claim = result.claim
    if not result.already:
        return Screen(
            _(
                "Withdrawn. The property office no longer checks this payment. /bills shows what is due."
            )
        )
    if claim.status == ClaimStatus.WITHDRAWN:
        return Screen(_("This payment report was already withdrawn."))
    return Screen(
        _(
            "The property office has already answered this payment report, so it can no longer be "
            "withdrawn. If something is wrong, please ask the office."
        )
    )


def kept_claim(_: Translator) -> Screen:
    return Screen(_("Kept. The property office goes on checking your payment."))


@renders(WITHDRAWN)
def claim_withdrawn_for_staff(
    _: Translator, *, tz: ZoneInfo, claim: PaymentClaim, label: str
) -> Screen:
    return Screen(
        _(
            "{home} has withdrawn its report of paying {amount} ({method}, {time}). Nothing to check; "
            "its buttons no longer work."
        ).format(
            home=label,
            amount=_.money(Decimal(claim.amount)),
            method=method_text(claim.method, _),
            time=_.datetime(claim.claimed_at, tz),
        )
    )
