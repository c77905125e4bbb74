"""Selling a home (过户): `admin transfer-home` records the transfer and its date. On that date —
at once when it is today or past, else by the people job, exactly once — the seller, co-owners
and family leave the home, its other unused invites are withdrawn, the roster's owner becomes
the buyer, and the buyer's owner and tenant invites (printed when the sale was recorded) open.
Tenants stay: a sale does not end a lease (买卖不破租赁, Civil Code Art. 725)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_
from models import (
    EndReason,
    Household,
    HouseholdTransfer,
    Invite,
    Membership,
    MembershipKind,
    Resident,
    pk,
)
from services import audit
from services.errors import DomainError
from services.invites import IssuedInvite, issue_household_invites
from services.memberships import end_membership
from services.places import find_household, household_labels

# Who leaves with the sale; tenants stay (their lease goes on with the buyer).
LEAVING = (MembershipKind.OWNER, MembershipKind.CO_OWNER, MembershipKind.FAMILY)


@dataclass(frozen=True)
class Recorded:
    transfer: HouseholdTransfer
    label: str
    applied: bool  # the date is today or past: done at once
    invites: list[IssuedInvite]  # the buyer's owner and tenant invites


def transfer_moment(on: date, tz: ZoneInfo) -> datetime:
    """A transfer takes effect at 00:00 of its date, local time."""
    return datetime.combine(on, time(0), tzinfo=tz).astimezone(UTC)


async def record_transfer(
    session: AsyncSession,
    compound_id: int,
    home: str,
    on: date,
    *,
    now: datetime,
    tz: ZoneInfo,
    ttl: timedelta,
    buyer_name: str | None = None,
    buyer_phone: str | None = None,
    by: int | None = None,
) -> Recorded:
    """Record the sale of a home (e.g. `1-1-101`) on a date, with the buyer's roster name and
    phone if known; apply it now if the date has come, and issue the buyer's invites."""
    household = await find_household(session, [compound_id], home)
    pending = (
        await session.exec(
            select(HouseholdTransfer)
            .where(col(HouseholdTransfer.household_id) == household.id)
            .where(col(HouseholdTransfer.applied_at).is_(None))
        )
    ).first()
    if pending is not None:
        raise DomainError(
            N_("A transfer of this home on {date} is already recorded."),
            date=pending.effective_at.astimezone(tz).date(),
        )
    name = (buyer_name or "").strip() or None
    phone = (buyer_phone or "").strip() or None
    if (name and len(name) > 100) or (phone and len(phone) > 30):
        raise DomainError(N_("The buyer's name must be at most 100 characters, the phone 30."))
    transfer = HouseholdTransfer(
        household_id=pk(household),
        effective_at=transfer_moment(on, tz),
        recorded_at=now,
        recorded_by=by,
        from_owner_name=household.owner_name,
        to_owner_name=name,
        to_owner_phone=phone,
    )
    session.add(transfer)
    await session.flush()
    audit.record(
        session,
        at=now,
        actor_id=by,
        action="household.transfer_recorded",
        subject_type="household",
        subject_id=household.id,
        transfer=transfer.id,
        on=on.isoformat(),
    )
    applied = transfer.effective_at <= now and await apply_transfer(session, transfer, now=now)
    invites = await issue_household_invites(
        session, compound_id, now=now, ttl=ttl, household_ids=[pk(household)]
    )
    label = (await household_labels(session, [pk(household)]))[pk(household)]
    return Recorded(transfer, label, applied, invites)


async def apply_transfer(
    session: AsyncSession, transfer: HouseholdTransfer, *, now: datetime
) -> bool:
    """Carry out a transfer whose date has come, once: False if it was applied already."""
    claimed = await session.exec(
        update(HouseholdTransfer)
        .where(col(HouseholdTransfer.id) == transfer.id)
        .where(col(HouseholdTransfer.applied_at).is_(None))
        .values(applied_at=now)
    )
    if claimed.rowcount != 1:
        return False
    await session.refresh(transfer)
    household = await session.get(Household, transfer.household_id)
    assert household is not None
    leaving = (
        await session.exec(
            select(Membership, Resident)
            .join(Resident, col(Resident.id) == col(Membership.resident_id))
            .where(col(Membership.household_id) == household.id)
            .where(col(Membership.kind).in_(LEAVING))
            .order_by(col(Membership.id))
        )
    ).all()
    for membership, resident in leaving:
        await end_membership(
            session,
            membership,
            resident,
            now=now,
            by=transfer.recorded_by,
            reason=EndReason.SOLD,
            ended_at=transfer.effective_at,
        )
    transfer.from_residents = [pk(resident) for _m, resident in leaving]
    household.owner_name = transfer.to_owner_name
    household.owner_phone = transfer.to_owner_phone
    household.tenants_see_bills = False  # the new owners decide
    household.updated_at = now
    # Every unused invite of the home but the buyer's (which open on the transfer date).
    await session.exec(
        update(Invite)
        .where(col(Invite.household_id) == household.id)
        .where(col(Invite.used_at).is_(None))
        .where(col(Invite.revoked_at).is_(None))
        .where(
            or_(
                col(Invite.valid_from).is_(None),
                col(Invite.valid_from) != transfer.effective_at,
            )
        )
        .values(revoked_at=now)
    )
    audit.record(
        session,
        at=now,
        actor_id=transfer.recorded_by,
        action="household.transfer",
        subject_type="household",
        subject_id=household.id,
        transfer=transfer.id,
        left=len(leaving),
    )
    return True


async def due_transfers(session: AsyncSession, *, now: datetime) -> list[int]:
    """The transfers whose date has come and that are not applied yet, oldest first."""
    rows = await session.exec(
        select(col(HouseholdTransfer.id))
        .where(col(HouseholdTransfer.applied_at).is_(None))
        .where(col(HouseholdTransfer.effective_at) <= now)
        .order_by(col(HouseholdTransfer.effective_at), col(HouseholdTransfer.id))
    )
    return [int(i) for i in rows.all() if i is not None]


async def transferred_after(
    session: AsyncSession, moment: datetime, household_ids: list[int] | set[int]
) -> set[int]:
    """The homes among these whose transfer took effect in the record after `moment` (a vote's
    opening): their buyers are not in that vote's snapshot."""
    if not household_ids:
        return set()
    rows = await session.exec(
        select(col(HouseholdTransfer.household_id))
        .where(col(HouseholdTransfer.household_id).in_(list(household_ids)))
        .where(col(HouseholdTransfer.applied_at).is_not(None))
        .where(col(HouseholdTransfer.applied_at) >= moment)
    )
    return set(rows.all())
