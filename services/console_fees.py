"""The office console's fees: a bank statement uploaded in the browser, read and booked as
`admin import-payments` books it (the same readers, file limits and matching), by a clerk who
may record payments in the statement's compound; the rows that matched no home or several wait
for the same review as the bot's /statement (services/statement_review.py). Arrears and the
collection rate are services/fee_reports.py."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_
from models import Bill, Compound, FeeSchedule, Payment, StatementRow, StatementRowStatus
from services import audit, billing, fee_reports, fee_schedules, payments, reversals
from services.actors import Actor
from services.bank_statements import Statement, read_statement
from services.errors import BadInput, DomainError, NotAllowed, NotFound
from services.fee_claims import compound_of_account
from services.fee_flows import STAFF_METHODS
from services.fee_reports import ArrearsReport
from services.file_limits import FileLimits
from services.payment_import import ImportReport, book_statement, statement_compound
from services.places import find_household, household_labels
from services.policy import Permission, authorize, compounds, rule
from services.receipts import receipt_label
from services.reversals import HomePayments

NO_COMPOUND = N_("That compound does not exist.")
OTHER_ACCOUNT = N_(
    "The statement is of account {account}, which is the payment account of {compound}, not "
    "of the compound chosen; nothing was booked."
)


async def statement_compounds(session: AsyncSession, actor: Actor) -> list[Compound]:
    """The compounds whose statements this person may book (staff and administrators)."""
    found = await compounds(session, actor, Permission.FEES_RECORD_PAYMENT)
    if not found:
        raise NotAllowed(rule(Permission.FEES_RECORD_PAYMENT).refusal)
    return found


async def may_book(session: AsyncSession, actor: Actor, compound_id: int | None) -> None:
    """Refuse at once someone who may not book statements (there, or anywhere)."""
    await statement_compounds(session, actor)
    if compound_id is not None:
        if await session.get(Compound, compound_id) is None:
            raise NotFound(NO_COMPOUND)
        await authorize(session, actor, Permission.FEES_RECORD_PAYMENT, compound_id)


@dataclass
class ImportSummary:
    """What an import did so far, in plain values (a statement is booked in parts)."""

    compound: str
    account: str
    booked: list[tuple[int, str, Decimal]] = field(default_factory=list)
    receipts: list[str] = field(default_factory=list)
    already: int = 0
    unmatched: list[tuple[int, str]] = field(default_factory=list)
    ambiguous: list[tuple[int, str]] = field(default_factory=list)
    waiting: int = 0
    dismissed: int = 0
    reversed: list[tuple[int, str]] = field(default_factory=list)
    invalid: list[tuple[int, DomainError]] = field(default_factory=list)
    outgoing: int = 0

    def add(self, report: ImportReport) -> None:
        """One part's report, once its unit of work has committed."""
        self.booked += report.booked
        self.receipts += report.receipts
        self.already += len(report.already)
        self.unmatched += report.unmatched
        self.ambiguous += report.ambiguous
        self.waiting += len(report.waiting)
        self.dismissed += len(report.dismissed)
        self.reversed += report.reversed
        self.invalid = sorted(self.invalid + report.invalid, key=lambda item: item[0])

    @property
    def total(self) -> Decimal:
        return sum((amount for _row, _label, amount in self.booked), Decimal(0))

    @property
    def to_review(self) -> int:
        return len(self.unmatched) + len(self.ambiguous) + self.waiting


@dataclass(frozen=True)
class Prepared:
    """A statement read and its compound chosen, to be booked part by part."""

    statement: Statement
    compound_id: int
    compound: str

    @property
    def size(self) -> int:
        return len(self.statement.transfers)

    def summary(self) -> ImportSummary:
        statement = self.statement
        return ImportSummary(
            self.compound,
            statement.account,
            invalid=list(statement.invalid),
            outgoing=statement.outgoing,
        )


async def prepare_statement(
    session: AsyncSession,
    actor: Actor,
    data: bytes,
    filename: str,
    compound_id: int | None,
    *,
    today: date,
    limits: FileLimits,
) -> Prepared:
    """Read the uploaded statement (the readers and limits of `admin import-payments`) and
    choose its compound: the one chosen (where the person may record payments, and not another
    compound's account), else the one whose payment account the statement is of."""
    allowed = {c.id: c for c in await statement_compounds(session, actor)}
    limits.check_size(len(data))
    statement = await asyncio.to_thread(read_statement, data, filename, today=today, limits=limits)
    named: Compound | None = None
    if compound_id is not None:
        named = allowed.get(compound_id) or await session.get(Compound, compound_id)
        if named is None:
            raise NotFound(NO_COMPOUND)
        await authorize(session, actor, Permission.FEES_RECORD_PAYMENT, compound_id)
        owner = await compound_of_account(session, statement.account) if statement.account else None
        if owner is not None and owner != compound_id:
            other = await session.get(Compound, owner)
            raise DomainError(
                OTHER_ACCOUNT, account=statement.account[:40], compound=other.name if other else ""
            )
    elif len(allowed) == 1 and not statement.account:
        named = next(iter(allowed.values()))
    chosen = await statement_compound(session, statement, named)
    await authorize(session, actor, Permission.FEES_RECORD_PAYMENT, chosen.id or 0)
    return Prepared(statement, chosen.id or 0, chosen.name)


