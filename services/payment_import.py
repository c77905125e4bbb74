"""Booking a bank statement (services/bank_statements.py reads it) for the homes of one
compound: the one `--compound` names, else the one whose payment account has the statement's own
account number, else the only compound there is. Each incoming row is matched to a home by the
memo or the payer's name (services/payment_matching.py); a row that matches no home or several is
kept for the office to assign in /statement, never guessed. A reference already booked is
skipped, so importing the same file twice books nothing twice (also the rows booked in the
review). A reference whose payment was reversed (booked on the wrong home, say) is not booked
again either: it is reported, for the office to book at the desk on the right home."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_
from models import Compound, Payment, PaymentMethod, StatementRow, StatementRowStatus
from services import payments
from services.actors import Actor
from services.bank_statements import Statement, Transfer, read_statement
from services.errors import DomainError
from services.fee_claims import compound_of_account
from services.file_limits import FileLimits
from services.payment_matching import Homes
from services.receipts import receipt_label


@dataclass
class ImportReport:
    compound: Compound
    account: str = ""  # the statement's account number
    booked: list[tuple[int, str, Decimal]] = field(
        default_factory=list
    )  # (row, home label, amount)
    already: list[int] = field(default_factory=list)
    reversed: list[tuple[int, str]] = field(default_factory=list)  # (row, receipt number)
    receipts: list[str] = field(default_factory=list)  # of the payments booked, in row order
    unmatched: list[tuple[int, str]] = field(default_factory=list)  # (row, memo or payer)
    ambiguous: list[tuple[int, str]] = field(default_factory=list)
    waiting: list[int] = field(default_factory=list)  # kept for review at an earlier import
    dismissed: list[int] = field(default_factory=list)  # "not a fee payment" at the review
    invalid: list[tuple[int, DomainError]] = field(default_factory=list)  # (row, why)
    outgoing: int = 0  # 借方 / 支出 rows, not payments to the office

    @property
    def total(self) -> Decimal:
        return sum((amount for _row, _label, amount in self.booked), Decimal(0))

    @property
    def to_review(self) -> int:
        """Rows waiting for the office in /statement: new ones and those of earlier imports."""
        return len(self.unmatched) + len(self.ambiguous) + len(self.waiting)


async def statement_compound(
    session: AsyncSession, statement: Statement, named: Compound | None
) -> Compound:
    """The compound the statement is for (see the module's docstring)."""
    if named is not None:
        return named
    found = await compound_of_account(session, statement.account) if statement.account else None
    if statement.account and found is None:
        raise DomainError(
            N_(
                "The statement is of account {account}, which is no compound's payment account: "
                "set it with admin payment-code COMPOUND --account {account}, or give --compound."
            ),
            account=statement.account[:40],
        )
    if found is None:
        every = list((await session.exec(select(Compound).limit(2))).all())
        if len(every) != 1:
            raise DomainError(
                N_(
                    "The statement names no account number: give --compound, so that only "
                    "the homes of that compound are matched."
                )
            )
        return every[0]
    compound = await session.get(Compound, found)
    assert compound is not None
    return compound


async def import_payments(
    session: AsyncSession,
    path: Path,
    compound: Compound | None,
    *,
    today: date,
    now: datetime,
    limits: FileLimits | None = None,
) -> ImportReport:
    limits = limits or FileLimits()
    limits.check_size((await asyncio.to_thread(path.stat)).st_size)
    data = await asyncio.to_thread(path.read_bytes)
    statement = read_statement(data, path.name, today=today, limits=limits)
    chosen = await statement_compound(session, statement, compound)
    return await book_statement(session, statement, chosen, now=now)


async def book_statement(
    session: AsyncSession,
    statement: Statement,
    chosen: Compound,
    *,
    now: datetime,
    actor: Actor | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Book a statement already read for the homes of `chosen` (`actor`: who books it, checked
    for each home; None: the command line). `progress(done, total)` after each transfer."""
    report = ImportReport(chosen, statement.account, outgoing=statement.outgoing)
    report.invalid += statement.invalid
    homes = await Homes.of(session, chosen.id or 0)
    total = len(statement.transfers)
    for done, transfer in enumerate(statement.transfers, 1):
        if progress is not None:
            progress(done - 1, total)
        if await _seen(session, transfer, report):
            continue
        found = homes.match(transfer.home or transfer.memo, transfer.payer)
        if len(found.homes) == 1:
            await _book(session, transfer, found.homes[0], report, now=now, actor=actor)
            continue
        session.add(
            StatementRow(
                compound_id=chosen.id or 0,
                reference=transfer.reference[:120],
                amount=transfer.amount,
                paid_on=transfer.paid_on,
                payer=transfer.payer[:200],
                memo=(transfer.home or transfer.memo)[:300],
                candidates=found.homes[:8],
                imported_at=now,
            )
        )
        said = transfer.home or transfer.memo or transfer.payer
        (report.ambiguous if found.homes else report.unmatched).append((transfer.row, said))
    report.invalid.sort(key=lambda item: item[0])
    await session.flush()
    if progress is not None:
        progress(total, total)
    return report


async def _seen(session: AsyncSession, transfer: Transfer, report: ImportReport) -> bool:
    """The reference was booked, reversed, dismissed or kept for review at an earlier import."""
    reference = transfer.reference[:120]
    payment = (
        await session.exec(
            select(Payment).where(
                col(Payment.method) == PaymentMethod.BANK, col(Payment.reference) == reference
            )
        )
    ).first()
    if payment is not None:
        if payment.reversed_at is not None:
            report.reversed.append((transfer.row, receipt_label(payment.receipt_no)))
        else:
            report.already.append(transfer.row)
        return True
    kept = (
        await session.exec(select(StatementRow).where(col(StatementRow.reference) == reference))
    ).first()
    if kept is None:
        return False
    (report.dismissed if kept.status == StatementRowStatus.DISMISSED else report.waiting).append(
        transfer.row
    )
    return True


async def _book(
    session: AsyncSession,
    transfer: Transfer,
    household_id: int,
    report: ImportReport,
    *,
    now: datetime,
    actor: Actor | None = None,
) -> None:
    try:  # refusals (the 12-month limit) come before anything is written
        booking = await payments.record_payment(
            session,
            actor,
            household_id=household_id,
            amount=transfer.amount,
            method=PaymentMethod.BANK,
            reference=transfer.reference,
            paid_on=transfer.paid_on,
            now=now,
        )
    except DomainError as error:
        report.invalid.append((transfer.row, error))
        return
    report.booked.append((transfer.row, booking.label, transfer.amount))
    report.receipts.append(receipt_label(booking.payment.receipt_no))
