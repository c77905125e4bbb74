"""Reversing a booked payment (冲正, DOMAIN §9): mistakes are corrected, never deleted.

A payment booked on the wrong home or with the wrong amount is reversed by the office with a
reason, in one transaction: what it paid is open again (its allocations negated), its credit is
gone, the home's other credit pays the reopened bills, reminders may go again where due, the
claim it came from (if any) says so, an audit record keeps the reason, and the household is told
with the receipt number. The payment row stays, marked reversed, and its receipt is void; its
number is never given again. A payment is reversed once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_
from models import ClaimStatus, Household, Payment, PaymentClaim, pk
from services import audit, billing, drafts, fee_reminders, notify, outbox, payments
from services.actors import Actor
from services.drafts import Draft
from services.errors import DomainError, NotAllowed, NotFound
from services.notify import Recipient
from services.places import find_household, household_labels
from services.policy import Permission, authorize, compound_ids, rule
from services.receipts import receipt_label

PAYMENT_REVERSED = "fees.payment_reversed"  # to the household: receipt, amount, reason
REASON_LENGTH = (2, 300)
RECENT = 10


@dataclass(frozen=True)
class Reversal:
    payment: Payment
    label: str
    already: bool  # it had been reversed before (a double tap, or a colleague)
    reopened: tuple[int, ...] = ()
    outstanding: Decimal = Decimal("0.00")
    credit: Decimal = Decimal("0.00")

    @property
    def receipt(self) -> str:
        return receipt_label(self.payment.receipt_no)


def clean_reason(text: str) -> str:
    reason = " ".join((text or "").split())
    low, high = REASON_LENGTH
    if not low <= len(reason) <= high:
        raise DomainError(
            N_("Please give the reason in {low} to {high} characters."), low=low, high=high
        )
    return reason


async def payment_for_office(
    session: AsyncSession, actor: Actor | None, payment_id: int
) -> tuple[Payment, Household, str]:
    """The payment, its home and the home's label, for someone who may reverse it."""
    payment = await session.get(Payment, payment_id)
    household = await session.get(Household, payment.household_id) if payment else None
    if payment is None or household is None:
        raise NotFound(N_("That payment does not exist."))
    await authorize(session, actor, Permission.FEES_REVERSE_PAYMENT, household.compound_id)
    label = (await household_labels(session, [pk(household)]))[pk(household)]
    return payment, household, label