async def book_part(
    session: AsyncSession,
    actor: Actor,
    prepared: Prepared,
    start: int,
    end: int,
    *,
    now: datetime,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Book the statement's transfers [start, end) as `admin import-payments` books them: a
    reference booked before (also in an earlier part) is never booked twice."""
    compound = await session.get(Compound, prepared.compound_id)
    if compound is None:
        raise NotFound(NO_COMPOUND)
    await authorize(session, actor, Permission.FEES_RECORD_PAYMENT, prepared.compound_id)
    part = Statement(prepared.statement.account, prepared.statement.transfers[start:end])

    def moved(done: int, _total: int) -> None:
        if progress is not None:
            progress(start + done, prepared.size)

    return await book_statement(session, part, compound, now=now, actor=actor, progress=moved)


@dataclass(frozen=True)
class Answered:
    row: StatementRow
    home: str  # the home it was booked on ("" when set aside)
    receipt: str  # the receipt number of its payment ("" when set aside)


async def answered(session: AsyncSession, actor: Actor, row_id: int) -> Answered:
    """A row as it was decided, for the page shown after the answer."""
    row = await session.get(StatementRow, row_id)
    if row is None:
        raise NotFound(N_("That statement row does not exist."))
    await authorize(session, actor, Permission.FEES_RECORD_PAYMENT, row.compound_id)
    if row.status != StatementRowStatus.BOOKED or row.payment_id is None:
        return Answered(row, "", "")
    payment = await session.get(Payment, row.payment_id)
    if payment is None:
        return Answered(row, "", "")
    label = (await household_labels(session, [payment.household_id]))[payment.household_id]
    return Answered(row, label, receipt_label(payment.receipt_no))


# --- arrears and the collection rate ---------------------------------------------------------
@dataclass(frozen=True)
class BuildingArrears:
    building: str
    homes: int
    amount: Decimal


@dataclass(frozen=True)
class ArrearsPage:
    compounds: list[Compound]  # where the person may read arrears, by name
    report: ArrearsReport
    buildings: list[BuildingArrears]

    @property
    def total(self) -> Decimal:
        return sum((b.amount for b in self.buildings), Decimal(0))


async def arrears_page(
    session: AsyncSession,
    actor: Actor,
    compound_id: int | None,
    month: str,
    *,
    today: date,
    now: datetime,
) -> ArrearsPage:
    """/arrears in the console: the compound asked for (else the first by name), what is
    overdue today by building and by home, and the collection rate of bills due in `month`."""
    found = await fee_reports.report_compounds(session, actor, month)
    if not found:
        raise NotAllowed(rule(Permission.FEES_REPORT).refusal)
    chosen = compound_id if compound_id is not None else found[0].id or 0
    report = await fee_reports.arrears_report(session, actor, chosen, month, today=today, now=now)
    by_building: dict[str, list[Decimal]] = {}
    for item in report.arrears:
        by_building.setdefault(item.building, []).append(item.amount)
    buildings = [
        BuildingArrears(name, len(amounts), sum(amounts, Decimal(0)))
        for name, amounts in by_building.items()
    ]
    return ArrearsPage(found, report, buildings)


# --- the desk: payments, reversals and receipts ----------------------------------------------
_DESK_REFERENCE = re.compile(r"staff:[0-9a-f]{32}")


def desk_reference() -> str:
    """A new payment form's reference: sending the form twice books it once (as the bot's
    /payment, whose draft carries one)."""
    return f"staff:{uuid.uuid4().hex}"


async def desk_home(session: AsyncSession, actor: Actor, text: str) -> HomePayments:
    """The home typed (1栋 1单元 101, 1-1-101) in the person's office compounds, with its latest
    payments and receipts, reversed ones too."""
    office = await compounds(session, actor, Permission.FEES_RECORD_PAYMENT)
    if not office:
        raise NotAllowed(rule(Permission.FEES_RECORD_PAYMENT).refusal)
    try:
        home = await find_household(session, [c.id for c in office if c.id is not None], text)
    except DomainError as error:
        raise BadInput("home", error.msgid, **error.params) from None
    return await reversals.recent_payments(session, actor, home.id or 0)


async def desk_payment(
    session: AsyncSession,
    actor: Actor,
    household_id: int,
    *,
    amount: str,
    method: str,
    reference: str,
    today: date,
    now: datetime,
) -> payments.Booking:
    """A payment taken at the office, booked as the bot's /payment books it."""
    if method not in {m.value for m in STAFF_METHODS}:
        raise BadInput("method", N_("Pick how it was paid."))
    if not _DESK_REFERENCE.fullmatch(reference):
        raise DomainError(N_("This form is out of date; open the page again."))
    try:
        money = billing.parse_money(amount)
    except DomainError as error:
        raise BadInput("amount", error.msgid, **error.params) from None
    try:
        return await payments.record_payment(
            session,
            actor,
            household_id=household_id,
            amount=money,
            method=method,
            reference=reference,
            paid_on=today,
            now=now,
        )
    except (NotAllowed, NotFound):
        raise
    except DomainError as error:  # zero, or more than 12 months ahead
        raise BadInput("amount", error.msgid, **error.params) from None


