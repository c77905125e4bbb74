"""Property fees (DOMAIN §6): schedules, bills, payments with allocation and credit, arrears, the
collection rate, and the courteous reminders. Every amount is a Decimal rounded to the fen with
ROUND_HALF_UP; nothing here uses floats."""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import exists, false, true, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.db import insert_many
from core.i18n import N_
from models import (
    MONTHS,
    Bill,
    BillingPeriod,
    Building,
    ClaimStatus,
    Compound,
    FeeReminder,
    FeeSchedule,
    Household,
    Membership,
    MembershipKind,
    OutboxMessage,
    OutboxStatus,
    Payment,
    PaymentAllocation,
    PaymentClaim,
    PaymentMethod,
    Resident,
    Role,
)
from services import audit, outbox
from services.actors import Actor
from services.errors import DomainError, NotAllowed, NotFound
from services.outbox import Outgoing, QuietHours
from services.places import compounds_for_roles, household_label

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
PREPAY_MONTHS = 12
CHUNK = 1000
REMINDER_OFFSETS = (-7, 0, 7, 30)  # days relative to the due date
CATCH_UP_DAYS = 3  # a reminder missed for longer than this (the bot was down) is not sent late
STAFF_ROLES = {Role.STAFF, Role.ADMIN}
BILL_KEY = ["schedule_id", "household_id", "period_start"]
REPORT_ROLES = {Role.STAFF, Role.ADMIN, Role.OFFICER, Role.SUPERVISOR, Role.COMMITTEE}


def fen(value: Decimal) -> Decimal:
    """Round to the fen (0.01 CNY), half up, as Chinese billing does."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def parse_money(text: str) -> Decimal:
    """`1234.5`, `¥1,234.50`, `1234.50元` → Decimal('1234.50'); more than 2 decimals is refused."""
    cleaned = (
        (text or "").strip().replace(",", "").replace("，", "").replace("¥", "").replace("￥", "")
    )
    cleaned = cleaned.removesuffix("元").strip()
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise DomainError(
            N_("“{text}” is not an amount of money."), text=(text or "")[:30]
        ) from None
    if (
        not value.is_finite()
        or value != value.quantize(CENT)
        or value <= 0
        or value >= Decimal("1e10")
    ):
        raise DomainError(N_("“{text}” is not an amount of money."), text=(text or "")[:30])
    return value.quantize(CENT)


# --- periods ----------------------------------------------------------------------------------
def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def period_starts(schedule: FeeSchedule, today: date) -> list[date]:
    """Every period start from the schedule's start up to the period containing today."""
    months = MONTHS[BillingPeriod(schedule.period)]
    start = schedule.starts_on.replace(day=1)
    starts = []
    while start <= today:
        starts.append(start)
        start = add_months(start, months)
    return starts


def bill_amounts(
    area: Decimal, price: Decimal, months: int, subsidy_share: Decimal
) -> tuple[Decimal, Decimal, Decimal]:
    """(gross, subsidy, owed): gross = area × price × months to the fen; the subsidy is the
    government's share of it to the fen; the household owes the rest."""
    gross = fen(area * price * months)
    subsidy = fen(gross * subsidy_share)
    return gross, subsidy, gross - subsidy


# --- schedules ----------------------------------------------------------------------------------
async def require_role(
    session: AsyncSession, actor: Actor | None, compound_id: int, roles: set[Role], message: str
) -> None:
    if actor is None:  # the command line
        return
    grants = [(g.role, g.scope_kind, g.scope_id) for g in actor.roles]
    if compound_id not in {
        c.id for c in await compounds_for_roles(session, grants, {r.value for r in roles})
    }:
        raise NotAllowed(message)


async def role_compounds(session: AsyncSession, actor: Actor, roles: set[Role]) -> list[Compound]:
    grants = [(g.role, g.scope_kind, g.scope_id) for g in actor.roles]
    return await compounds_for_roles(session, grants, {r.value for r in roles})


