"""Which places a role grant covers: a grant over a district covers every compound in it; a grant
over a grid or a building, the compounds of its homes. Cached per session (one update)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel.ext.asyncio.session import AsyncSession

from models import Building, Community, District, Grid, ScopeKind, SubDistrict
from services.actors import RoleScope
from services.places import Scope, compound_chain, compound_ids_in_scope

Place = int | Scope  # a compound id, or a place at any level (the KPI report)


async def covered(session: AsyncSession, grants: Iterable[RoleScope], place: Place) -> bool:
    """Whether one of the grants covers the place."""
    if isinstance(place, Scope):
        chain = await ancestors(session, place.kind, place.id)
        return any((g.scope_kind, g.scope_id) in chain for g in grants)
    chain = await ancestors(session, ScopeKind.COMPOUND, place)
    for grant in grants:
        if (grant.scope_kind, grant.scope_id) in chain:
            return True
        if await grant_covers(session, grant.scope_kind, grant.scope_id, place):
            return True
    return False


async def grant_covers(session: AsyncSession, kind: str, scope_id: int, compound_id: int) -> bool:
    """A grant over a grid or a building covers the compounds of its homes."""
    if kind not in (ScopeKind.GRID, ScopeKind.BUILDING):
        return False
    cache: dict[tuple[str, int], set[int]] = session.info.setdefault("policy_below", {})
    if (kind, scope_id) not in cache:
        cache[(kind, scope_id)] = set(
            (await session.exec(compound_ids_in_scope(kind, scope_id))).all()
        )
    return compound_id in cache[(kind, scope_id)]


async def ancestors(session: AsyncSession, kind: str, scope_id: int) -> set[tuple[str, int]]:
    """The place and every place above it, as (kind, id) pairs; cached for the session."""
    cache: dict[tuple[str, int], set[tuple[str, int]]] = session.info.setdefault("policy_up", {})
    key = (str(kind), scope_id)
    if key not in cache:
        cache[key] = await _load_ancestors(session, ScopeKind(kind), scope_id)
    return cache[key]


async def _load_ancestors(
    session: AsyncSession, kind: ScopeKind, scope_id: int
) -> set[tuple[str, int]]:
    found: set[tuple[str, int]] = {(kind.value, scope_id)}
    community: int | None = None
    if kind in (ScopeKind.COMPOUND, ScopeKind.BUILDING):
        compound_id = scope_id
        if kind == ScopeKind.BUILDING:
            building = await session.get(Building, scope_id)
            compound_id = building.compound_id if building else 0
        chain = await compound_chain(session, compound_id)
        if chain is None:
            return found
        found |= {
            (ScopeKind.COMPOUND.value, chain.compound_id),
            (ScopeKind.COMMUNITY.value, chain.community_id),
            (ScopeKind.SUB_DISTRICT.value, chain.sub_district_id),
            (ScopeKind.DISTRICT.value, chain.district_id),
            (ScopeKind.CITY.value, chain.city_id),
        }
        return found
    if kind == ScopeKind.GRID:
        grid = await session.get(Grid, scope_id)
        community = grid.community_id if grid else None
    elif kind == ScopeKind.COMMUNITY:
        community = scope_id
    sub_district = None
    if community is not None:
        found.add((ScopeKind.COMMUNITY.value, community))
        row = await session.get(Community, community)
        sub_district = row.sub_district_id if row else None
    elif kind == ScopeKind.SUB_DISTRICT:
        sub_district = scope_id
    district = None
    if sub_district is not None:
        found.add((ScopeKind.SUB_DISTRICT.value, sub_district))
        row_s = await session.get(SubDistrict, sub_district)
        district = row_s.district_id if row_s else None
    elif kind == ScopeKind.DISTRICT:
        district = scope_id
    if district is not None:
        found.add((ScopeKind.DISTRICT.value, district))
        row_d = await session.get(District, district)
        if row_d is not None:
            found.add((ScopeKind.CITY.value, row_d.city_id))
    return found