async def reverse_payment(
    session: AsyncSession, actor: Actor | None, payment_id: int, reason: str, *, now: datetime
) -> Reversal:
    """Reverse a booked payment with a reason; a second reversal of it changes nothing."""
    payment, household, label = await payment_for_office(session, actor, payment_id)
    reason = clean_reason(reason)
    by = actor.resident_id if actor else None
    # Only the first reversal takes: a double tap or a colleague's finds it reversed (on
    # PostgreSQL the second waits for the first's row lock, then matches nothing).
    marked = await session.exec(
        sa.update(Payment)
        .where(col(Payment.id) == payment_id, col(Payment.reversed_at).is_(None))
        .values(reversed_at=now, reversed_by=by, reversal_reason=reason)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(payment)
    if marked.rowcount != 1:
        return Reversal(payment, label, already=True)
    reopened = await billing.deallocate(session, payment)
    await billing.allocate(session, pk(household))  # the home's other credit pays them first
    await fee_reminders.allow_again(session, pk(household), reopened)
    await outbox.cancel(session, f"fee-paid:{payment_id}")  # "we have received", if not gone yet
    claim = (
        await session.exec(select(PaymentClaim).where(col(PaymentClaim.payment_id) == payment_id))
    ).first()
    if claim is not None:
        claim.status = ClaimStatus.REVERSED
    audit.record(
        session,
        at=now,
        actor_id=by,
        action="fee.payment_reversed",
        subject_type="household",
        subject_id=pk(household),
        payment_id=payment_id,
        receipt=receipt_label(payment.receipt_no),
        amount=str(payment.amount),
        reason=reason,
        reopened=reopened,
        claim_id=claim.id if claim else None,
    )
    result = Reversal(
        payment,
        label,
        already=False,
        reopened=tuple(reopened),
        outstanding=await billing.outstanding(session, pk(household)),
        credit=await billing.credit(session, pk(household)),
    )
    readers = [
        Recipient.of(person, pk(household))
        for person in await payments.bill_recipients(session, household)
        if person.id != by
    ]
    notify.tell(
        session, f"fee-reversed:{payment_id}", PAYMENT_REVERSED, readers, now=now, reversal=result
    )
    return result


@dataclass(frozen=True)
class HomePayments:
    household_id: int
    label: str
    payments: list[Payment]
    outstanding: Decimal


async def recent_payments(
    session: AsyncSession, actor: Actor | None, household_id: int
) -> HomePayments:
    """A home's latest payments with their receipts, reversed ones too, for the office."""
    household = await session.get(Household, household_id)
    if household is None:
        raise NotFound(N_("That home does not exist."))
    await authorize(session, actor, Permission.FEES_REVERSE_PAYMENT, household.compound_id)
    found = (
        await session.exec(
            select(Payment)
            .where(col(Payment.household_id) == household_id)
            .order_by(col(Payment.created_at).desc(), col(Payment.id).desc())
            .limit(RECENT)
        )
    ).all()
    label = (await household_labels(session, [household_id]))[household_id]
    return HomePayments(
        household_id, label, list(found), await billing.outstanding(session, household_id)
    )


# --- the office's steps in the bot: /receipts, then "Reverse" on a payment ---------------------
class ReversalStep(StrEnum):
    HOME = "home"  # /receipts: which home?
    REASON = "reason"
    CONFIRM = "confirm"


class ReversalDraft(Draft, flow="reversal", steps=ReversalStep):
    payment_id: int | None = None
    reason: str | None = None


QUICK_REASONS = {
    "home": N_("Booked on the wrong home"),
    "amount": N_("Booked with the wrong amount"),
}
ALREADY = N_("Receipt {receipt} has already been reversed; nothing was changed.")


async def _office(session: AsyncSession, actor: Actor) -> list[int]:
    found = await compound_ids(session, actor, Permission.FEES_REVERSE_PAYMENT)
    if not found:
        raise NotAllowed(rule(Permission.FEES_REVERSE_PAYMENT).refusal)
    return sorted(found)


async def start_receipts(session: AsyncSession, actor: Actor, *, now: datetime) -> ReversalDraft:
    """/receipts: the office asks for a home."""
    await _office(session, actor)
    draft = ReversalDraft(step=ReversalStep.HOME)
    await drafts.begin(session, actor, draft, now=now)
    return draft


async def receipts_home(session: AsyncSession, actor: Actor, text: str) -> HomePayments:
    """The home typed: its latest payments (the flow ends; each has its own buttons)."""
    await drafts.load(session, actor, ReversalDraft, ReversalStep.HOME)
    home = await find_household(session, await _office(session, actor), text)
    await drafts.finish(session, actor, ReversalDraft)
    return await recent_payments(session, actor, pk(home))


@dataclass(frozen=True)
class Proposed:
    """A reversal being asked about: the payment, its home, and the reason so far."""

    draft: ReversalDraft
    payment: Payment
    label: str


async def start_reversal(
    session: AsyncSession, actor: Actor, payment_id: int, *, now: datetime
) -> Proposed:
    """ "Reverse" under a payment: why? (A payment already reversed says so at once.)"""
    payment, _household, label = await payment_for_office(session, actor, payment_id)
    if payment.reversed_at is not None:
        raise DomainError(ALREADY, receipt=receipt_label(payment.receipt_no))
    draft = ReversalDraft(step=ReversalStep.REASON, payment_id=payment_id)
    await drafts.begin(session, actor, draft, now=now)
    return Proposed(draft, payment, label)


async def reversal_reason(
    session: AsyncSession, actor: Actor, text: str, *, now: datetime
) -> Proposed:
    """The reason, typed or one of the quick ones: then the question whether to reverse."""
    draft = await drafts.load(session, actor, ReversalDraft, ReversalStep.REASON)
    assert draft.payment_id is not None
    payment, _household, label = await payment_for_office(session, actor, draft.payment_id)
    draft = drafts.replace(draft, step=ReversalStep.CONFIRM, reason=clean_reason(text))
    await drafts.save(session, actor, draft, now=now)
    return Proposed(draft, payment, label)


async def reversal_confirm(
    session: AsyncSession, actor: Actor, yes: bool, *, now: datetime
) -> Reversal | None:
    """Reverse it (once), or keep it (None). The draft is gone either way, so a second tap on
    the same button is stale."""
    draft = await drafts.load(session, actor, ReversalDraft, ReversalStep.CONFIRM)
    await drafts.finish(session, actor, ReversalDraft)
    if not yes:
        return None
    assert draft.payment_id is not None and draft.reason is not None
    return await reverse_payment(session, actor, draft.payment_id, draft.reason, now=now)