async def create_schedule(
    session: AsyncSession, actor: Actor | None, *, compound_id: int, price_per_m2: Decimal,
    period: str, due_day: int, starts_on: date, now: datetime, name: str = "物业服务费",
    subsidy_share: Decimal = Decimal(0), late_charge_daily_rate: Decimal | None = None,
    late_charge_cap: Decimal = Decimal("0.3"),
) -> FeeSchedule:  # fmt: skip
    """A compound's fee. A new schedule of the same name replaces the old one from its start."""
    await require_role(
        session,
        actor,
        compound_id,
        {Role.ADMIN},
        N_("Only administrators of this compound can set fees."),
    )
    if not Decimal("0") < price_per_m2 <= Decimal("100") or price_per_m2 != price_per_m2.quantize(
        Decimal("0.0001")
    ):
        raise DomainError(
            N_(
                "The price must be between 0 and 100 yuan per ㎡ per month, with at most 4 decimals."
            )
        )
    if period not in {p.value for p in BillingPeriod}:
        raise DomainError(N_("The billing period must be monthly, quarterly or yearly."))
    if not 1 <= due_day <= 28:
        raise DomainError(N_("The due day must be between 1 and 28."))
    if not Decimal(0) <= subsidy_share < Decimal(1):
        raise DomainError(
            N_("The subsidy share must be at least 0 and less than 1 (e.g. 0.3 for 30 %).")
        )
    if late_charge_daily_rate is not None and not Decimal(0) < late_charge_daily_rate <= Decimal(
        "0.001"
    ):
        raise DomainError(
            N_(
                "A late charge, if the contract has one, must be a daily rate above 0 and at most 0.1 %."
            )
        )
    if not Decimal(0) <= late_charge_cap <= Decimal(1):
        raise DomainError(N_("The late charge cap must be between 0 and 1 of the unpaid amount."))
    if await session.get(Compound, compound_id) is None:
        raise NotFound(N_("That compound does not exist."))
    for old in (await session.exec(select(FeeSchedule).where(FeeSchedule.compound_id == compound_id,
                                                             FeeSchedule.name == name, FeeSchedule.active))).all():  # fmt: skip
        old.active = False
    schedule = FeeSchedule(
        compound_id=compound_id, name=name, price_per_m2=price_per_m2, period=period, due_day=due_day,
        subsidy_share=subsidy_share, late_charge_daily_rate=late_charge_daily_rate,
        late_charge_cap=late_charge_cap, starts_on=starts_on, created_at=now,
    )  # fmt: skip
    session.add(schedule)
    await session.flush()
    audit.record(session, at=now, actor_id=actor.resident_id if actor else None, action="fee.schedule",
                 subject_type="compound", subject_id=compound_id, price=str(price_per_m2), period=period)  # fmt: skip
    return schedule


async def schedules(session: AsyncSession, compound_id: int) -> list[FeeSchedule]:
    return list(
        (await session.exec(select(FeeSchedule).where(FeeSchedule.compound_id == compound_id, FeeSchedule.active)
                            .order_by(FeeSchedule.id))).all()
    )  # fmt: skip


# --- bills ----------------------------------------------------------------------------------------
async def generate_bills(
    session: AsyncSession, *, today: date, now: datetime, compound_ids: Iterable[int] | None = None
) -> int:
    """Each active schedule's bills for every period up to today's, for every household with an
    area: exactly once per (schedule, household, period), however often this runs. Then any
    credit the households hold pays the new bills."""
    statement = select(FeeSchedule).where(FeeSchedule.active).where(FeeSchedule.starts_on <= today)
    if compound_ids is not None:
        statement = statement.where(col(FeeSchedule.compound_id).in_(list(compound_ids)))
    created = 0
    for schedule in (await session.exec(statement)).all():
        months = MONTHS[BillingPeriod(schedule.period)]
        homes = (
            await session.exec(
                select(Household.id, Household.registered_area, Household.surveyed_area, Household.contract_area)
                .where(Household.compound_id == schedule.compound_id)
            )
        ).all()  # fmt: skip
        price, share = Decimal(schedule.price_per_m2), Decimal(schedule.subsidy_share)
        for start in period_starts(schedule, today):
            end = add_months(start, months) - timedelta(days=1)
            due = start.replace(day=schedule.due_day)
            rows: list[dict[str, Any]] = []
            for home_id, registered, surveyed, contract in homes:
                area = next((a for a in (registered, surveyed, contract) if a is not None), None)
                if not area:
                    continue
                gross, subsidy, owed = bill_amounts(Decimal(area), price, months, share)
                rows.append({
                    "schedule_id": schedule.id, "household_id": home_id, "compound_id": schedule.compound_id,
                    "period_start": start, "period_end": end, "months": months, "area": area,
                    "price_per_m2": price, "gross": gross, "subsidy": subsidy, "amount": owed, "paid": ZERO,
                    "paid_off": owed == 0, "due_date": due, "created_at": now,
                })  # fmt: skip
                if len(rows) >= CHUNK * 5:  # in slices, so memory stays flat for a whole city
                    created += await insert_many(session, Bill, rows, skip_conflicts_on=BILL_KEY)
                    rows = []
            created += await insert_many(session, Bill, rows, skip_conflicts_on=BILL_KEY)
    if created:
        credited = (
            await session.exec(
                select(Payment.household_id).where(Payment.unallocated > 0).distinct()
            )
        ).all()
        for household_id in credited:
            await allocate(session, household_id)
    return created


