"""Booking a bank statement (CSV or XLSX): each row is matched to one home by its room text or the
transfer memo; rows that match no home or several, or carry a bad amount or date, are reported
and not booked; a reference already booked is skipped, so importing the same file twice books
nothing twice. A reference whose payment was reversed (booked on the wrong home, say) is not
booked again either: it is reported, for the office to book at the desk on the right home."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_
from models import Household, PaymentMethod, pk
from services import billing, payments
from services.errors import DomainError
from services.places import match_households
from services.receipts import receipt_label
from services.roster import read_table

COLUMNS = {
    "amount": ("amount", "金额", "交易金额", "收入金额"),
    "reference": ("reference", "流水号", "交易流水号", "凭证号"),
    "home": ("home", "房号", "房屋", "户号"),
    "memo": ("memo", "备注", "附言", "摘要"),
    "date": ("date", "日期", "交易日期", "记账日期"),
}
# "1栋1单元101", "1号楼2单元1201", "3-2-1201" inside a memo
_MEMO_HOME = re.compile(r"(\d+)\s*(?:栋|号楼|幢|-)\s*(?:(\d+)\s*(?:单元|-)\s*)?(\d{3,4})")


@dataclass
class ImportReport:
    booked: list[tuple[int, str, Decimal]] = field(
        default_factory=list
    )  # (row, home label, amount)
    already: list[int] = field(default_factory=list)
    reversed: list[tuple[int, str]] = field(default_factory=list)  # (row, receipt number)
    receipts: list[str] = field(default_factory=list)  # of the payments booked, in row order
    unmatched: list[tuple[int, str]] = field(default_factory=list)
    ambiguous: list[tuple[int, str]] = field(default_factory=list)
    invalid: list[tuple[int, DomainError]] = field(default_factory=list)  # (row, why)

    @property
    def total(self) -> Decimal:
        return sum((amount for _row, _label, amount in self.booked), Decimal(0))


def _column(row: dict[str, str], name: str) -> str:
    return next((row[key] for key in COLUMNS[name] if row.get(key)), "")


def _date(text: str, today: date) -> date:
    if not text:
        return today
    for pattern in ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(text.strip(), pattern).date()
        except ValueError:
            continue
    raise DomainError(N_("“{text}” is not a date (use YYYY-MM-DD)."), text=text[:20])


async def _homes(
    session: AsyncSession, compound_ids: list[int], row: dict[str, str]
) -> list[Household]:
    home, memo = _column(row, "home"), _column(row, "memo")
    if home:
        return await match_households(session, compound_ids, home)
    found = _MEMO_HOME.search(memo)
    if not found:  # the memo may be the home itself, e.g. "3-2-1201" or just a room "101"
        return await match_households(session, compound_ids, memo)
    building, unit, room = found.groups()
    return await match_households(
        session, compound_ids, " ".join(p for p in (building, unit, room) if p)
    )


async def import_payments(
    session: AsyncSession, path: Path, compound_ids: list[int], *, today: date, now: datetime
) -> ImportReport:
    report = ImportReport()
    rows = list(read_table(path))
    if rows and not any(key in rows[0] for key in COLUMNS["amount"]):
        raise DomainError(N_("The file needs an amount column (amount or 金额)."))
    for number, row in enumerate(rows, start=2):  # row 1 is the header
        reference = _column(row, "reference")
        if not reference:
            report.invalid.append((number, DomainError(N_("No reference (流水号) in this row."))))
            continue
        try:
            amount = billing.parse_money(_column(row, "amount"))
            paid_on = _date(_column(row, "date"), today)
        except DomainError as error:
            report.invalid.append((number, error))
            continue
        homes = await _homes(session, compound_ids, row)
        text = _column(row, "home") or _column(row, "memo")
        if not homes:
            report.unmatched.append((number, text))
            continue
        if len(homes) > 1:
            report.ambiguous.append((number, text))
            continue
        try:  # refusals (the 12-month limit) come before anything is written
            booking = await payments.record_payment(
                session,
                None,
                household_id=pk(homes[0]),
                amount=amount,
                method=PaymentMethod.BANK,
                reference=reference,
                paid_on=paid_on,
                now=now,
            )
        except DomainError as error:
            report.invalid.append((number, error))
            continue
        if booking.new:
            report.booked.append((number, text, amount))
            report.receipts.append(receipt_label(booking.payment.receipt_no))
        elif booking.payment.reversed_at is not None:
            report.reversed.append((number, receipt_label(booking.payment.receipt_no)))
        else:
            report.already.append(number)
    return report
