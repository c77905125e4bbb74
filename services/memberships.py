"""Ending a membership (a tenant moves out, an owner removes a family member, the office ends it,
a home is sold): the membership moves to its history, queued messages about the home are
withdrawn, the person is told and their menu refreshed at once. /homes lists a person's homes
and, for owners, who else is registered there."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_
from models import (
    EndReason,
    Household,
    Membership,
    MembershipHistory,
    MembershipKind,
    Resident,
    RoleGrant,
    RoleGrantHistory,
    pk,
)
from services import audit, notify
from services.actors import Actor, HouseholdTie
from services.errors import DomainError, NotAllowed
from services.places import household_labels
from services.policy import Permission, authorize, rule
from services.rights import reachable, refresh_menu, withdraw_queued

OWNER_KINDS = frozenset({MembershipKind.OWNER, MembershipKind.CO_OWNER})
GONE = N_("This registration has already ended.")
NOT_YOURS = rule(Permission.MEMBERSHIP_END).refusal


@dataclass(frozen=True)
class Member:
    """Someone registered with a home, as its owners see them."""

    membership_id: int
    name: str
    kind: str
    since: datetime
    removable: bool  # a tenant or family member, not the viewer


@dataclass(frozen=True)
class HomeEntry:
    household_id: int
    label: str
    kind: str  # the viewer's membership
    owner: bool  # the viewer is an owner or co-owner: may see and remove members


@dataclass(frozen=True)
class Ended:
    history: MembershipHistory
    label: str


async def end_membership(
    session: AsyncSession,
    membership: Membership,
    resident: Resident,
    *,
    now: datetime,
    by: int | None,
    reason: EndReason,
    ended_at: datetime | None = None,
) -> Ended:
    """Move one membership to its history (ended at `ended_at`, default now), withdraw what is
    still queued for the person about the home, tell them (unless they did it) and refresh their
    menu."""
    household_id = membership.household_id
    label = (await household_labels(session, [household_id])).get(household_id, "?")
    history = MembershipHistory.of(membership, ended_at=ended_at or now, by=by, reason=reason)
    session.add(history)
    await session.delete(membership)
    await session.flush()
    audit.record(
        session,
        at=now,
        actor_id=by,
        action="membership.end",
        subject_type="resident",
        subject_id=resident.id,
        household=household_id,
        kind=membership.kind,
        reason=reason,
    )
    await withdraw_queued(session, pk(resident), household_id)
    if reason != EndReason.MOVED_OUT:
        notify.tell(
            session,
            f"membership.ended:{history.id}",
            "membership.ended",
            reachable(resident),
            now=now,
            home=label,
            reason=reason,
            on=history.ended_at,
        )
    await refresh_menu(session, resident, now=now, because=f"membership:{history.id}")
    return Ended(history, label)


# --- a resident's own homes (/homes) -----------------------------------------------------------
def my_homes(actor: Actor) -> list[HomeEntry]:
    """The homes the person is registered with, and whether they may manage each one's members."""
    return [HomeEntry(t.household_id, t.label, t.kind, t.is_owner) for t in actor.households]


def _tie(actor: Actor, household_id: int) -> HouseholdTie:
    tie = next((t for t in actor.households if t.household_id == household_id), None)
    if tie is None:
        raise NotAllowed(NOT_YOURS)
    return tie


async def _membership(session: AsyncSession, resident_id: int, household_id: int) -> Membership:
    found = (
        await session.exec(
            select(Membership)
            .where(col(Membership.resident_id) == resident_id)
            .where(col(Membership.household_id) == household_id)
        )
    ).first()
    if found is None:
        raise DomainError(GONE)
    return found


async def leaving(session: AsyncSession, actor: Actor, household_id: int) -> HomeEntry:
    """The question before moving out: the person's registration with this home."""
    household = await session.get(Household, household_id)
    if household is None:
        raise NotAllowed(NOT_YOURS)
    await authorize(
        session, actor, Permission.MEMBERSHIP_END, household.compound_id, household=household
    )
    tie = _tie(actor, household_id)
    return HomeEntry(tie.household_id, tie.label, tie.kind, tie.is_owner)