# --- fee schedules and a bill run -------------------------------------------------------------
@dataclass(frozen=True)
class CompoundFees:
    compound: Compound
    schedules: list[FeeSchedule]
    can_end: bool = False  # something is charged from today on, so the fee can be ended


@dataclass(frozen=True)
class BillRun:
    compound: str
    bills: int  # bills made by this run (0: everything due was billed already)
    homes: int
    amount: Decimal
    first: date | None  # the periods they bill
    last: date | None


async def schedules_page(
    session: AsyncSession, actor: Actor, today: date | None = None
) -> list[CompoundFees]:
    """The fees of the compounds where the person sets fees (administrators), latest first;
    with `today`, whether each compound's fee is charged from then on (so it can be ended)."""
    found = await compounds(session, actor, Permission.FEES_CONFIGURE)
    if not found:
        raise NotAllowed(rule(Permission.FEES_CONFIGURE).refusal)
    shown = await fee_schedules.listing(session, [c.id for c in found if c.id is not None])
    found_fees = []
    for compound in found:
        mine = [s for s in shown if s.compound_id == compound.id]
        can_end = today is not None and fee_schedules.charged_from(mine, today)
        found_fees.append(CompoundFees(compound, mine, can_end))
    return found_fees


@dataclass(frozen=True)
class BillPlan:
    """A bill run for one compound, to be made part by part: the homes with an area, by id."""

    compound_id: int
    compound: str
    homes: list[int]

    @property
    def size(self) -> int:
        return len(self.homes)


async def _compound_fees(session: AsyncSession, actor: Actor, compound_id: int) -> Compound:
    compound = await session.get(Compound, compound_id)
    if compound is None:
        raise NotFound(NO_COMPOUND)
    await authorize(session, actor, Permission.FEES_CONFIGURE, compound_id)
    return compound


async def plan_bill_run(session: AsyncSession, actor: Actor, compound_id: int) -> BillPlan:
    """Refuse someone who may not set this compound's fees; else the homes a bill run walks."""
    compound = await _compound_fees(session, actor, compound_id)
    homes = [home_id for home_id, _area in await billing.billable_homes(session, compound_id)]
    return BillPlan(compound_id, compound.name, homes)


async def bill_part(
    session: AsyncSession,
    actor: Actor,
    plan: BillPlan,
    start: int,
    end: int,
    *,
    today: date,
    now: datetime,
) -> int:
    """The bills of the plan's homes [start, end) for each period begun by today (the
    scheduler's rules; a bill made before, by any run, is not made again); their credit pays."""
    await _compound_fees(session, actor, plan.compound_id)
    return await billing.generate_bills(
        session,
        today=today,
        now=now,
        compound_ids=[plan.compound_id],
        households=plan.homes[start:end],
    )


async def finish_bill_run(
    session: AsyncSession, actor: Actor, plan: BillPlan, made: int, *, today: date, now: datetime
) -> BillRun:
    """The run after its parts: the scheduler's run for the compound (homes added meanwhile
    are billed; the schedules remember the periods billed), then what the run made (`made`
    by the parts), recorded in the audit trail. A second run makes no bill."""
    compound = await _compound_fees(session, actor, plan.compound_id)
    made += await billing.generate_bills(
        session, today=today, now=now, compound_ids=[plan.compound_id]
    )
    homes, amount, first, last = (
        await session.exec(
            select(
                func.count(sa.distinct(col(Bill.household_id))),
                func.coalesce(func.sum(col(Bill.amount)), 0),
                func.min(col(Bill.period_start)),
                func.max(col(Bill.period_end)),
            ).where(col(Bill.compound_id) == plan.compound_id, col(Bill.created_at) == now)
        )
    ).one()
    audit.record(
        session,
        at=now,
        actor_id=actor.resident_id,
        action="fee.bill_run",
        subject_type="compound",
        subject_id=plan.compound_id,
        bills=made,
    )
    return BillRun(compound.name, made, int(homes), Decimal(amount), first, last)
