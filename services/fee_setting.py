"""An administrator sets or ends a compound's fee in the bot (/fees), as a typed draft: the price,
period, due day, subsidy, late charge and first day of a new schedule, or the fee's last day.
The last question shows what saving does to the price in force; nothing is written before it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_
from models import BillingPeriod, Compound, FeeSchedule
from services import billing, drafts, fee_schedules
from services.actors import Actor
from services.drafts import Draft
from services.errors import DomainError, NotAllowed
from services.fee_rules import DAY, add_months
from services.fee_schedules import Change
from services.policy import Permission, authorize, compounds, rule

DUE_DAYS = (1, 5, 10, 15, 20, 25, 28)
SUBSIDY_PERCENTS = (0, 10, 20, 30, 50)
LATE_CHARGES = (0, 3, 5)  # ‱ of the unpaid amount a day (0.03 %, 0.05 %), capped at 30 %
PERIODS = (
    BillingPeriod.MONTHLY,
    BillingPeriod.QUARTERLY,
    BillingPeriod.HALF_YEARLY,
    BillingPeriod.YEARLY,
)
MAX_PRICE = Decimal(100)
END = "end"  # the answer to the price question that ends the fee instead
MONTHS_BACK, MONTHS_AHEAD = 12, 24  # the dates a new price or an end may be given
T = TypeVar("T")


class FeeStep(StrEnum):
    COMPOUND = "compound"
    PRICE = "price"
    PERIOD = "period"
    DUE_DAY = "due"
    SUBSIDY = "subsidy"
    LATE_CHARGE = "late"
    START = "start"
    END = "end"
    CONFIRM = "confirm"


class FeeDraft(Draft, flow="fees", steps=FeeStep):
    compound_id: int | None = None
    price: Decimal | None = None
    period: BillingPeriod | None = None
    due_day: int | None = None
    subsidy_percent: int | None = None
    late_charge: int | None = None  # ‱ a day
    starts_on: date | None = None
    ends_on: date | None = None  # ending the fee: its last day
    can_end: bool = False  # something is charged from today on, so the fee can be ended


@dataclass(frozen=True)
class FeeQuestion:
    """The next question; at the last one, what saving would do."""

    draft: FeeDraft
    change: Change | None = None
    compounds: list[Compound] = field(default_factory=list)
    fees: list[FeeSchedule] = field(default_factory=list)  # at the start: the fees so far


@dataclass(frozen=True)
class FeeSaved:
    """What was saved: a new schedule or an end (`change`), or nothing (cancelled)."""

    draft: FeeDraft
    change: Change | None


async def _office(session: AsyncSession, actor: Actor) -> list[Compound]:
    found = await compounds(session, actor, Permission.FEES_CONFIGURE)
    if not found:
        raise NotAllowed(rule(Permission.FEES_CONFIGURE).refusal)
    return found


async def chosen(session: AsyncSession, draft: FeeDraft, compound_id: int, today: date) -> FeeDraft:
    """The draft with its compound, at the price question (whether the fee can be ended)."""
    schedules = await fee_schedules.fee(session, compound_id, fee_schedules.DEFAULT_FEE)
    return drafts.replace(
        draft,
        step=FeeStep.PRICE,
        compound_id=compound_id,
        can_end=fee_schedules.charged_from(schedules, today),
    )


async def start_fee(
    session: AsyncSession, actor: Actor, *, today: date, now: datetime
) -> FeeQuestion:
    """The fees so far and the first question; with one compound, that is the price."""
    office = await _office(session, actor)
    draft = FeeDraft(step=FeeStep.COMPOUND)
    if len(office) == 1 and office[0].id is not None:
        draft = await chosen(session, draft, office[0].id, today)
    await drafts.begin(session, actor, draft, now=now)
    shown = [c.id for c in office[:10] if c.id is not None]
    return FeeQuestion(draft, None, office, await fee_schedules.listing(session, shown))


async def fee_draft(session: AsyncSession, actor: Actor) -> FeeDraft:
    """The person's fee draft, at whichever step (a typed answer is for the step asked)."""
    return await drafts.load(session, actor, FeeDraft)


def start_days(today: date) -> tuple[date, date]:
    """The two first days offered as buttons: this month's and next month's."""
    first = today.replace(day=1)
    return first, add_months(first, 1)


def end_days(today: date) -> tuple[date, date]:
    """The two last days offered as buttons: the end of this month and of next month."""
    first = today.replace(day=1)
    return add_months(first, 1) - DAY, add_months(first, 2) - DAY