@dataclass(frozen=True)
class OpenBill:
    bill: Bill
    remaining: Decimal
    late_charge: (
        Decimal  # accrued under the contract's late-charge term, if any (shown, not billed)
    )


def late_charge(bill: Bill, schedule: FeeSchedule | None, today: date) -> Decimal:
    """Only with a contract term: remaining × daily rate × days overdue, at most the cap × remaining."""
    remaining = Decimal(bill.amount) - Decimal(bill.paid)
    if (
        schedule is None
        or schedule.late_charge_daily_rate is None
        or today <= bill.due_date
        or remaining <= 0
    ):
        return ZERO
    days = (today - bill.due_date).days
    return fen(
        min(
            remaining * Decimal(schedule.late_charge_daily_rate) * days,
            remaining * Decimal(schedule.late_charge_cap),
        )
    )


async def open_bills(session: AsyncSession, household_id: int, today: date) -> list[OpenBill]:
    rows = (
        await session.exec(
            select(Bill, FeeSchedule).join(FeeSchedule, FeeSchedule.id == Bill.schedule_id)
            .where(Bill.household_id == household_id, (Bill.paid_off == false()))
            .order_by(Bill.due_date, Bill.id)
        )
    ).all()  # fmt: skip
    return [
        OpenBill(b, Decimal(b.amount) - Decimal(b.paid), late_charge(b, s, today)) for b, s in rows
    ]


async def credit(session: AsyncSession, household_id: int) -> Decimal:
    amounts = (await session.exec(select(Payment.unallocated).where(Payment.household_id == household_id, Payment.unallocated > 0))).all()  # fmt: skip
    return sum((Decimal(a) for a in amounts), ZERO)


async def monthly_fee(session: AsyncSession, household: Household) -> Decimal:
    """What the household owes per month under the active schedules (after subsidies)."""
    total = ZERO
    for schedule in await schedules(session, household.compound_id):
        _gross, _subsidy, owed = bill_amounts(
            household.area or ZERO,
            Decimal(schedule.price_per_m2),
            1,
            Decimal(schedule.subsidy_share),
        )
        total += owed
    return total


async def allocate(session: AsyncSession, household_id: int) -> list[int]:
    """Pay open bills, oldest due first, from the household's unallocated payments, oldest first.
    Returns the ids of bills paid off."""
    payments = list((await session.exec(
        select(Payment).where(Payment.household_id == household_id, Payment.unallocated > 0)
        .order_by(Payment.paid_on, Payment.id)
    )).all())  # fmt: skip
    if not payments:
        return []
    statement = (
        select(Bill)
        .where(Bill.household_id == household_id, (Bill.paid_off == false()))
        .order_by(Bill.due_date, Bill.id)
    )
    if session.bind.dialect.name == "postgresql":
        statement = statement.with_for_update()
    paid_off = []
    for bill in (await session.exec(statement)).all():
        for payment in payments:
            remaining = Decimal(bill.amount) - Decimal(bill.paid)
            available = Decimal(payment.unallocated)
            if remaining <= 0:
                break
            if available <= 0:
                continue
            share = min(remaining, available)
            payment.unallocated = available - share
            bill.paid = Decimal(bill.paid) + share
            session.add(PaymentAllocation(payment_id=payment.id, bill_id=bill.id, amount=share))
        if Decimal(bill.amount) - Decimal(bill.paid) <= 0:
            bill.paid_off = True
            paid_off.append(bill.id)
    await session.flush()
    return paid_off


