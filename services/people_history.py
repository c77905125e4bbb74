"""Who held which home or role, from when to when (`admin history`): the current memberships and
grants with the ended ones from their history tables, and a home's recorded sales."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_
from models import (
    HouseholdTransfer,
    Membership,
    MembershipHistory,
    Resident,
    RoleGrant,
    RoleGrantHistory,
    ScopeKind,
)
from services.errors import DomainError
from services.places import compound_chain, household_labels, scope_name


@dataclass(frozen=True)
class Held:
    """One holding: a membership of a home or a role over a place, current (no end) or past."""

    place: str  # the home's label, or the place's name
    kind: str  # a MembershipKind or a Role
    person: str
    telegram_id: int | None
    started_at: datetime
    ended_at: datetime | None = None
    reason: str | None = None
    resident_id: int | None = None  # whose holding (the read of their name is audited)


def _name(resident: Resident) -> str:
    return resident.display_name or f"#{resident.id}"


async def home_history(session: AsyncSession, household_id: int) -> list[Held]:
    """Everyone who has been registered with the home, oldest first."""
    label = (await household_labels(session, [household_id]))[household_id]
    now = await session.exec(
        select(Membership, Resident)
        .join(Resident, col(Resident.id) == col(Membership.resident_id))
        .where(col(Membership.household_id) == household_id)
    )
    past = await session.exec(
        select(MembershipHistory, Resident)
        .join(Resident, col(Resident.id) == col(MembershipHistory.resident_id))
        .where(col(MembershipHistory.household_id) == household_id)
    )
    found = [
        Held(label, m.kind, _name(r), r.telegram_id, m.created_at, resident_id=r.id) for m, r in now
    ]
    found += [
        Held(
            label,
            h.kind,
            _name(r),
            r.telegram_id,
            h.started_at,
            h.ended_at,
            h.reason,
            resident_id=r.id,
        )
        for h, r in past
    ]
    return sorted(found, key=lambda h: (h.started_at, h.ended_at is None))


async def person_history(session: AsyncSession, telegram_id: int) -> list[Held]:
    """A person's homes and roles, current and past, oldest first."""
    resident = (
        await session.exec(select(Resident).where(col(Resident.telegram_id) == telegram_id))
    ).first()
    if resident is None:
        raise DomainError(N_("No one with Telegram id {user} is known."), user=telegram_id)
    me = resident.id
    current = (
        await session.exec(select(Membership).where(col(Membership.resident_id) == me))
    ).all()
    past = (
        await session.exec(
            select(MembershipHistory).where(col(MembershipHistory.resident_id) == me)
        )
    ).all()
    labels = await household_labels(
        session, [m.household_id for m in current] + [h.household_id for h in past]
    )
    name = _name(resident)
    found = [
        Held(labels[m.household_id], m.kind, name, telegram_id, m.created_at, resident_id=me)
        for m in current
    ]
    found += [
        Held(
            labels[h.household_id],
            h.kind,
            name,
            telegram_id,
            h.started_at,
            h.ended_at,
            h.reason,
            resident_id=me,
        )
        for h in past
    ]
    grants = (await session.exec(select(RoleGrant).where(col(RoleGrant.resident_id) == me))).all()
    ended = (
        await session.exec(select(RoleGrantHistory).where(col(RoleGrantHistory.resident_id) == me))
    ).all()
    for g in grants:
        place = await scope_name(session, g.scope_kind, g.scope_id)
        found.append(Held(place, g.role, name, telegram_id, g.granted_at, resident_id=me))
    for h in ended:
        place = await scope_name(session, h.scope_kind, h.scope_id)
        found.append(
            Held(
                place, h.role, name, telegram_id, h.started_at, h.ended_at, h.reason, resident_id=me
            )
        )
    return sorted(found, key=lambda h: (h.started_at, h.ended_at is None))


async def role_history(session: AsyncSession, compound_id: int) -> list[Held]:
    """Who held a role over the compound (or a place above it), current and past."""
    chain = await compound_chain(session, compound_id)
    if chain is None:
        raise DomainError(N_("That compound does not exist."))
    scopes = [
        (ScopeKind.COMPOUND, chain.compound_id),
        (ScopeKind.COMMUNITY, chain.community_id),
        (ScopeKind.SUB_DISTRICT, chain.sub_district_id),
        (ScopeKind.DISTRICT, chain.district_id),
        (ScopeKind.CITY, chain.city_id),
    ]
    found: list[Held] = []
    for kind, scope_id in scopes:
        place = await scope_name(session, kind, scope_id)
        for g, r in await session.exec(
            select(RoleGrant, Resident)
            .join(Resident, col(Resident.id) == col(RoleGrant.resident_id))
            .where(col(RoleGrant.scope_kind) == kind, col(RoleGrant.scope_id) == scope_id)
        ):
            found.append(
                Held(place, g.role, _name(r), r.telegram_id, g.granted_at, resident_id=r.id)
            )
        for h, r in await session.exec(
            select(RoleGrantHistory, Resident)
            .join(Resident, col(Resident.id) == col(RoleGrantHistory.resident_id))
            .where(
                col(RoleGrantHistory.scope_kind) == kind, col(RoleGrantHistory.scope_id) == scope_id
            )
        ):
            found.append(
                Held(
                    place,
                    h.role,
                    _name(r),
                    r.telegram_id,
                    h.started_at,
                    h.ended_at,
                    h.reason,
                    resident_id=r.id,
                )
            )
    return sorted(found, key=lambda h: (h.started_at, h.ended_at is None))


async def transfers_of(session: AsyncSession, household_id: int) -> list[HouseholdTransfer]:
    """The home's recorded sales, oldest first (applied or still to come)."""
    return list(
        (
            await session.exec(
                select(HouseholdTransfer)
                .where(col(HouseholdTransfer.household_id) == household_id)
                .order_by(col(HouseholdTransfer.effective_at), col(HouseholdTransfer.id))
            )
        ).all()
    )
