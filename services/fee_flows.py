"""The office's multi-step fee inputs, as typed drafts: staff booking a payment at the desk
(/payment), an administrator setting the fee (/fees) and uploading the payment code (/paycode).

Each step is named (the bot's conversation is in that state) and each answer is checked here
before the next question; nothing is written to the books until the last step.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_
from models import BillingPeriod, Compound, FeeSchedule, PaymentMethod
from services import billing, drafts, fee_claims, payments
from services.actors import Actor
from services.drafts import Draft
from services.errors import DomainError, NotAllowed
from services.places import find_household, household_labels
from services.policy import Permission, authorize, compounds, rule

STAFF_METHODS = (PaymentMethod.CASH, PaymentMethod.BANK, PaymentMethod.WECHAT, PaymentMethod.ALIPAY)
DUE_DAYS = (1, 5, 10, 15, 20, 25, 28)
SUBSIDY_PERCENTS = (0, 10, 20, 30, 50)
LATE_CHARGES = (0, 3, 5)  # ‱ of the unpaid amount a day (0.03 %, 0.05 %), capped at 30 %
MAX_PRICE = Decimal(100)
T = TypeVar("T")


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


# --- an administrator sets the fee --------------------------------------------------------------
class FeeStep(StrEnum):
    COMPOUND = "compound"
    PRICE = "price"
    PERIOD = "period"
    DUE_DAY = "due"
    SUBSIDY = "subsidy"
    LATE_CHARGE = "late"
    START = "start"
    CONFIRM = "confirm"


class FeeDraft(Draft, flow="fees", steps=FeeStep):
    compound_id: int | None = None
    price: Decimal | None = None
    period: BillingPeriod | None = None
    due_day: int | None = None
    subsidy_percent: int | None = None
    late_charge: int | None = None  # ‱ a day
    starts_on: date | None = None


async def start_fee(
    session: AsyncSession, actor: Actor, *, now: datetime
) -> tuple[FeeDraft, list[Compound]]:
    """The compounds the person sets fees for; with one, the first question is the price."""
    office = await _office(session, actor, Permission.FEES_CONFIGURE)
    draft = FeeDraft(step=FeeStep.COMPOUND)
    if len(office) == 1:
        draft = drafts.replace(draft, step=FeeStep.PRICE, compound_id=office[0].id)
    await drafts.begin(session, actor, draft, now=now)
    return draft, office


def start_months(today: date) -> tuple[date, date]:
    """A new fee starts this month or next month."""
    first = today.replace(day=1)
    return first, billing.add_months(first, 1)


async def fee_answer(
    session: AsyncSession, actor: Actor, step: str, value: str, *, today: date, now: datetime
) -> FeeDraft | FeeSchedule | None:
    """One answer: the draft at its next step; the saved schedule after "save"; None after
    "cancel". An answer to another step than the one asked is stale."""
    draft = await drafts.load(session, actor, FeeDraft, step)
    changes: dict[str, object]
    try:
        if step == FeeStep.COMPOUND:
            await authorize(session, actor, Permission.FEES_CONFIGURE, int(value))
            changes = {"compound_id": int(value), "step": FeeStep.PRICE}
        elif step == FeeStep.PRICE:
            changes = {"price": parse_price(value), "step": FeeStep.PERIOD}
        elif step == FeeStep.PERIOD:
            changes = {"period": BillingPeriod(value), "step": FeeStep.DUE_DAY}
        elif step == FeeStep.DUE_DAY:
            changes = {"due_day": _one_of(int(value), DUE_DAYS), "step": FeeStep.SUBSIDY}
        elif step == FeeStep.SUBSIDY:
            changes = {
                "subsidy_percent": _one_of(int(value), SUBSIDY_PERCENTS),
                "step": FeeStep.LATE_CHARGE,
            }
        elif step == FeeStep.LATE_CHARGE:
            changes = {"late_charge": _one_of(int(value), LATE_CHARGES), "step": FeeStep.START}
        elif step == FeeStep.START:
            changes = {
                "starts_on": _one_of(date.fromisoformat(value), start_months(today)),
                "step": FeeStep.CONFIRM,
            }
        else:
            return await _save_fee(session, actor, draft, value == "1", now=now)
    except ValueError:
        raise DomainError(drafts.STALE) from None
    draft = drafts.replace(draft, **changes)
    await drafts.save(session, actor, draft, now=now)
    return draft


def _one_of(value: T, allowed: tuple[T, ...]) -> T:
    if value not in allowed:
        raise ValueError(value)
    return value


def parse_price(text: str) -> Decimal:
    """Yuan per ㎡ per month: more than 0, at most 100, at most 4 decimals (`1.20`, `1.2元`)."""
    try:
        price = Decimal((text or "").strip().removesuffix("元").strip())
        if not Decimal(0) < price <= MAX_PRICE or price != price.quantize(Decimal("0.0001")):
            raise ValueError
    except (ArithmeticError, ValueError, InvalidOperation):
        raise DomainError(
            N_(
                "The price must be between 0 and 100 yuan per ㎡ per month, with at most 4 decimals."
            )
        ) from None
    return price


def example_bill(draft: FeeDraft) -> tuple[Decimal, Decimal, Decimal]:
    """(gross, subsidy, owed) of a 100 ㎡ home for one month under the draft."""
    assert draft.price is not None and draft.subsidy_percent is not None
    return billing.bill_amounts(Decimal(100), draft.price, 1, Decimal(draft.subsidy_percent) / 100)


async def _save_fee(
    session: AsyncSession, actor: Actor, draft: FeeDraft, save: bool, *, now: datetime
) -> FeeSchedule | None:
    await drafts.finish(session, actor, FeeDraft)
    if not save:
        return None
    assert draft.compound_id and draft.price and draft.period and draft.due_day and draft.starts_on
    return await billing.create_schedule(
        session,
        actor,
        compound_id=draft.compound_id,
        price_per_m2=draft.price,
        period=draft.period,
        due_day=draft.due_day,
        starts_on=draft.starts_on,
        subsidy_share=Decimal(draft.subsidy_percent or 0) / 100,
        late_charge_daily_rate=Decimal(draft.late_charge) / 10000 if draft.late_charge else None,
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
    if not value.isdigit():
        raise DomainError(drafts.STALE)
    await authorize(session, actor, Permission.FEES_PAYMENT_CODE, int(value))
    draft = PaycodeDraft(step=PaycodeStep.PHOTO, compound_id=int(value))
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
