"""Who is acting: the resident behind a Telegram user, their households and scoped roles."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.db import rows
from models import Building, Household, Membership, MembershipKind, Resident, RoleGrant
from services.places import household_label


@dataclass(frozen=True)
class HouseholdTie:
    household_id: int
    kind: str
    compound_id: int
    building_id: int
    grid_id: int | None
    label: str

    @property
    def is_owner(self) -> bool:
        return self.kind in (MembershipKind.OWNER, MembershipKind.CO_OWNER)


@dataclass(frozen=True)
class RoleScope:
    role: str
    scope_kind: str
    scope_id: int


@dataclass
class Actor:
    """The person behind an update, loaded once per update."""

    telegram_id: int
    resident: Resident | None = None
    households: list[HouseholdTie] = field(default_factory=list)
    roles: list[RoleScope] = field(default_factory=list)

    @property
    def resident_id(self) -> int | None:
        return self.resident.id if self.resident else None

    @property
    def registered(self) -> bool:
        """Consented and tied to a household or holding a role."""
        return (
            self.resident is not None
            and self.resident.consent_at is not None
            and bool(self.households or self.roles)
        )

    @property
    def is_owner(self) -> bool:
        return any(tie.is_owner for tie in self.households)


async def load_actor(session: AsyncSession, telegram_id: int) -> Actor:
    """Three small indexed queries; an unknown user is an Actor without a resident."""
    resident = (
        await session.exec(select(Resident).where(col(Resident.telegram_id) == telegram_id))
    ).first()
    actor = Actor(telegram_id=telegram_id, resident=resident)
    if resident is None:
        return actor
    # Plain rows, not ORM entities: the ties and grants are read on every update and never
    # changed through the actor, so they skip the identity map.
    ties = await rows(
        session,
        sa.select(
            col(Membership.household_id),
            col(Membership.kind),
            col(Household.compound_id),
            col(Household.building_id),
            col(Household.grid_id),
            col(Building.name),
            col(Household.unit),
            col(Household.room),
        )
        .join(Household, col(Household.id) == col(Membership.household_id))
        .join(Building, col(Building.id) == col(Household.building_id))
        .where(col(Membership.resident_id) == resident.id)
        .order_by(col(Membership.id)),
    )
    actor.households = [
        HouseholdTie(
            household_id=household_id,
            kind=kind,
            compound_id=compound_id,
            building_id=building_id,
            grid_id=grid_id,
            label=household_label(building, unit, room),
        )
        for household_id, kind, compound_id, building_id, grid_id, building, unit, room in ties
    ]
    grants = await session.exec(
        select(col(RoleGrant.role), col(RoleGrant.scope_kind), col(RoleGrant.scope_id))
        .where(col(RoleGrant.resident_id) == resident.id)
        .order_by(col(RoleGrant.id))
    )
    actor.roles = [RoleScope(role, kind, scope_id) for role, kind, scope_id in grants]
    return actor