def parse_day(text: str, today: date) -> date:
    """A date typed as YYYY-MM-DD, within a year back and two years ahead."""
    earliest = add_months(today.replace(day=1), -MONTHS_BACK)
    latest = add_months(today.replace(day=1), MONTHS_AHEAD)
    try:
        day = date.fromisoformat((text or "").strip())
    except ValueError:
        day = None
    if day is None or not earliest <= day <= latest:
        raise DomainError(
            N_("Please type a date as YYYY-MM-DD, from {earliest} to {latest}."),
            earliest=earliest,
            latest=latest,
        )
    return day


async def fee_answer(
    session: AsyncSession, actor: Actor, step: str, value: str, *, today: date, now: datetime
) -> FeeQuestion | FeeSaved:
    """One answer: the next question, or what was saved after the last one ("1": save, "0":
    cancel). An answer to another step than the one asked is stale."""
    draft = await drafts.load(session, actor, FeeDraft, step)
    try:
        if step == FeeStep.COMPOUND:
            compound_id = drafts.number(value)
            await authorize(session, actor, Permission.FEES_CONFIGURE, compound_id)
            draft = await chosen(session, draft, compound_id, today)
        elif step == FeeStep.CONFIRM:
            return await _save_fee(session, actor, draft, value == "1", today=today, now=now)
        else:
            draft = answered(draft, step, value, today)
    except ValueError:
        raise DomainError(drafts.STALE) from None
    change = None
    if draft.step == FeeStep.CONFIRM:
        change = await effect_of(session, draft)
    await drafts.save(session, actor, draft, now=now)
    return FeeQuestion(draft, change)


def answered(draft: FeeDraft, step: str, value: str, today: date) -> FeeDraft:
    """The draft after one answer to a question of the fee itself (the price, period, due day,
    subsidy, late charge, first or last day), at its next step: the rules of /fees, which the
    console's fee form answers too. A value no button offers raises ValueError; a price or a
    date the rules refuse, DomainError."""
    changes: dict[str, object]
    if step == FeeStep.PRICE and value == END:
        if not draft.can_end:
            raise DomainError(N_("No fee is charged from today on: there is nothing to end."))
        changes = {"step": FeeStep.END}
    elif step == FeeStep.PRICE:
        changes = {"price": parse_price(value), "step": FeeStep.PERIOD}
    elif step == FeeStep.PERIOD:
        changes = {"period": _one_of(BillingPeriod(value), PERIODS), "step": FeeStep.DUE_DAY}
    elif step == FeeStep.DUE_DAY:
        changes = {"due_day": _one_of(drafts.number(value), DUE_DAYS), "step": FeeStep.SUBSIDY}
    elif step == FeeStep.SUBSIDY:
        changes = {
            "subsidy_percent": _one_of(drafts.number(value), SUBSIDY_PERCENTS),
            "step": FeeStep.LATE_CHARGE,
        }
    elif step == FeeStep.LATE_CHARGE:
        changes = {
            "late_charge": _one_of(drafts.number(value), LATE_CHARGES),
            "step": FeeStep.START,
        }
    elif step == FeeStep.START:
        changes = {"starts_on": parse_day(value, today), "step": FeeStep.CONFIRM}
    elif step == FeeStep.END:
        changes = {"ends_on": parse_day(value, today), "step": FeeStep.CONFIRM}
    else:
        raise ValueError(step)
    return drafts.replace(draft, **changes)


async def effect_of(session: AsyncSession, draft: FeeDraft) -> Change:
    """What saving a draft at its last question would do (nothing is changed)."""
    assert draft.compound_id is not None
    return await fee_schedules.preview(
        session, draft.compound_id, first=draft.starts_on, last_day=draft.ends_on
    )


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
    session: AsyncSession,
    actor: Actor,
    draft: FeeDraft,
    save: bool,
    *,
    today: date,
    now: datetime,
) -> FeeSaved:
    await drafts.finish(session, actor, FeeDraft)
    if not save:
        return FeeSaved(draft, None)
    return FeeSaved(draft, await save_draft(session, actor, draft, today=today, now=now))


async def save_draft(
    session: AsyncSession, actor: Actor, draft: FeeDraft, *, today: date, now: datetime
) -> Change:
    """A draft answered to its last question saved: the fee ended after its last day, or the
    new schedule from its first day (billing.end_schedule / start_schedule: the permission,
    the terms, the settling of days already billed and the audit trail)."""
    assert draft.compound_id is not None
    if draft.ends_on is not None:
        return await billing.end_schedule(
            session,
            actor,
            compound_id=draft.compound_id,
            last_day=draft.ends_on,
            now=now,
            today=today,
        )
    assert draft.price and draft.period and draft.due_day and draft.starts_on
    return await billing.start_schedule(
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
        today=today,
    )
