"""Courteous fee reminders (DOMAIN §6): on the configured days around a bill's due date, to the
people who see the home's bills, at most one a week per home, never while a resident's "I have
paid" is being checked. They remind and thank; no service is ever cut over fees (Art. 944)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import delete, exists, false, or_, true
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.db import insert_many, rows
from models import (
    Bill,
    ClaimStatus,
    FeeReminder,
    Household,
    Membership,
    MembershipKind,
    OutboxMessage,
    OutboxStatus,
    PaymentClaim,
    Resident,
)
from services import notify
from services.notify import Recipient

REMINDER_OFFSETS = (-7, 0, 7, 30)  # days relative to the due date
CATCH_UP_DAYS = 3  # a reminder missed for longer than this (the bot was down) is not sent late
CHUNK = 1000
REMINDER = "fees.reminder"


async def queue_reminders(
    session: AsyncSession,
    *,
    today: date,
    now: datetime,
    tz: ZoneInfo,
    offsets: Iterable[int] = REMINDER_OFFSETS,
) -> int:
    """For each offset, open bills whose reminder day has come (within a short catch-up window)
    and that were not handled for it: at most one reminder per household per week (a second
    one that week is recorded as skipped), to owners, and to tenants where the owners allow."""
    # "One per week" by calendar days: reminded on the 8th, the next may go on the 15th.
    week_ago = datetime.combine(today - timedelta(days=6), time(0), tzinfo=tz)
    recent = set(
        (
            await session.exec(
                select(col(FeeReminder.household_id))
                .where(col(FeeReminder.sent) == true(), col(FeeReminder.handled_at) > week_ago)
                .distinct()
            )
        ).all()
    )
    # A home that said "I have paid" is not reminded while the office checks (the offset counts
    # as handled, not sent).
    recent |= set(
        (
            await session.exec(
                select(col(PaymentClaim.household_id)).where(
                    col(PaymentClaim.status) == ClaimStatus.PENDING
                )
            )
        ).all()
    )
    due: dict[int, list[tuple[Any, int]]] = defaultdict(list)
    for offset in sorted(set(offsets), reverse=True):  # the latest offset first: it speaks for all
        latest = today - timedelta(days=offset)
        bills = await rows(
            session,
            sa.select(
                col(Bill.id),
                col(Bill.household_id),
                col(Bill.period_start),
                col(Bill.period_end),
                col(Bill.amount),
                col(Bill.paid),
                col(Bill.due_date),
            )
            .where(col(Bill.paid_off) == false())
            .where(col(Bill.due_date) <= latest)
            .where(col(Bill.due_date) > latest - timedelta(days=CATCH_UP_DAYS))
            .where(
                ~exists().where(
                    col(FeeReminder.bill_id) == col(Bill.id),
                    col(FeeReminder.offset_days) == offset,
                )
            ),
        )
        for row in bills:
            due[row[1]].append((row, offset))
    queued = 0
    household_ids = list(due)
    for index in range(0, len(household_ids), CHUNK):  # in slices, so memory stays flat
        chunk = household_ids[index : index + CHUNK]
        await _remind_households(session, {h: due[h] for h in chunk}, recent, today=today, now=now)
        queued += await notify.flush(session)
    return queued


async def _remind_households(
    session: AsyncSession,
    due: dict[int, list[tuple[Any, int]]],
    recent: set[int],
    *,
    today: date,
    now: datetime,
) -> None:
    people: dict[int, list[Recipient]] = defaultdict(list)
    for household_id, resident_id, chat_id, language, kind, tenants_allowed in await rows(
        session,
        sa.select(
            col(Membership.household_id),
            col(Resident.id),
            col(Resident.telegram_id),
            col(Resident.language),
            col(Membership.kind),
            col(Household.tenants_see_bills),
        )
        .join(Resident, col(Resident.id) == col(Membership.resident_id))
        .join(Household, col(Household.id) == col(Membership.household_id))
        .where(col(Membership.household_id).in_(list(due)))
        .where(col(Resident.telegram_id).is_not(None), col(Resident.consent_at).is_not(None)),
    ):
        if kind in (MembershipKind.OWNER, MembershipKind.CO_OWNER) or tenants_allowed:
            people[household_id].append(Recipient(resident_id, chat_id, language, household_id))
    handled: list[dict[str, Any]] = []
    for household_id, items in due.items():
        send = household_id not in recent and bool(people.get(household_id))
        seen: set[int] = set()
        bills = []
        for row, offset in items:
            handled.append(
                {
                    "bill_id": row[0],
                    "offset_days": offset,
                    "household_id": household_id,
                    "sent": send,
                    "handled_at": now,
                }
            )
            if row[0] not in seen:
                seen.add(row[0])
                bills.append((row[2], row[3], Decimal(row[4]) - Decimal(row[5]), row[6]))
        if send:
            # One purpose per day; the recipient key is per home, so a co-owner of two homes
            # hears of each.
            notify.tell(
                session,
                f"fee-remind:{today.isoformat()}:{household_id}",
                REMINDER,
                people[household_id],
                now=now,
                bills=bills,
                offset=items[0][1],
            )
    await insert_many(session, FeeReminder, handled, skip_conflicts_on=["bill_id", "offset_days"])


async def allow_again(
    session: AsyncSession, household_id: int, bill_ids: Iterable[int] | None = None
) -> int:
    """A home's bills are open again (a payment reversed) or it no longer waits on its "I have
    paid" (withdrawn): the reminder days that were only recorded as skipped, or whose reminder a
    payment withdrew before it went out, are forgotten, so the next tick sends what is still due
    (within the catch-up window, at most one a week, as always)."""
    withdrawn = select(col(OutboxMessage.created_at)).where(
        col(OutboxMessage.household_id) == household_id,
        col(OutboxMessage.purpose).startswith("fee-remind:"),
        col(OutboxMessage.status) == OutboxStatus.CANCELLED,
    )
    statement = delete(FeeReminder).where(
        col(FeeReminder.household_id) == household_id,
        or_(col(FeeReminder.sent) == false(), col(FeeReminder.handled_at).in_(withdrawn)),
    )
    if bill_ids is not None:
        statement = statement.where(col(FeeReminder.bill_id).in_(list(bill_ids)))
    result = await session.exec(statement)
    return result.rowcount
