"""Arrears and the fee collection rate (DOMAIN §4) for staff, officers, supervisors and the
committee. The list by home carries the owner's roster name only for those who may see names
(the compound's staff, liaisons and administrators), and that access is audited."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import false
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.db import rows
from core.i18n import N_
from models import Bill, Building, Compound, Household
from services import audit
from services.actors import Actor
from services.billing import ZERO, add_months
from services.errors import DomainError
from services.inputs import is_month
from services.places import household_label
from services.policy import Permission, allowed, authorize, compounds


@dataclass(frozen=True)
class Arrear:
    household_id: int
    building: str
    label: str
    owner_name: str  # "" unless the reader may see names
    owner_phone: str  # "" unless the reader may see names
    bills: int
    amount: Decimal
    oldest_due: date


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


@dataclass(frozen=True)
class ArrearsReport:
    compound_id: int
    compound: str
    month: str
    arrears: list[Arrear]
    rate: CollectionRate
    names: bool  # whether owner names are in the list


BAD_MONTH = N_("Send the month as YYYY-MM, for example /arrears 2026-10.")


async def report_compounds(session: AsyncSession, actor: Actor, month: str) -> list[Compound]:
    """The compounds whose arrears this person may read (for a month given as YYYY-MM)."""
    if not is_month(month):
        raise DomainError(BAD_MONTH)
    return await compounds(session, actor, Permission.FEES_REPORT)


async def arrears_report(
    session: AsyncSession, actor: Actor, compound_id: int, month: str, *, today: date, now: datetime
) -> ArrearsReport:
    """/arrears: what is overdue today, by home, and the collection rate of bills due in `month`."""
    if not is_month(month):
        raise DomainError(BAD_MONTH)
    await authorize(session, actor, Permission.FEES_REPORT, compound_id)
    compound = await session.get(Compound, compound_id)
    assert compound is not None
    names = await allowed(session, actor, Permission.PEOPLE_CONTACT, compound_id)
    found = await arrears(session, compound_id, today, names=names)
    if names and found:
        await audit.record_read(
            session,
            at=now,
            actor_id=actor.resident_id,
            what="arrears",
            subject_type="compound",
            subject_id=compound_id,
            compound_id=compound_id,
            households=[a.household_id for a in found],
        )
    start = date(int(month[:4]), int(month[5:]), 1)
    end = add_months(start, 1) - timedelta(days=1)
    rate = await collection_rate(session, compound_id, start, end)
    return ArrearsReport(compound_id, compound.name, month, found, rate, names)


async def arrears(
    session: AsyncSession, compound_id: int, today: date, *, names: bool = False
) -> list[Arrear]:
    """Households with bills past due and not paid, by building, largest first within it."""
    found_rows = await rows(
        session,
        sa.select(
            col(Bill.household_id),
            col(Bill.amount),
            col(Bill.paid),
            col(Bill.due_date),
            col(Building.name),
            col(Household.unit),
            col(Household.room),
            col(Household.owner_name),
            col(Household.owner_phone),
        )
        .join(Household, col(Household.id) == col(Bill.household_id))
        .join(Building, col(Building.id) == col(Household.building_id))
        .where(col(Bill.compound_id) == compound_id, col(Bill.paid_off) == false())
        .where(col(Bill.due_date) < today),
    )
    grouped: dict[int, list[Any]] = defaultdict(list)
    for row in found_rows:
        grouped[row[0]].append(row)
    found = []
    for household_id, items in grouped.items():
        _id, _amount, _paid, _due, building, unit, room, owner, phone = items[0]
        found.append(
            Arrear(
                household_id,
                building,
                household_label(building, unit, room),
                (owner or "") if names else "",
                (phone or "") if names else "",
                len(items),
                sum((Decimal(i[1]) - Decimal(i[2]) for i in items), ZERO),
                min(i[3] for i in items),
            )
        )
    return sorted(found, key=lambda a: (a.building, -a.amount, a.label))


async def collection_rate(
    session: AsyncSession, compound_id: int, start: date, end: date
) -> CollectionRate:
    rows = (
        await session.exec(
            select(col(Bill.household_id), col(Bill.amount), col(Bill.paid))
            .where(col(Bill.compound_id) == compound_id)
            .where(col(Bill.due_date) >= start, col(Bill.due_date) <= end)
        )
    ).all()
    owed: dict[int, Decimal] = defaultdict(lambda: ZERO)
    paid = ZERO
    billed = ZERO
    for household_id, amount, paid_amount in rows:
        billed += Decimal(amount)
        paid += Decimal(paid_amount)
        owed[household_id] += Decimal(amount) - Decimal(paid_amount)
    return CollectionRate(billed, paid, len(owed), sum(1 for v in owed.values() if v <= 0))
