"""How fees read to the office: booking a payment, residents' "I have paid", arrears and the
collection rate, and the payment code (setting the fee is views/fee_setting.py)."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from zoneinfo import ZoneInfo

from markupsafe import Markup

from core.i18n import N_, Translator, from_iso_month, join
from core.screen import Button, File, Screen, button, keyboard
from models import ClaimStatus, Compound, PaymentClaim
from services.fee_claims import FOR_STAFF, Decided
from services.fee_flows import STAFF_METHODS, PaymentDraft
from services.fee_reports import ArrearsReport
from services.notify import renders
from services.payments import Booking
from services.tables import Column, Table, xlsx
from views.bills import bold, method_text, receipt_note
from views.callbacks import CallbackData
from views.corrections import office_buttons

CLAIMS_SHOWN = 10


@dataclasses.dataclass(frozen=True)
class FeeAnswer(CallbackData, kind="fs"):
    """One answer in the payment, fee or payment-code flow: the step it answers and the value."""

    step: str
    value: str


@dataclasses.dataclass(frozen=True)
class ClaimDecision(CallbackData, kind="cd"):
    claim_id: int
    received: bool


@dataclasses.dataclass(frozen=True)
class ArrearsOf(CallbackData, kind="fr"):
    compound_id: int
    month: str  # YYYY-MM


def _choose_compound(compounds: list[Compound], step: str, question: Markup) -> Screen:
    rows = [[button(c.name, FeeAnswer(step, str(c.id)))] for c in compounds[:20]]
    return Screen(question, keyboard(*rows))


# --- the desk: /payment ---------------------------------------------------------------------
def ask_home(_: Translator) -> Screen:
    return Screen(_("Record a payment. Which home? For example 1栋 1单元 101. /cancel to stop."))


def ask_amount(draft: PaymentDraft, _: Translator) -> Screen:
    return Screen(
        _("{home} owes {owed}. How much was paid? For example 1234.50").format(
            home=draft.label, owed=_.money(draft.owed or Decimal(0))
        )
    )


def ask_method(draft: PaymentDraft, _: Translator) -> Screen:
    choices = [button(method_text(m, _), FeeAnswer("method", m.value)) for m in STAFF_METHODS]
    return Screen(
        _("{amount} — how was it paid?").format(amount=_.money(draft.amount or Decimal(0))),
        keyboard(choices[:2], choices[2:]),
    )


def booked(booking: Booking, _: Translator) -> Screen:
    """The payment booked, its receipt number, and buttons for its receipt and reversing it."""
    payment = booking.payment
    text = _(
        "Booked {amount} ({method}) for {home}. Still to pay: {owed}; paid in advance: {credit}."
    ).format(
        amount=_.money(Decimal(payment.amount)),
        method=method_text(payment.method, _),
        home=booking.label,
        owed=_.money(booking.outstanding),
        credit=_.money(booking.credit),
    )
    return Screen(join([text, receipt_note(payment, _)]), office_buttons(payment, _))


# --- residents' "I have paid" ----------------------------------------------------------------
def _decision_buttons(claim: PaymentClaim, _: Translator) -> tuple[tuple[Button, ...], ...]:
    assert claim.id is not None
    return keyboard(
        [
            button(_("The money has arrived"), ClaimDecision(claim.id, True)),
            button(_("Not found yet"), ClaimDecision(claim.id, False)),
        ]
    )


@renders(FOR_STAFF)
def claim_for_staff(_: Translator, *, tz: ZoneInfo, claim: PaymentClaim, label: str) -> Screen:
    """The home's label is also the payment note residents were asked to write."""
    text = join(
        [
            bold(
                _("{home} says it has paid {amount}").format(
                    home=label, amount=_.money(Decimal(claim.amount))
                )
            ),
            _("How: {method}, {time}; payment note: {reference}").format(
                method=method_text(claim.method, _),
                time=_.datetime(claim.claimed_at, tz),
                reference=label,
            ),
            _("Please check the account, then tap whether the money has arrived."),
        ]
    )
    return Screen(text, _decision_buttons(claim, _))


def open_claims(
    claims: list[tuple[PaymentClaim, str]], _: Translator, tz: ZoneInfo
) -> list[Screen]:
    """/claims: the oldest waiting claims with their buttons, and how many more wait."""
    if not claims:
        return [Screen(_("No reported payments are waiting for confirmation."))]
    screens = [
        claim_for_staff(_, tz=tz, claim=c, label=label) for c, label in claims[:CLAIMS_SHOWN]
    ]
    if len(claims) > CLAIMS_SHOWN:
        more = len(claims) - CLAIMS_SHOWN
        screens.append(
            Screen(
                _.ngettext(
                    "{count} more is waiting; answer these first, then send /claims again.",
                    "{count} more are waiting; answer these first, then send /claims again.",
                    more,
                ).format(count=_.number(more))
            )
        )
    return screens


def answered_elsewhere(result: Decided) -> bool:
    """A colleague (or a double tap) answered it: the reply comes as a new message. A claim the
    resident withdrew replaces its card instead, so its buttons are gone."""
    return result.already and result.claim.status != ClaimStatus.WITHDRAWN


