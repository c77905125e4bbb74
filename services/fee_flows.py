"""The office's multi-step fee inputs, as typed drafts: staff booking a payment at the desk
(/payment) and an administrator uploading the payment code (/paycode); setting the fee (/fees)
is services/fee_setting.py.

Each step is named (the bot's conversation is in that state) and each answer is checked here
before the next question; nothing is written to the books until the last step.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_
from models import Compound, PaymentMethod
from services import billing, drafts, fee_claims, payments
from services.actors import Actor
from services.drafts import Draft
from services.errors import DomainError, NotAllowed
from services.inputs import record_id
from services.places import find_household, household_labels
from services.policy import Permission, authorize, compounds, rule

STAFF_METHODS = (PaymentMethod.CASH, PaymentMethod.BANK, PaymentMethod.WECHAT, PaymentMethod.ALIPAY)


async def _office(session: AsyncSession, actor: Actor, permission: Permission) -> list[Compound]:
    found = await compounds(session, actor, permission)
    if not found:
        raise NotAllowed(rule(permission).refusal)
    return found


# --- staff book a payment at the desk ---------------------------------------------------------
class PaymentStep(StrEnum):
    HOME = "home"
    AMOUNT = "amount"
    METHOD = "method"


class PaymentDraft(Draft, flow="payment", steps=PaymentStep):
    """`reference` makes the booking idempotent: a second tap on the method books nothing."""

    reference: str
    household_id: int | None = None
    label: str = ""
    owed: Decimal | None = None
    amount: Decimal | None = None


async def start_payment(session: AsyncSession, actor: Actor, *, now: datetime) -> PaymentDraft:
    await _office(session, actor, Permission.FEES_RECORD_PAYMENT)
    draft = PaymentDraft(step=PaymentStep.HOME, reference=f"staff:{uuid.uuid4().hex}")
    await drafts.begin(session, actor, draft, now=now)
    return draft


async def payment_home(
    session: AsyncSession, actor: Actor, text: str, *, now: datetime
) -> PaymentDraft:
    draft = await drafts.load(session, actor, PaymentDraft, PaymentStep.HOME)
    office = await _office(session, actor, Permission.FEES_RECORD_PAYMENT)
    home = await find_household(session, [c.id for c in office if c.id is not None], text)
    assert home.id is not None
    draft = drafts.replace(
        draft,
        step=PaymentStep.AMOUNT,
        household_id=home.id,
        label=(await household_labels(session, [home.id]))[home.id],
        owed=await billing.outstanding(session, home.id),
    )
    await drafts.save(session, actor, draft, now=now)
    return draft


async def payment_amount(
    session: AsyncSession, actor: Actor, text: str, *, now: datetime
) -> PaymentDraft:
    draft = await drafts.load(session, actor, PaymentDraft, PaymentStep.AMOUNT)
    draft = drafts.replace(draft, step=PaymentStep.METHOD, amount=billing.parse_money(text))
    await drafts.save(session, actor, draft, now=now)
    return draft


async def payment_method(
    session: AsyncSession, actor: Actor, method: str, *, today: date, now: datetime
) -> payments.Booking:
    """The last answer: the payment is booked (and the household told)."""
    draft = await drafts.load(session, actor, PaymentDraft, PaymentStep.METHOD)
    if method not in {m.value for m in STAFF_METHODS} or draft.household_id is None:
        raise DomainError(drafts.STALE)
    assert draft.amount is not None
    await drafts.finish(session, actor, PaymentDraft)
    return await payments.record_payment(
        session,
        actor,
        household_id=draft.household_id,
        amount=draft.amount,
        method=method,
        reference=draft.reference,
        paid_on=today,
        now=now,
    )


# --- an administrator uploads the payment code --------------------------------------------------
class PaycodeStep(StrEnum):
    COMPOUND = "compound"
    PHOTO = "photo"


class PaycodeDraft(Draft, flow="paycode", steps=PaycodeStep):
    compound_id: int | None = None


async def start_paycode(
    session: AsyncSession, actor: Actor, *, now: datetime
) -> tuple[PaycodeDraft, list[Compound]]:
    office = await _office(session, actor, Permission.FEES_PAYMENT_CODE)
    draft = PaycodeDraft(step=PaycodeStep.COMPOUND)
    if len(office) == 1:
        draft = PaycodeDraft(step=PaycodeStep.PHOTO, compound_id=office[0].id)
    await drafts.begin(session, actor, draft, now=now)
    return draft, office


async def paycode_compound(
    session: AsyncSession, actor: Actor, value: str, *, now: datetime
) -> PaycodeDraft:
    await drafts.load(session, actor, PaycodeDraft, PaycodeStep.COMPOUND)
    try:
        compound_id = record_id(value)
    except ValueError:
        raise DomainError(drafts.STALE) from None
    await authorize(session, actor, Permission.FEES_PAYMENT_CODE, compound_id)
    draft = PaycodeDraft(step=PaycodeStep.PHOTO, compound_id=compound_id)
    await drafts.save(session, actor, draft, now=now)
    return draft


async def paycode_photo(
    session: AsyncSession,
    actor: Actor,
    *,
    caption: str | None,
    image: bytes,
    file_id: str,
    now: datetime,
) -> tuple[Compound, str]:
    """The code as a photo with the payee's name as its caption: (compound, payee)."""
    draft = await drafts.load(session, actor, PaycodeDraft, PaycodeStep.PHOTO)
    if not (caption or "").strip():
        raise DomainError(N_("Please send the photo again with the payee's name as its caption."))
    assert draft.compound_id is not None
    account = await fee_claims.set_account(
        session, actor, compound_id=draft.compound_id, payee=caption or "", image=image, now=now
    )
    await fee_claims.remember_file_id(session, account, file_id)
    await drafts.finish(session, actor, PaycodeDraft)
    compound = await session.get(Compound, draft.compound_id)
    assert compound is not None
    return compound, account.payee