@dataclass(frozen=True)
class Booking:
    payment: Payment
    new: bool  # False: this reference was already booked (a repeat), nothing changed
    paid_off: list[int]
    outstanding: Decimal
    credit: Decimal


async def record_payment(
    session: AsyncSession, actor: Actor | None, *, household_id: int, amount: Decimal, method: str,
    reference: str, paid_on: date, now: datetime,
) -> Booking:  # fmt: skip
    """Book money for a household: oldest bills first, the rest as credit for coming bills, but
    never more than 12 months in advance. The same (method, reference) is booked once."""
    household = await session.get(Household, household_id)
    if household is None:
        raise NotFound(N_("That home does not exist."))
    if actor is not None and method != PaymentMethod.TELEGRAM:
        await require_role(session, actor, household.compound_id, STAFF_ROLES,
                           N_("Only property staff of this compound can record payments."))  # fmt: skip
    amount = fen(Decimal(amount))
    if amount <= 0:
        raise DomainError(N_("A payment must be more than zero."))
    existing = (await session.exec(select(Payment).where(Payment.method == method, Payment.reference == reference))).first()  # fmt: skip
    if existing is not None:
        return Booking(
            existing,
            False,
            [],
            await outstanding(session, household_id),
            await credit(session, household_id),
        )
    owed = await outstanding(session, household_id)
    excess = amount - owed + await credit(session, household_id)
    limit = PREPAY_MONTHS * await monthly_fee(session, household)
    if excess > limit and method != PaymentMethod.TELEGRAM:  # money taken online is booked anyway
        raise DomainError(
            N_("That is more than the open bills plus 12 months in advance ({limit}); please take at most {most}."),
            limit=str(limit), most=str(max(ZERO, amount - (excess - limit))),
        )  # fmt: skip
    payment = Payment(household_id=household_id, amount=amount, unallocated=amount, method=method,
                      reference=reference[:120], paid_on=paid_on, recorded_by=actor.resident_id if actor else None,
                      created_at=now)  # fmt: skip
    session.add(payment)
    await session.flush()
    paid_off = await allocate(session, household_id)
    await cancel_reminders(session, household_id)
    audit.record(session, at=now, actor_id=actor.resident_id if actor else None, action="fee.payment",
                 subject_type="household", subject_id=household_id, amount=str(amount), method=method)  # fmt: skip
    return Booking(
        payment,
        True,
        paid_off,
        await outstanding(session, household_id),
        await credit(session, household_id),
    )


async def outstanding(session: AsyncSession, household_id: int) -> Decimal:
    rows = (await session.exec(select(Bill.amount, Bill.paid).where(Bill.household_id == household_id, (Bill.paid_off == false())))).all()  # fmt: skip
    return sum((Decimal(a) - Decimal(p) for a, p in rows), ZERO)


async def cancel_reminders(session: AsyncSession, household_id: int) -> int:
    """A payment (or a resident's "I have paid") withdraws the household's fee reminders not sent yet."""
    result = await session.exec(
        update(OutboxMessage)
        .where(OutboxMessage.household_id == household_id)
        .where(col(OutboxMessage.purpose).startswith("fee-remind:"))
        .where(OutboxMessage.status == OutboxStatus.QUEUED)
        .values(status=OutboxStatus.CANCELLED)
    )
    return result.rowcount


# --- what residents see ---------------------------------------------------------------------------
async def bill_households(session: AsyncSession, actor: Actor) -> list[int]:
    """Homes whose bills this person may see: owners always; tenants and family if the owners allow."""
    ids = []
    for tie in actor.households:
        if tie.is_owner:
            ids.append(tie.household_id)
        else:
            household = await session.get(Household, tie.household_id)
            if household is not None and household.tenants_see_bills:
                ids.append(tie.household_id)
    return ids


