"""Probes of the corrections: reversing a payment, a receipt's PDF, withdrawing an "I have paid"."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from models import ClaimStatus, Payment, PaymentClaim
from services import payments
from services.policy import Permission as P
from tests.permissions.cast import Cast
from tests.permissions.probe import Probe, home_id, preparing, probe, resident_id
from tests.permissions.probes_fees import _claims, _message, _overdue, _pending_claim
from tests.utils.world import Person, World
from views.bills import ClaimWithdraw
from views.corrections import ReceiptPdf, ReversalAnswer, ReverseStart


async def _booked(world: World, reference: str) -> int:
    """A payment of ¥1.00 for the home, booked at the desk."""
    async with world.session() as session:
        booking = await payments.record_payment(
            session,
            None,
            household_id=await home_id(world),
            amount=Decimal("1.00"),
            method="cash",
            reference=reference,
            paid_on=date(2026, 11, 2),
            now=world.clock.now(),
        )
        assert booking.payment.id is not None
        return booking.payment.id


@probe(P.FEES_REVERSE_PAYMENT)
async def reverse(probe: Probe, world: World, cast: Cast, person: Person) -> bool:
    payment_id = await _booked(world, f"probe-{person.id}")
    await person.press_data(ReverseStart(payment_id).pack(), _message(person))
    await person.press_data(ReversalAnswer("reason", "home").pack(), _message(person))
    await person.press_data(ReversalAnswer("confirm", "yes").pack(), _message(person))
    await person.send("/cancel")
    async with world.session() as session:
        row = await session.get(Payment, payment_id)
        assert row is not None
        return row.reversed_at is not None and row.reversed_by == await resident_id(world, person)


preparing(P.FEES_REVERSE_PAYMENT)(_overdue)


@probe(P.FEES_RECEIPT)
async def receipt(probe: Probe, world: World, cast: Cast, person: Person) -> bool:
    payment_id = probe.state["payment"]
    assert isinstance(payment_id, int)
    before = len(person.bot_messages)
    await person.press_data(ReceiptPdf(payment_id).pack(), _message(person))
    return any(m.kind == "document" for m in person.bot_messages[before:])


@preparing(P.FEES_RECEIPT)
async def _a_payment(probe: Probe, world: World, cast: Cast) -> None:
    await _overdue(probe, world, cast)
    probe.state["payment"] = await _booked(world, "probe-receipt")


@probe(P.FEES_WITHDRAW_CLAIM)
async def withdraw(probe: Probe, world: World, cast: Cast, person: Person) -> bool:
    claim = await _pending_claim(world, cast)
    await person.press_data(ClaimWithdraw(claim, "yes").pack(), _message(person))
    async with world.session() as session:
        row = await session.get(PaymentClaim, claim)
        assert row is not None
        return row.status == ClaimStatus.WITHDRAWN and row.decided_by == await resident_id(
            world, person
        )


preparing(P.FEES_WITHDRAW_CLAIM)(_claims)
