"""The office's review of bank statement rows that matched no home or several (/statement): each
is booked on the home the staff pick or type — as a bank payment with the bank's reference, so
a later import of the same statement books nothing twice — or dismissed as no fee payment.
Only the first answer counts: a double tap or a colleague's answer finds the row decided."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_
from models import Household, PaymentMethod, StatementRow, StatementRowStatus
from services import audit, drafts, payments
from services.actors import Actor
from services.drafts import Draft
from services.errors import DomainError, NotAllowed, NotFound
from services.places import find_household, household_labels
from services.policy import Permission, authorize, compound_ids, rule

SHOWN = 10


@dataclass(frozen=True)
class Waiting:
    row: StatementRow
    candidates: list[tuple[int, str]]  # (household id, label)


@dataclass(frozen=True)
class Reviewed:
    row: StatementRow
    already: bool  # decided before (a double tap, or a colleague)
    booking: payments.Booking | None = None


async def waiting(
    session: AsyncSession, actor: Actor, *, now: datetime
) -> tuple[list[Waiting], int]:
    """The oldest rows waiting in this person's compounds (at most SHOWN), and how many wait;
    the payers' names and the candidate homes shown are audited as a read of personal data."""
    compounds = await compound_ids(session, actor, Permission.FEES_RECORD_PAYMENT)
    if not compounds:
        raise NotAllowed(rule(Permission.FEES_RECORD_PAYMENT).refusal)
    pending = (
        col(StatementRow.compound_id).in_(compounds),
        col(StatementRow.status) == StatementRowStatus.PENDING,
    )
    count = (await session.exec(select(func.count()).where(*pending))).one()
    rows = (
        await session.exec(
            select(StatementRow)
            .where(*pending)
            .order_by(col(StatementRow.paid_on), col(StatementRow.id))
            .limit(SHOWN)
        )
    ).all()
    labels = await household_labels(session, [h for r in rows for h in r.candidates])
    shown = [Waiting(r, [(h, labels[h]) for h in r.candidates if h in labels]) for r in rows]
    for compound_id in sorted({r.compound_id for r in rows}):
        await audit.record_read(
            session,
            at=now,
            actor_id=actor.resident_id,
            what="statement_rows",
            subject_type="compound",
            subject_id=compound_id,
            compound_id=compound_id,
            households=[h for r in rows if r.compound_id == compound_id for h in r.candidates],
            rows=[r.id for r in rows if r.compound_id == compound_id],
        )
    return shown, count


async def _row(session: AsyncSession, actor: Actor, row_id: int) -> StatementRow:
    row = await session.get(StatementRow, row_id)
    if row is None:
        raise NotFound(N_("That statement row does not exist."))
    await authorize(session, actor, Permission.FEES_RECORD_PAYMENT, row.compound_id)
    return row


async def _decide(
    session: AsyncSession, actor: Actor, row: StatementRow, status: str, *, now: datetime
) -> bool:
    """Mark the row decided, if no one did before; True when this answer is the first."""
    changed = await session.exec(
        sa.update(StatementRow)
        .where(col(StatementRow.id) == row.id)
        .where(col(StatementRow.status) == StatementRowStatus.PENDING)
        .values(status=status, decided_by=actor.resident_id, decided_at=now)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(row)
    return changed.rowcount == 1


async def book(
    session: AsyncSession, actor: Actor, row_id: int, household_id: int, *, now: datetime
) -> Reviewed:
    """Book the row's money on this home of the row's compound (once), with a receipt."""
    row = await _row(session, actor, row_id)
    household = await session.get(Household, household_id)
    if household is None or household.compound_id != row.compound_id:
        raise NotFound(N_("That home is not in this statement's compound."))
    if not await _decide(session, actor, row, StatementRowStatus.BOOKED, now=now):
        return Reviewed(row, already=True)
    booking = await payments.record_payment(
        session,
        actor,
        household_id=household_id,
        amount=Decimal(row.amount),
        method=PaymentMethod.BANK,
        reference=row.reference,
        paid_on=row.paid_on,
        now=now,
    )
    row.payment_id = booking.payment.id
    _audit(session, actor, row, now=now, household_id=household_id)
    return Reviewed(row, already=False, booking=booking)


async def dismiss(session: AsyncSession, actor: Actor, row_id: int, *, now: datetime) -> Reviewed:
    """Not a fee payment (a refund, a deposit, a transfer between accounts): never booked."""
    row = await _row(session, actor, row_id)
    if not await _decide(session, actor, row, StatementRowStatus.DISMISSED, now=now):
        return Reviewed(row, already=True)
    _audit(session, actor, row, now=now)
    return Reviewed(row, already=False)


async def booked_label(session: AsyncSession, row: StatementRow) -> str:
    """The home a decided row was booked on ("" when it was dismissed)."""
    if row.payment_id is None:
        return ""
    from models import Payment

    payment = await session.get(Payment, row.payment_id)
    if payment is None:
        return ""
    return (await household_labels(session, [payment.household_id]))[payment.household_id]


def _audit(
    session: AsyncSession,
    actor: Actor,
    row: StatementRow,
    *,
    now: datetime,
    household_id: int | None = None,
) -> None:
    audit.record(
        session,
        at=now,
        actor_id=actor.resident_id,
        action=f"statement_row.{StatementRowStatus(row.status).value}",
        subject_type="compound",
        subject_id=row.compound_id,
        row_id=row.id,
        reference=row.reference,
        household_id=household_id,
    )


# --- "type the home" --------------------------------------------------------------------------
class ReviewStep(StrEnum):
    HOME = "home"


class ReviewDraft(Draft, flow="statement", steps=ReviewStep):
    row_id: int


async def start_typing(
    session: AsyncSession, actor: Actor, row_id: int, *, now: datetime
) -> StatementRow:
    """ "Type the home": the row, still waiting, for the typed home to come."""
    row = await _row(session, actor, row_id)
    if row.status != StatementRowStatus.PENDING:
        raise DomainError(
            N_("This transfer has been answered already; /statement shows the others.")
        )
    await drafts.begin(session, actor, ReviewDraft(step=ReviewStep.HOME, row_id=row_id), now=now)
    return row


async def typed_home(session: AsyncSession, actor: Actor, text: str, *, now: datetime) -> Reviewed:
    """The typed home (1栋 1单元 101, 1-1-101) of the row's compound: booked on it."""
    draft = await drafts.load(session, actor, ReviewDraft, ReviewStep.HOME)
    reviewed = await book_typed(session, actor, draft.row_id, text, now=now)
    await drafts.finish(session, actor, ReviewDraft)
    return reviewed


async def book_typed(
    session: AsyncSession, actor: Actor, row_id: int, text: str, *, now: datetime
) -> Reviewed:
    """Book the row on the home typed (1栋 1单元 101, 1-1-101) of the row's compound."""
    row = await _row(session, actor, row_id)
    home = await find_household(session, [row.compound_id], text)
    return await book(session, actor, row.id or 0, home.id or 0, now=now)
