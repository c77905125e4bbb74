"""Property fees (物业费): schedules per compound, bills per household and period, payments and
how they were allocated, and the reminders already sent. Money is Decimal with 2 places (fen)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import enum_field, utc_field

MONEY = {"max_digits": 14, "decimal_places": 2}


class BillingPeriod(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    HALF_YEARLY = "half_yearly"
    YEARLY = "yearly"


MONTHS = {
    BillingPeriod.MONTHLY: 1,
    BillingPeriod.QUARTERLY: 3,
    BillingPeriod.HALF_YEARLY: 6,
    BillingPeriod.YEARLY: 12,
}


class PaymentMethod(StrEnum):
    CASH = "cash"
    BANK = "bank"  # transfer or bank import
    WECHAT = "wechat"
    ALIPAY = "alipay"
    TELEGRAM = "telegram"  # Telegram Payments, when a provider is configured


class FeeSchedule(SQLModel, table=True):
    """A compound's fee at one price from `starts_on` to `ends_on` (inclusive; None: until a
    later schedule of the same fee, same compound and name, ends it). Its periods run from the
    first day of its starting month. `active` is False when a schedule was replaced before its
    first day (it bills nothing)."""

    __tablename__ = "fee_schedule"
    id: int | None = Field(default=None, primary_key=True)
    compound_id: int = Field(foreign_key="compound.id", index=True)
    name: str = Field(default="物业服务费", max_length=60)
    price_per_m2: Decimal = Field(max_digits=10, decimal_places=4)  # CNY per ㎡ per month
    period: str = enum_field(BillingPeriod, default=BillingPeriod.MONTHLY)
    due_day: int = 15  # day of the period's first month the bill is due (1–28)
    subsidy_share: Decimal = Field(default=Decimal(0), max_digits=5, decimal_places=4)  # 政府补贴
    # A late charge only if the service contract says so (DOMAIN §6): a daily rate on the unpaid
    # amount, never more than `late_charge_cap` of it. Off (None) by default.
    late_charge_daily_rate: Decimal | None = Field(default=None, max_digits=7, decimal_places=6)
    late_charge_cap: Decimal = Field(default=Decimal("0.3"), max_digits=5, decimal_places=4)
    starts_on: date
    active: bool = True
    created_at: datetime = utc_field(nullable=False)
    ends_on: date | None = None
    # The end of the last period the bill tick has billed for every home: earlier periods are
    # not looked at again (homes added later are billed from the period in progress).
    billed_through: date | None = None


class Bill(SQLModel, table=True):
    """One household's fee for the days `period_start`–`period_end` (inclusive) of one period:
    the whole period, or the part of it the schedule covers (prorated: `days` of `period_days`).
    Unique per (schedule, household, first day), so bill generation can run any number of times.
    A bill with `adjusts_bill_id` is a price adjustment (调价补差) for days of that earlier bill
    that a later price change moved to this schedule."""

    __table_args__ = (
        sa.UniqueConstraint("schedule_id", "household_id", "period_start"),
        sa.Index("ix_bill_open_due", "paid_off", "due_date"),
    )
    id: int | None = Field(default=None, primary_key=True)
    schedule_id: int = Field(foreign_key="fee_schedule.id", index=True)
    household_id: int = Field(foreign_key="household.id", index=True)
    compound_id: int = Field(foreign_key="compound.id", index=True)
    period_start: date
    period_end: date  # inclusive
    months: int
    area: Decimal = Field(max_digits=10, decimal_places=2)
    price_per_m2: Decimal = Field(max_digits=10, decimal_places=4)
    gross: Decimal = Field(max_digits=14, decimal_places=2)  # area × price × months, to the fen
    subsidy: Decimal = Field(max_digits=14, decimal_places=2)  # paid by the government
    amount: Decimal = Field(
        max_digits=14, decimal_places=2
    )  # what the household owes: gross − subsidy
    paid: Decimal = Field(default=Decimal(0), max_digits=14, decimal_places=2)
    paid_off: bool = False
    due_date: date = Field(index=True)
    created_at: datetime = utc_field(nullable=False)
    days: int  # days billed: period_end − period_start + 1
    period_days: int  # days of the whole period the amount was prorated over
    adjusts_bill_id: int | None = Field(default=None, foreign_key="bill.id", index=True)


class Payment(SQLModel, table=True):
    """Money received for a household; `reference` makes recording idempotent (a bank reference,
    a Telegram charge id): the same reference is never booked twice."""

    __table_args__ = (
        sa.UniqueConstraint("method", "reference"),
        sa.Index("ix_payment_credit", "household_id", "unallocated"),
        sa.UniqueConstraint("compound_id", "receipt_no"),
    )
    id: int | None = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="household.id", index=True)
    amount: Decimal = Field(max_digits=14, decimal_places=2)
    method: str = enum_field(PaymentMethod, default=PaymentMethod.CASH)
    reference: str = Field(max_length=120)
    unallocated: Decimal = Field(
        default=Decimal(0), max_digits=14, decimal_places=2
    )  # the household's credit from it
    paid_on: date
    recorded_by: int | None = Field(default=None, foreign_key="resident.id")
    created_at: datetime = utc_field(nullable=False)
    # The receipt (收据): numbered per compound, in booking order, never reused (ReceiptCounter).
    compound_id: int | None = Field(default=None, foreign_key="compound.id")
    receipt_no: int | None = None
    # Corrected, never deleted: a reversed payment (冲正) keeps its row and its receipt number;
    # its allocations were undone, its receipt is void.
    reversed_at: datetime | None = utc_field()
    reversed_by: int | None = Field(default=None, foreign_key="resident.id")
    reversal_reason: str | None = Field(default=None, max_length=300)


class PaymentAllocation(SQLModel, table=True):
    """Which bill a payment (or the household's credit) paid, oldest due first."""

    __tablename__ = "payment_allocation"
    id: int | None = Field(default=None, primary_key=True)
    payment_id: int = Field(foreign_key="payment.id", index=True)
    bill_id: int = Field(foreign_key="bill.id", index=True)
    amount: Decimal = Field(max_digits=14, decimal_places=2)


class FeeReminder(SQLModel, table=True):
    """A reminder offset handled for a bill: sent, or skipped (weekly limit, paid, quiet)."""

    __tablename__ = "fee_reminder"
    bill_id: int = Field(foreign_key="bill.id", primary_key=True)
    offset_days: int = Field(primary_key=True)  # relative to the due date: -7, 0, 7, 30
    household_id: int = Field(foreign_key="household.id", index=True)
    sent: bool
    handled_at: datetime = utc_field(nullable=False, index=True)


class PaymentAccount(SQLModel, table=True):
    """Where a compound's residents pay (DOMAIN §6): the payee and the WeChat Pay / Alipay QR
    code an administrator uploaded, shown in /bills with the reference to write on the payment."""

    __tablename__ = "payment_account"
    compound_id: int = Field(foreign_key="compound.id", primary_key=True)
    payee: str = Field(max_length=200)
    qr_media_id: int | None = Field(
        default=None, foreign_key="media.id"
    )  # None: no code, a bank account only
    updated_at: datetime = utc_field(nullable=False)
    # The bank account transfers arrive on, digits only: a statement's own 账号 picks the compound.
    bank_account: str | None = Field(default=None, max_length=40, unique=True)


class ClaimStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    NOT_FOUND = "not_found"
    WITHDRAWN = "withdrawn"  # the resident took it back before the office answered
    REVERSED = "reversed"  # confirmed, then the payment booked from it was reversed


class PaymentClaim(SQLModel, table=True):
    """A resident's "I have paid": staff confirm it (it is then booked as a payment) or say they
    cannot find the money. A home has at most one pending claim (a partial unique index)."""

    __tablename__ = "payment_claim"
    __table_args__ = (
        sa.Index(
            "uq_payment_claim_pending",
            "household_id",
            unique=True,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="household.id", index=True)
    compound_id: int = Field(foreign_key="compound.id", index=True)
    claimed_by: int = Field(foreign_key="resident.id")
    amount: Decimal = Field(max_digits=14, decimal_places=2)
    method: str = enum_field(PaymentMethod)
    claimed_at: datetime = utc_field(nullable=False)
    status: str = enum_field(ClaimStatus, default=ClaimStatus.PENDING)
    decided_by: int | None = Field(default=None, foreign_key="resident.id")
    decided_at: datetime | None = utc_field()
    payment_id: int | None = Field(default=None, foreign_key="payment.id")


class ReceiptCounter(SQLModel, table=True):
    """The last receipt number (收据号) a compound issued: bumped in the booking's transaction
    (the row lock orders concurrent bookings), so numbers are sequential and never reused."""

    __tablename__ = "receipt_counter"
    compound_id: int = Field(foreign_key="compound.id", primary_key=True)
    last_number: int = 0


class FeeCredit(SQLModel, table=True):
    """What a household is owed back for days already billed at a higher price than the one now
    in force for them (or after the fee ended): a credit that pays the next bills, like money
    paid in advance. `key` (bill, first day, from and to schedule) makes settling idempotent."""

    __tablename__ = "fee_credit"
    __table_args__ = (sa.Index("ix_fee_credit_open", "household_id", "unallocated"),)
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=80, unique=True)
    household_id: int = Field(foreign_key="household.id", index=True)
    compound_id: int = Field(foreign_key="compound.id", index=True)
    bill_id: int = Field(foreign_key="bill.id", index=True)  # the bill whose days are re-priced
    schedule_id: int | None = Field(default=None, foreign_key="fee_schedule.id")  # None: ended
    period_start: date
    period_end: date  # inclusive
    days: int
    amount: Decimal = Field(max_digits=14, decimal_places=2)
    unallocated: Decimal = Field(max_digits=14, decimal_places=2)
    created_at: datetime = utc_field(nullable=False)


class FeeCreditAllocation(SQLModel, table=True):
    """Which bill a household's fee credit paid."""

    __tablename__ = "fee_credit_allocation"
    id: int | None = Field(default=None, primary_key=True)
    credit_id: int = Field(foreign_key="fee_credit.id", index=True)
    bill_id: int = Field(foreign_key="bill.id", index=True)
    amount: Decimal = Field(max_digits=14, decimal_places=2)


class StatementRowStatus(StrEnum):
    PENDING = "pending"  # waiting for the office to pick the home
    BOOKED = "booked"
    DISMISSED = "dismissed"  # not a fee payment (a refund, a deposit, a transfer between accounts)


class StatementRow(SQLModel, table=True):
    """An incoming row of a bank statement that matched no home or several: kept for the office to
    assign in /statement (booked with the bank's reference, so once) or to dismiss."""

    __tablename__ = "statement_row"
    id: int | None = Field(default=None, primary_key=True)
    compound_id: int = Field(foreign_key="compound.id", index=True)
    reference: str = Field(max_length=120, unique=True)  # the bank's, as Payment.reference
    amount: Decimal = Field(max_digits=14, decimal_places=2)
    paid_on: date
    payer: str = Field(default="", max_length=200)
    memo: str = Field(default="", max_length=300)
    candidates: list[int] = Field(default_factory=list, sa_type=sa.JSON())  # household ids
    status: str = enum_field(StatementRowStatus, default=StatementRowStatus.PENDING)
    imported_at: datetime = utc_field(nullable=False)
    payment_id: int | None = Field(default=None, foreign_key="payment.id")
    decided_by: int | None = Field(default=None, foreign_key="resident.id")
    decided_at: datetime | None = utc_field()