async def bill_recipients(session: AsyncSession, household: Household) -> list[Resident]:
    """Reachable people who see this home's bills: owners, and tenants and family if allowed."""
    kinds = [MembershipKind.OWNER, MembershipKind.CO_OWNER]
    if household.tenants_see_bills:
        kinds += [MembershipKind.TENANT, MembershipKind.FAMILY]
    return list((await session.exec(
        select(Resident).join(Membership, Membership.resident_id == Resident.id)
        .where(Membership.household_id == household.id, col(Membership.kind).in_(kinds))
        .where(col(Resident.telegram_id).is_not(None), col(Resident.consent_at).is_not(None))
        .order_by(Resident.id)
    )).all())  # fmt: skip


async def history(
    session: AsyncSession, household_id: int, limit: int = 6
) -> tuple[list[Bill], list[Payment]]:
    bills = list((await session.exec(select(Bill).where(Bill.household_id == household_id, (Bill.paid_off == true()))
                                     .order_by(col(Bill.due_date).desc()).limit(limit))).all())  # fmt: skip
    payments = list((await session.exec(select(Payment).where(Payment.household_id == household_id)
                                        .order_by(col(Payment.paid_on).desc(), col(Payment.id).desc()).limit(limit))).all())  # fmt: skip
    return bills, payments


async def set_tenants_see_bills(
    session: AsyncSession, actor: Actor, household_id: int, allowed: bool
) -> None:
    if household_id not in {t.household_id for t in actor.households if t.is_owner}:
        raise NotAllowed(N_("Only the owners of this home can decide that."))
    household = await session.get(Household, household_id)
    household.tenants_see_bills = allowed


# --- staff and officers -------------------------------------------------------------------------
@dataclass(frozen=True)
class Arrear:
    household_id: int
    building: str
    label: str
    owner_name: str
    bills: int
    amount: Decimal
    oldest_due: date


async def arrears(session: AsyncSession, compound_id: int, today: date) -> list[Arrear]:
    """Households with bills past due and not paid, by building, largest first within it."""
    rows = (
        await session.exec(
            select(Bill.household_id, Bill.amount, Bill.paid, Bill.due_date, Building.name, Household.unit,
                   Household.room, Household.owner_name)
            .join(Household, Household.id == Bill.household_id)
            .join(Building, Building.id == Household.building_id)
            .where(Bill.compound_id == compound_id, (Bill.paid_off == false()), Bill.due_date < today)
        )
    ).all()  # fmt: skip
    grouped: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        grouped[row[0]].append(row)
    found = [
        Arrear(hid, items[0][4], household_label(items[0][4], items[0][5], items[0][6]), items[0][7] or "",
               len(items), sum((Decimal(i[1]) - Decimal(i[2]) for i in items), ZERO), min(i[3] for i in items))
        for hid, items in grouped.items()
    ]  # fmt: skip
    return sorted(found, key=lambda a: (a.building, -a.amount, a.label))


@dataclass(frozen=True)
class CollectionRate:
    """DOMAIN §4: amount paid / amount billed for bills due in the period; and households fully
    paid / households billed. Each with numerator and denominator."""

    billed: Decimal
    paid: Decimal
    households_billed: int
    households_paid: int

    @property
    def rate(self) -> Decimal | None:
        return self.paid / self.billed if self.billed else None


async def collection_rate(
    session: AsyncSession, compound_id: int, start: date, end: date
) -> CollectionRate:
    rows = (await session.exec(
        select(Bill.household_id, Bill.amount, Bill.paid)
        .where(Bill.compound_id == compound_id, Bill.due_date >= start, Bill.due_date <= end)
    )).all()  # fmt: skip
    owed: dict[int, Decimal] = defaultdict(lambda: ZERO)
    paid = ZERO
    billed = ZERO
    for household_id, amount, paid_amount in rows:
        billed += Decimal(amount)
        paid += Decimal(paid_amount)
        owed[household_id] += Decimal(amount) - Decimal(paid_amount)
    return CollectionRate(billed, paid, len(owed), sum(1 for v in owed.values() if v <= 0))


# --- reminders ---------------------------------------------------------------------------------------
# render(language, bills: list[(period_start, period_end, remaining, due_date)], offset) -> payload
ReminderRenderer = Callable[[str, list[tuple[date, date, Decimal, date]], int], dict[str, Any]]


