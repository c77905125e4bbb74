"""Receipts (收据): every booked payment gets the next number of its compound, in the booking's
transaction, whoever booked it (the desk, a bank statement, a confirmed "I have paid", Telegram
Payments). Numbers are sequential per compound and never reused: a reversed payment keeps its
number and its receipt is shown void (作废). Shown as six digits, e.g. 000042.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.db import insert_many
from core.i18n import N_
from models import Bill, Compound, Household, Payment, PaymentAllocation, ReceiptCounter, pk
from services.actors import Actor
from services.errors import DomainError, NotFound
from services.places import household_labels
from services.policy import Permission, authorize

DIGITS = 6
RECENT = 10
NO_RECEIPT = N_("There is no receipt {number} in {compound}.")


def receipt_label(number: int | None) -> str:
    """The number as printed: 000042 (a payment booked before numbering has none: —)."""
    return "—" if number is None else f"{number:0{DIGITS}d}"


def parse_receipt(text: str) -> int:
    """`000042`, `42`, `No.000042`, `收据000042` → 42."""
    found = re.fullmatch(r"\s*(?:no\.?|收据号?|#)?\s*0*(\d{1,12})\s*", (text or "").lower())
    if found is None or int(found.group(1)) == 0:
        raise DomainError(N_("“{text}” is not a receipt number."), text=(text or "")[:20])
    return int(found.group(1))


async def next_number(session: AsyncSession, compound_id: int) -> int:
    """The compound's next receipt number. The UPDATE locks the counter row until the booking
    commits (SQLite: the write lock), so two bookings racing get consecutive numbers; a booking
    that rolls back gives its number back, and a booked one keeps it forever."""
    bump = (
        update(ReceiptCounter)
        .where(col(ReceiptCounter.compound_id) == compound_id)
        .values(last_number=col(ReceiptCounter.last_number) + 1)
        .returning(col(ReceiptCounter.last_number))
    )
    connection = await session.connection()
    number = (await connection.execute(bump)).scalar_one_or_none()
    if number is None:  # the compound's first receipt: make the counter (once, whoever races)
        await insert_many(
            session,
            ReceiptCounter,
            [{"compound_id": compound_id, "last_number": 0}],
            skip_conflicts_on=["compound_id"],
        )
        number = (await connection.execute(bump)).scalar_one()
    return int(number)


@dataclass(frozen=True)
class Receipt:
    """What a receipt prints: the payment, where, for which home, and the periods it paid."""

    payment: Payment
    compound: str
    label: str
    bills: list[tuple[date, date]]

    @property
    def number(self) -> str:
        return receipt_label(self.payment.receipt_no)

    @property
    def void(self) -> bool:
        return self.payment.reversed_at is not None


async def receipt(session: AsyncSession, actor: Actor | None, payment_id: int) -> Receipt:
    """A payment's receipt, for the people who see the home's bills and the compound's office."""
    payment = await session.get(Payment, payment_id)
    household = await session.get(Household, payment.household_id) if payment else None
    if payment is None or household is None:
        raise NotFound(N_("That payment does not exist."))
    await authorize(
        session, actor, Permission.FEES_RECEIPT, household.compound_id, household=household
    )
    compound = await session.get(Compound, household.compound_id)
    assert compound is not None
    periods = (
        await session.exec(
            select(col(Bill.period_start), col(Bill.period_end))
            .join(PaymentAllocation, col(PaymentAllocation.bill_id) == col(Bill.id))
            .where(col(PaymentAllocation.payment_id) == payment_id)
            .where(col(PaymentAllocation.amount) > 0)  # what it paid, also when since reversed
            .distinct()
            .order_by(col(Bill.period_start))
        )
    ).all()
    label = (await household_labels(session, [pk(household)]))[pk(household)]
    return Receipt(payment, compound.name, label, [(s, e) for s, e in periods])


async def by_number(
    session: AsyncSession, actor: Actor | None, compound: Compound, text: str
) -> Receipt:
    """The receipt with this number in the compound (the office's `admin receipt`)."""
    number = parse_receipt(text)
    payment_id = (
        await session.exec(
            select(col(Payment.id)).where(
                col(Payment.compound_id) == pk(compound), col(Payment.receipt_no) == number
            )
        )
    ).first()
    if payment_id is None:
        raise NotFound(NO_RECEIPT, number=receipt_label(number), compound=compound.name)
    return await receipt(session, actor, payment_id)


async def home_receipts(session: AsyncSession, actor: Actor, household_id: int) -> list[Payment]:
    """The home's latest numbered payments, for /bills → Receipts."""
    household = await session.get(Household, household_id)
    if household is None:
        raise NotFound(N_("That home does not exist."))
    await authorize(
        session, actor, Permission.FEES_RECEIPT, household.compound_id, household=household
    )
    return list(
        (
            await session.exec(
                select(Payment)
                .where(col(Payment.household_id) == household_id)
                .where(col(Payment.receipt_no).is_not(None))
                .order_by(col(Payment.created_at).desc(), col(Payment.id).desc())
                .limit(RECENT)
            )
        ).all()
    )
