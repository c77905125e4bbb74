"""Who is acting: the resident behind a Telegram user, their households and scoped roles."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import BigInteger, bindparam
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select

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


# Ties and grants as plain columns, not ORM entities: they are read on every update and never
# changed through the actor, so they skip the identity map. A person has a few of each, so the
# rows (ties x grants) stay few. Built once: a statement built per update cost more CPU in
# building and in working out its cache key than running it (benchmarks/mixed.py).
_ACTOR: Any = (
    Select(
        Resident,
        col(Membership.id),
        col(Membership.household_id),
        col(Membership.kind),
        col(Household.compound_id),
        col(Household.building_id),
        col(Household.grid_id),
        col(Building.name),
        col(Household.unit),
        col(Household.room),
        col(RoleGrant.id),
        col(RoleGrant.role),
        col(RoleGrant.scope_kind),
        col(RoleGrant.scope_id),
    )
    .outerjoin(Membership, col(Membership.resident_id) == col(Resident.id))
    .outerjoin(Household, col(Household.id) == col(Membership.household_id))
    .outerjoin(Building, col(Building.id) == col(Household.building_id))
    .outerjoin(RoleGrant, col(RoleGrant.resident_id) == col(Resident.id))
    .where(col(Resident.telegram_id) == bindparam("telegram_id", type_=BigInteger()))
    .order_by(col(Resident.id))
)


async def load_actor(session: AsyncSession, telegram_id: int) -> Actor:
    """One indexed query: the resident with their ties and grants (outer joins, so a person
    with none still comes back); an unknown user is an Actor without a resident."""
    found: Sequence[Any] = (await session.exec(_ACTOR, params={"telegram_id": telegram_id})).all()
    if not found:
        return Actor(telegram_id=telegram_id)
    resident = found[0][0]
    ties: dict[int, HouseholdTie] = {}
    grants: dict[int, RoleScope] = {}
    for row in found:
        if row[0] is not resident:  # telegram_id is unique; the first resident only
            continue
        (_, tie_id, home, kind, compound, building_id, grid, building, unit, room) = row[:10]
        if tie_id is not None and tie_id not in ties:
            ties[tie_id] = HouseholdTie(
                household_id=home,
                kind=kind,
                compound_id=compound,
                building_id=building_id,
                grid_id=grid,
                label=household_label(building, unit, room),
            )
        grant_id, role, scope_kind, scope_id = row[10:]
        if grant_id is not None and grant_id not in grants:
            grants[grant_id] = RoleScope(role, scope_kind, scope_id)
    return Actor(
        telegram_id=telegram_id,
        resident=resident,
        households=[ties[i] for i in sorted(ties)],
        roles=[grants[i] for i in sorted(grants)],
    )
