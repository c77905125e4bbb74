"""/statement: the bank statement rows the office has to assign, one card each with the
candidate homes, "type the home" and "not a fee payment"; and what each answer did."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from core.i18n import Translator, join
from core.screen import Screen, button, keyboard
from models import StatementRow, StatementRowStatus
from services.statement_review import Reviewed, Waiting
from views.bills import bold
from views.callbacks import CallbackData
from views.fee_office import booked


@dataclasses.dataclass(frozen=True)
class RowHome(CallbackData, kind="bp"):
    """Book the statement row on this home."""

    row_id: int
    household_id: int


@dataclasses.dataclass(frozen=True)
class RowTyped(CallbackData, kind="bt"):
    """Type the row's home."""

    row_id: int


@dataclasses.dataclass(frozen=True)
class RowDismissed(CallbackData, kind="bx"):
    """Not a fee payment."""

    row_id: int


def _facts(row: StatementRow, _: Translator) -> list:
    return [
        _("{day} · {amount} · from {payer}").format(
            day=_.date(row.paid_on),
            amount=_.money(Decimal(row.amount)),
            payer=row.payer or "—",
        ),
        _("Memo: {memo}").format(memo=row.memo or "—"),
        _("Bank reference: {reference}").format(reference=row.reference),
    ]


def card(item: Waiting, _: Translator) -> Screen:
    row = item.row
    assert row.id is not None
    question = (
        _("Several homes may have paid this. Which one?")
        if item.candidates
        else _("No home matches this transfer. Which home paid it?")
    )
    homes = [button(label, RowHome(row.id, home)) for home, label in item.candidates]
    text = join([bold(_("Bank transfer to assign")), *_facts(row, _), question])
    return Screen(
        text,
        keyboard(
            *(homes[i : i + 2] for i in range(0, len(homes), 2)),
            [
                button(_("Type the home"), RowTyped(row.id)),
                button(_("Not a fee payment"), RowDismissed(row.id)),
            ],
        ),
    )


def waiting(items: list[Waiting], count: int, _: Translator) -> list[Screen]:
    if not items:
        return [Screen(_("No bank statement rows are waiting for a home."))]
    screens = [card(item, _) for item in items]
    if count > len(items):
        more = count - len(items)
        screens.append(
            Screen(
                _.ngettext(
                    "{count} more row is waiting; answer these first, then send /statement again.",
                    "{count} more rows are waiting; answer these first, then send /statement again.",
                    more,
                ).format(count=_.number(more))
            )
        )
    return screens


def ask_home(row: StatementRow, _: Translator) -> Screen:
    return Screen(
        join(
            [
                *_facts(row, _),
                _("Which home paid it? For example 1栋 1单元 101. /cancel to stop."),
            ]
        )
    )


def reviewed(result: Reviewed, label: str, _: Translator) -> Screen:
    """Booked (the receipt and its buttons), dismissed, or answered before."""
    row = result.row
    if result.booking is not None:
        return booked(result.booking, _)
    if not result.already:
        return Screen(
            _(
                "Set aside: {amount} from {payer} is not a fee payment and will not be booked."
            ).format(amount=_.money(Decimal(row.amount)), payer=row.payer or "—")
        )
    if row.status == StatementRowStatus.BOOKED:
        text = _("Already answered: {amount} from {payer} is booked for {home}.")
    else:
        text = _("Already answered: {amount} from {payer} was set aside as not a fee payment.")
    return Screen(
        text.format(amount=_.money(Decimal(row.amount)), payer=row.payer or "—", home=label)
    )