async def queue_reminders(
    session: AsyncSession, *, today: date, now: datetime, tz: ZoneInfo, quiet: QuietHours | None,
    render: ReminderRenderer, offsets: Iterable[int] = REMINDER_OFFSETS,
) -> int:  # fmt: skip
    """For each offset, open bills whose reminder day has come (within a short catch-up window)
    and that were not handled for it: at most one reminder per household per week (a second
    one that week is recorded as skipped), to owners, and to tenants where the owners allow."""
    # "One per week" by calendar days: reminded on the 8th, the next may go on the 15th.
    week_ago = datetime.combine(today - timedelta(days=6), time(0), tzinfo=tz)
    recent = set((await session.exec(
        select(FeeReminder.household_id).where((FeeReminder.sent == true()), FeeReminder.handled_at > week_ago).distinct()
    )).all())  # fmt: skip
    # A home that said "I have paid" is not reminded while the office checks (the offset counts
    # as handled, not sent).
    recent |= set((await session.exec(
        select(PaymentClaim.household_id).where(PaymentClaim.status == ClaimStatus.PENDING)
    )).all())  # fmt: skip
    due: dict[int, list[tuple[Any, int]]] = defaultdict(list)
    for offset in sorted(set(offsets), reverse=True):  # the latest offset first: it speaks for all
        latest = today - timedelta(days=offset)
        rows = (await session.exec(
            select(Bill.id, Bill.household_id, Bill.period_start, Bill.period_end, Bill.amount, Bill.paid, Bill.due_date)
            .where(Bill.paid_off == false())
            .where(Bill.due_date <= latest, Bill.due_date > latest - timedelta(days=CATCH_UP_DAYS))
            .where(~exists().where(FeeReminder.bill_id == Bill.id, FeeReminder.offset_days == offset))
        )).all()  # fmt: skip
        for row in rows:
            due[row[1]].append((row, offset))
    queued = 0
    household_ids = list(due)
    for index in range(0, len(household_ids), CHUNK):  # in slices, so memory stays flat
        chunk = household_ids[index : index + CHUNK]
        queued += await _remind_households(session, {h: due[h] for h in chunk}, recent, today=today,
                                           now=now, quiet=quiet, render=render)  # fmt: skip
    return queued


async def _remind_households(
    session: AsyncSession, due: dict[int, list[tuple[Any, int]]], recent: set[int], *, today: date,
    now: datetime, quiet: QuietHours | None, render: ReminderRenderer,
) -> int:  # fmt: skip
    people: dict[int, list[tuple[int, int, str | None]]] = defaultdict(list)
    for household_id, resident_id, chat_id, language, kind, tenants_allowed in await session.exec(
        select(Membership.household_id, Resident.id, Resident.telegram_id, Resident.language, Membership.kind,
               Household.tenants_see_bills)
        .join(Resident, Resident.id == Membership.resident_id)
        .join(Household, Household.id == Membership.household_id)
        .where(col(Membership.household_id).in_(list(due)))
        .where(col(Resident.telegram_id).is_not(None), col(Resident.consent_at).is_not(None))
    ):  # fmt: skip
        if kind in (MembershipKind.OWNER, MembershipKind.CO_OWNER) or tenants_allowed:
            people[household_id].append((resident_id, chat_id, language))
    handled: list[dict[str, Any]] = []
    messages: list[Outgoing] = []
    for household_id, items in due.items():
        send = household_id not in recent and bool(people.get(household_id))
        seen: set[int] = set()
        bills = []
        for row, offset in items:
            handled.append({"bill_id": row[0], "offset_days": offset, "household_id": household_id,
                            "sent": send, "handled_at": now})  # fmt: skip
            if row[0] not in seen:
                seen.add(row[0])
                bills.append((row[2], row[3], Decimal(row[4]) - Decimal(row[5]), row[6]))
        if not send:
            continue
        offset = items[0][1]
        for resident_id, chat_id, language in people[household_id]:
            messages.append(Outgoing(chat_id=chat_id, payload=render(language or "", bills, offset),
                                     resident_id=resident_id, household_id=household_id,
                                     recipient_key=f"{household_id}:{resident_id}"))  # fmt: skip
    await insert_many(session, FeeReminder, handled, skip_conflicts_on=["bill_id", "offset_days"])
    return await outbox.enqueue(
        session, f"fee-remind:{today.isoformat()}", messages, now=now, quiet=quiet
    )