def decided(result: Decided, _: Translator) -> Screen:
    claim, label = result.claim, result.label
    if result.already:
        if claim.status == ClaimStatus.CONFIRMED:
            text = _("Already answered: {amount} of {home} is booked.")
        elif claim.status == ClaimStatus.WITHDRAWN:
            text = _("{home} withdrew this payment report; there is nothing to confirm.")
        elif claim.status == ClaimStatus.REVERSED:
            text = _("Already answered: {amount} of {home} was booked, then reversed.")
        else:
            text = _("Already answered: the money of {home} was not found yet.")
        return Screen(text.format(home=label, amount=_.money(Decimal(claim.amount))))
    if result.booking is not None:
        return booked(result.booking, _)
    return Screen(
        _("{home} has been told that the money has not been found yet.").format(home=label)
    )


# --- /arrears ---------------------------------------------------------------------------------
def arrears(report: ArrearsReport, _: Translator) -> list[Screen]:
    """The summary by building and the collection rate; the list by home as a spreadsheet."""
    found, rate = report.arrears, report.rate
    month = _.month(from_iso_month(report.month))
    lines = [bold(_("Arrears in {compound}").format(compound=report.compound))]
    if not found:
        lines.append(_("No overdue bills."))
    else:
        by_building: dict[str, list[Decimal]] = {}
        for item in found:
            by_building.setdefault(item.building, []).append(item.amount)
        total = sum((a.amount for a in found), Decimal(0))
        lines.append(
            _.ngettext(
                "{count} home owes {amount} in overdue bills.",
                "{count} homes owe {amount} in overdue bills.",
                len(found),
            ).format(count=_.number(len(found)), amount=_.money(total))
        )
        for building, amounts in by_building.items():
            lines.append(
                _.ngettext(
                    "{building}: {count} home, {amount}",
                    "{building}: {count} homes, {amount}",
                    len(amounts),
                ).format(
                    building=building,
                    count=_.number(len(amounts)),
                    amount=_.money(sum(amounts, Decimal(0))),
                )
            )
    lines += [
        Markup(""),
        bold(_("Fee collection rate for bills due in {month}").format(month=month)),
    ]
    if rate.billed == 0:
        lines.append(_("No bills were due in {month}.").format(month=month))
    else:
        lines.append(
            _("Amount: {paid} paid of {billed} billed ({rate})").format(
                paid=_.money(rate.paid), billed=_.money(rate.billed), rate=_.percent(rate.rate or 0)
            )
        )
        lines.append(
            _("Homes: {paid} fully paid of {billed} billed").format(
                paid=_.number(rate.households_paid), billed=_.number(rate.households_billed)
            )
        )
    screens = [Screen(join(lines))]
    if found:
        name = f"arrears-{report.compound_id}-{report.month}.xlsx"
        screens.append(Screen(Markup(""), document=File(arrears_sheet(report, _), name)))
    return screens


def arrears_sheet(report: ArrearsReport, _: Translator) -> bytes:
    """The list by home: names and phones for those who may see them, amounts in ¥, the oldest
    due date as a date, and the total."""
    names = report.names
    columns = [Column(N_("Building")), Column(N_("Home"))]
    if names:
        columns += [Column(N_("Owner (roster)")), Column(N_("Phone (roster)"))]
    columns += [
        Column(N_("Overdue bills"), "int"),
        Column(N_("Amount owed"), "money"),
        Column(N_("Oldest due date"), "date"),
    ]
    rows = [
        [
            a.building,
            a.label,
            *([a.owner_name, a.owner_phone] if names else []),
            a.bills,
            a.amount,
            a.oldest_due,
        ]
        for a in report.arrears
    ]
    total = [
        N_("Total"),
        None,
        *([None, None] if names else []),
        sum(a.bills for a in report.arrears),
        sum((a.amount for a in report.arrears), Decimal(0)),
        None,
    ]
    return xlsx({N_("Arrears"): Table(columns, rows, footer=total)}, _)


def arrears_compounds(compounds: list[Compound], month: str, _: Translator) -> Screen:
    rows = [[button(c.name, ArrearsOf(c.id or 0, month))] for c in compounds[:40]]
    return Screen(_("Which compound?"), keyboard(*rows))


# --- /paycode -------------------------------------------------------------------------------
def paycode_compound(compounds: list[Compound], _: Translator) -> Screen:
    return _choose_compound(
        compounds, "compound", _("Set the payment code of which compound? (/cancel to stop)")
    )


def ask_paycode(_: Translator) -> Screen:
    return Screen(
        _(
            "Send the WeChat Pay or Alipay payment code as a photo, with the payee's name as its caption "
            "(for example 幸福家园物业服务中心). Residents will see both in /bills. /cancel to stop."
        )
    )


def paycode_saved(compound: Compound, payee: str, _: Translator) -> Screen:
    return Screen(
        _("{compound}: residents now see the payment code of {payee} in /bills.").format(
            compound=compound.name, payee=payee
        )
    )


def need_photo(_: Translator) -> Screen:
    return Screen(_("Please send the payment code as a photo, or /cancel to stop."))
