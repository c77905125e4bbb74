"""Payments (DOMAIN §6): booking money for a home (oldest bills first, the rest as credit, at most
12 months ahead), who sees a home's bills, and what /bills shows them.

Booking a payment tells the people who see the home's bills that the money arrived (through the
outbox, at commit), whoever booked it: staff at the desk, a bank statement, a confirmed "I have
paid", or Telegram Payments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_
from models import (
    Bill,
    Household,
    Membership,
    MembershipKind,
    OutboxMessage,
    OutboxStatus,
    Payment,
    PaymentClaim,
    PaymentMethod,
    Resident,
)
from services import audit, billing, notify, receipts
from services.actors import Actor
from services.billing import ZERO, OpenBill
from services.errors import DomainError, NotAllowed, NotFound
from services.notify import Recipient
from services.places import household_labels
from services.policy import Permission, allowed, authorize

PAYMENT_RECEIVED = "fees.payment_received"


@dataclass(frozen=True)
class Booking:
    payment: Payment
    new: bool  # False: this reference was already booked (a repeat), nothing changed
    paid_off: list[int]
    outstanding: Decimal
    credit: Decimal
    label: str = ""


async def record_payment(
    session: AsyncSession,
    actor: Actor | None,
    *,
    household_id: int,
    amount: Decimal,
    method: str,
    reference: str,
    paid_on: date,
    now: datetime,
) -> Booking:
    """Book money for a household: oldest bills first, the rest as credit for coming bills, but
    never more than 12 months in advance. The same (method, reference) is booked once. The
    household's bill readers are told (all but the person who booked it)."""
    household = await session.get(Household, household_id)
    if household is None:
        raise NotFound(N_("That home does not exist."))
    if method != PaymentMethod.TELEGRAM:  # money taken online is the payer's own
        await authorize(session, actor, Permission.FEES_RECORD_PAYMENT, household.compound_id)
    amount = billing.fen(Decimal(amount))
    if amount <= 0:
        raise DomainError(N_("A payment must be more than zero."))
    label = (await household_labels(session, [household_id]))[household_id]
    existing = (
        await session.exec(
            select(Payment).where(
                col(Payment.method) == method, col(Payment.reference) == reference
            )
        )
    ).first()
    if existing is not None:
        return Booking(
            existing,
            False,
            [],
            await billing.outstanding(session, household_id),
            await billing.credit(session, household_id),
            label,
        )
    owed = await billing.outstanding(session, household_id)
    excess = amount - owed + await billing.credit(session, household_id)
    limit = await billing.prepayment_limit(session, household, on=paid_on)
    if excess > limit and method != PaymentMethod.TELEGRAM:  # money taken online is booked anyway
        raise DomainError(
            N_(
                "That is more than the open bills plus 12 months in advance ({limit}); "
                "please take at most {most}."
            ),
            limit=str(limit),
            most=str(max(ZERO, amount - (excess - limit))),
        )
    recorder = actor.resident_id if actor else None
    payment = Payment(
        household_id=household_id,
        amount=amount,
        unallocated=amount,
        method=method,
        reference=reference[:120],
        paid_on=paid_on,
        recorded_by=recorder,
        created_at=now,
        compound_id=household.compound_id,
        receipt_no=await receipts.next_number(session, household.compound_id),
    )
    session.add(payment)
    await session.flush()
    paid_off = await billing.allocate(session, household_id)
    await cancel_reminders(session, household_id)
    audit.record(
        session,
        at=now,
        actor_id=recorder,
        action="fee.payment",
        subject_type="household",
        subject_id=household_id,
        amount=str(amount),
        method=method,
        receipt=receipts.receipt_label(payment.receipt_no),
    )
    booking = Booking(
        payment,
        True,
        paid_off,
        await billing.outstanding(session, household_id),
        await billing.credit(session, household_id),
        label,
    )
    readers = [
        Recipient.of(person, household_id)
        for person in await bill_recipients(session, household)
        if person.id != recorder
    ]
    notify.tell(
        session, f"fee-paid:{payment.id}", PAYMENT_RECEIVED, readers, now=now, booking=booking
    )
    return booking


async def cancel_reminders(session: AsyncSession, household_id: int) -> int:
    """A payment (or a resident's "I have paid") withdraws the household's fee reminders not sent yet."""
    result = await session.exec(
        update(OutboxMessage)
        .where(col(OutboxMessage.household_id) == household_id)
        .where(col(OutboxMessage.purpose).startswith("fee-remind:"))
        .where(col(OutboxMessage.status) == OutboxStatus.QUEUED)
        .values(status=OutboxStatus.CANCELLED)
    )
    return result.rowcount


# --- who sees a home's bills ------------------------------------------------------------------
async def bill_households(session: AsyncSession, actor: Actor) -> list[int]:
    """Homes whose bills this person may see: owners always; tenants and family if the owners allow."""
    ids = []
    for tie in actor.households:
        household = await session.get(Household, tie.household_id)
        if household is not None and await allowed(
            session, actor, Permission.FEES_VIEW_BILLS, tie.compound_id, household=household
        ):
            ids.append(tie.household_id)
    return ids