async def move_out(
    session: AsyncSession, actor: Actor, household_id: int, *, now: datetime
) -> Ended:
    """The resident confirmed they have moved out: their registration with the home ends."""
    await leaving(session, actor, household_id)
    resident = actor.resident
    assert resident is not None
    membership = await _membership(session, pk(resident), household_id)
    return await end_membership(
        session, membership, resident, now=now, by=resident.id, reason=EndReason.MOVED_OUT
    )


async def members(
    session: AsyncSession, actor: Actor, household_id: int
) -> tuple[HomeEntry, list[Member]]:
    """Who is registered with the person's home (owners only), the tenants and family removable."""
    household = await session.get(Household, household_id)
    if household is None:
        raise NotAllowed(rule(Permission.MEMBERSHIP_REMOVE).refusal)
    await authorize(
        session, actor, Permission.MEMBERSHIP_REMOVE, household.compound_id, household=household
    )
    tie = _tie(actor, household_id)
    rows = await session.exec(
        select(Membership, Resident)
        .join(Resident, col(Resident.id) == col(Membership.resident_id))
        .where(col(Membership.household_id) == household_id)
        .order_by(col(Membership.id))
    )
    found = [
        Member(
            pk(m),
            person.display_name,
            m.kind,
            m.created_at,
            m.kind not in OWNER_KINDS and person.id != actor.resident_id,
        )
        for m, person in rows
    ]
    return HomeEntry(tie.household_id, tie.label, tie.kind, True), found


async def removable(
    session: AsyncSession, actor: Actor, membership_id: int
) -> tuple[Membership, Member, str]:
    """A tenant or family member of the person's home, before (or when) removing them."""
    membership = await session.get(Membership, membership_id)
    if membership is None:
        raise DomainError(GONE)
    home, found = await members(session, actor, membership.household_id)
    member = next(m for m in found if m.membership_id == membership_id)
    if membership.resident_id == actor.resident_id:
        raise DomainError(N_("To end your own registration, use “I have moved out” in /homes."))
    if not member.removable:
        raise DomainError(
            N_(
                "Owners and co-owners are changed by the property office (a sale is recorded there)."
            )
        )
    return membership, member, home.label


async def remove_member(
    session: AsyncSession, actor: Actor, membership_id: int, *, now: datetime
) -> Ended:
    """An owner ends the registration of a tenant or family member of their home."""
    membership, _member, _label = await removable(session, actor, membership_id)
    resident = await session.get(Resident, membership.resident_id)
    assert resident is not None
    return await end_membership(
        session, membership, resident, now=now, by=actor.resident_id, reason=EndReason.REMOVED
    )


# --- the office ---------------------------------------------------------------------------------
async def end_membership_by_office(
    session: AsyncSession, household: Household, telegram_id: int, *, now: datetime
) -> Ended:
    """`admin end-membership`: the office ends someone's registration with a home."""
    row = (
        await session.exec(
            select(Membership, Resident)
            .join(Resident, col(Resident.id) == col(Membership.resident_id))
            .where(col(Resident.telegram_id) == telegram_id)
            .where(col(Membership.household_id) == household.id)
        )
    ).first()
    if row is None:
        raise DomainError(N_("{user} is not registered with that home."), user=telegram_id)
    membership, resident = row
    return await end_membership(
        session, membership, resident, now=now, by=None, reason=EndReason.OFFICE
    )


async def archive_all(session: AsyncSession, resident_id: int, *, now: datetime) -> None:
    """/forgetme: the person's memberships and roles go to their history (who held what stays,
    under the anonymous row) before the current ones are deleted."""
    for m in (
        await session.exec(select(Membership).where(col(Membership.resident_id) == resident_id))
    ).all():
        session.add(
            MembershipHistory.of(m, ended_at=now, by=resident_id, reason=EndReason.FORGOTTEN)
        )
    for g in (
        await session.exec(select(RoleGrant).where(col(RoleGrant.resident_id) == resident_id))
    ).all():
        session.add(
            RoleGrantHistory.of(g, ended_at=now, by=resident_id, reason=EndReason.FORGOTTEN)
        )
    await session.flush()