async def require_bill_reader(session: AsyncSession, actor: Actor, household_id: int) -> Household:
    household = await session.get(Household, household_id)
    if household is None:
        raise NotFound(N_("That home does not exist."))
    await authorize(
        session, actor, Permission.FEES_VIEW_BILLS, household.compound_id, household=household
    )
    return household


async def bill_recipients(session: AsyncSession, household: Household) -> list[Resident]:
    """Reachable people who see this home's bills: owners, and tenants and family if allowed."""
    kinds = [MembershipKind.OWNER, MembershipKind.CO_OWNER]
    if household.tenants_see_bills:
        kinds += [MembershipKind.TENANT, MembershipKind.FAMILY]
    statement = (
        select(Resident)
        .join(Membership, col(Membership.resident_id) == col(Resident.id))
        .where(col(Membership.household_id) == household.id, col(Membership.kind).in_(kinds))
        .where(col(Resident.telegram_id).is_not(None), col(Resident.consent_at).is_not(None))
        .order_by(col(Resident.id))
    )
    return list((await session.exec(statement)).all())


async def set_tenants_see_bills(
    session: AsyncSession, actor: Actor, household_id: int, allowed_: bool, *, now: datetime
) -> Household:
    household = await session.get(Household, household_id)
    if household is None:
        raise NotFound(N_("That home does not exist."))
    await authorize(
        session,
        actor,
        Permission.FEES_SHARE_WITH_TENANTS,
        household.compound_id,
        household=household,
    )
    household.tenants_see_bills = allowed_
    audit.record(
        session,
        at=now,
        actor_id=actor.resident_id,
        action="fee.tenants_see_bills",
        subject_type="household",
        subject_id=household_id,
        allowed=allowed_,
    )
    return household


# --- what /bills shows -------------------------------------------------------------------------
@dataclass(frozen=True)
class Statement:
    """One home's fees as its reader sees them, and what they can do about them."""

    household_id: int
    label: str
    open: list[OpenBill]
    credit: Decimal
    paid_bills: list[Bill]
    payments: list[Payment]
    owner: bool  # may decide whether tenants see the bills
    tenants_see_bills: bool
    pay_by_code: bool  # the compound has a payment QR code
    claim: PaymentClaim | None = None  # the home's "I have paid" the office is checking

    @property
    def owed(self) -> Decimal:
        return sum((b.remaining for b in self.open), ZERO)


async def statements(session: AsyncSession, actor: Actor, *, today: date) -> list[Statement]:
    """/bills: a statement for each home whose bills the person sees."""
    from services.fee_claims import account_of, open_claim

    if not actor.households:
        raise NotAllowed(
            N_(
                "Fees are shown to residents registered to a home. Ask the property office for an invite."
            )
        )
    visible = await bill_households(session, actor)
    if not visible:
        raise NotAllowed(
            N_("Only the owners see this home's bills; they can let tenants see them with /bills.")
        )
    labels = await household_labels(session, visible)
    owned = {t.household_id for t in actor.households if t.is_owner}
    found = []
    for household_id in visible:
        household = await session.get(Household, household_id)
        assert household is not None
        paid_bills, payments = await billing.history(session, household_id)
        found.append(
            Statement(
                household_id,
                labels[household_id],
                await billing.open_bills(session, household_id, today),
                await billing.credit(session, household_id),
                paid_bills,
                payments,
                household_id in owned,
                household.tenants_see_bills,
                await account_of(session, household_id) is not None,
                await open_claim(session, household_id),
            )
        )
    return found


# --- Telegram Payments --------------------------------------------------------------------------
async def invoice_due(
    session: AsyncSession, actor: Actor, household_id: int
) -> tuple[str, Decimal]:
    """The home's label and what it owes, for an invoice in Telegram (bill readers only)."""
    await require_bill_reader(session, actor, household_id)
    label = (await household_labels(session, [household_id]))[household_id]
    return label, await billing.outstanding(session, household_id)


async def invoice_still_due(
    session: AsyncSession, actor: Actor, household_id: int, fen: int
) -> bool:
    """At pre-checkout: the payer still sees the home's bills and the amount is still owed."""
    if household_id not in await bill_households(session, actor):
        return False
    return int(await billing.outstanding(session, household_id) * 100) == fen


def invoice_payload(household_id: int, fen: int) -> str:
    """What an invoice carries back to the bot: the home and the amount it was made for."""
    return f"fee:{household_id}:{fen}"


def parse_invoice(payload: str | None) -> tuple[int, int] | None:
    """(home, amount in fen) of an invoice payload, or None when it is not one of ours."""
    match = re.fullmatch(r"fee:(\d{1,12}):(\d{1,12})", payload or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


async def book_in_telegram(
    session: AsyncSession,
    actor: Actor,
    *,
    payload: str | None,
    fen: int,
    charge_id: str,
    today: date,
    now: datetime,
) -> Booking | None:
    """Money received through Telegram: booked once per charge id, however often it is reported."""
    found = parse_invoice(payload)
    if found is None:
        return None
    return await record_payment(
        session,
        actor,
        household_id=found[0],
        amount=Decimal(fen) / 100,
        method=PaymentMethod.TELEGRAM,
        reference=charge_id,
        paid_on=today,
        now=now,
    )
