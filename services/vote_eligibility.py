"""Who votes in an owners'-assembly vote (DOMAIN §5): the eligibility snapshot taken at the
opening (one row per headcount unit with its area), the voter a person is, and the owners to
tell. Owners only; tenants and family members never."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.db import insert_many
from core.i18n import N_
from models import (
    Building,
    EligibleHome,
    EligibleVoter,
    Household,
    Membership,
    MembershipHistory,
    MembershipKind,
    Poll,
    PollStatus,
    Resident,
)
from services.actors import Actor
from services.errors import NotAllowed
from services.notify import Recipient
from services.policy import Permission, authorize, rule
from services.roster_columns import identity_phone
from services.tally import Unit
from services.transfers import transferred_after
from services.unit_reads import forget, remembered

OWNER_KINDS = (MembershipKind.OWNER, MembershipKind.CO_OWNER)
NOT_IN_SCOPE = N_("Your home is not among the units this vote is for.")
BOUGHT_DURING_VOTE = N_(
    "Your home changed owners after this vote opened. Its vote stays with the owners at the "
    "opening; you will vote in the next one."
)


def _identity(owner_phone: str | None, bot_owners: set[str]) -> frozenset[str]:
    """Who holds the unit, for headcount: the buyer in the roster (by phone) when known, else the
    owners who joined the bot (co-owners together are one buyer), else the unit alone. Of
    several phones in the roster's cell the first identifies the buyer."""
    phone = identity_phone(owner_phone)
    if phone:
        digest = hashlib.sha256(phone.encode()).hexdigest()[:16]
        return frozenset({f"p:{digest}"})
    return frozenset(bot_owners)


async def take_snapshot(session: AsyncSession, poll: Poll) -> int:
    """Who may vote and with what area, fixed when voting opens (owners only; tenants never)."""
    # Core rows (a compound has thousands of homes): no ORM loading.
    statement = sa.select(
        col(Household.id),
        col(Household.registered_area),
        col(Household.surveyed_area),
        col(Household.contract_area),
        col(Household.owner_phone),
        col(Household.developer_unit),
    ).where(col(Household.compound_id) == poll.compound_id)
    if poll.building_ids:
        statement = statement.where(col(Household.building_id).in_(poll.building_ids))
    connection = await session.connection()
    households: list[Any] = list((await connection.execute(statement)).all())
    owners: dict[int, set[str]] = {}
    owner_ids: dict[int, list[int]] = {}
    for household_id, resident_id in await session.exec(
        select(col(Membership.household_id), col(Membership.resident_id))
        .join(Household, col(Household.id) == col(Membership.household_id))
        .where(col(Household.compound_id) == poll.compound_id)
        .where(col(Membership.kind).in_(OWNER_KINDS))
    ):
        owners.setdefault(household_id, set()).add(f"r{resident_id}")
        owner_ids.setdefault(household_id, []).append(resident_id)
    units = [
        Unit(
            home_id,
            next((a for a in (registered, surveyed, contract) if a is not None), Decimal(0)),
            _identity(phone, owners.get(home_id, set())),
            developer=developer,
        )  # the area that counts: registered, else surveyed, else contract (DOMAIN §5)
        for home_id, registered, surveyed, contract, phone, developer in households
    ]
    grouped: dict[str, tuple[Decimal, list[int], bool]] = {}
    for unit in units:
        area, members, developer = grouped.get(unit.voter, (Decimal(0), [], unit.developer))
        grouped[unit.voter] = (area + unit.area, [*members, unit.unit_id], developer)
    voters = [
        {
            "poll_id": poll.id,
            "voter_key": key,
            "area": area,
            "household_ids": members,
            "developer": developer,
        }
        for key, (area, members, developer) in grouped.items()
    ]
    homes = [
        {
            "poll_id": poll.id,
            "household_id": home,
            "voter_key": key,
            "owner_ids": sorted(owner_ids.get(home, [])),
        }
        for key, (_area, members, _developer) in grouped.items()
        for home in members
    ]
    forget(session, {"eligible_home"})  # written below through Core, not the ORM
    await insert_many(session, EligibleVoter, voters)
    await insert_many(session, EligibleHome, homes)
    return len(grouped)


def in_scope(poll: Poll, building_id: int, compound_id: int) -> bool:
    return compound_id == poll.compound_id and (
        not poll.building_ids or building_id in poll.building_ids
    )


async def voter_of(session: AsyncSession, actor: Actor, poll: Poll) -> EligibleVoter:
    """The headcount unit the person votes for (DOMAIN §9: eligibility is the snapshot at the
    opening): a home they owned at the opening (even if sold since), else a home they own now
    unless it changed owners after the opening (the buyer of a home sold during the vote)."""
    held = await held_at_opening(session, actor, poll)
    if held is not None:
        return await voter_by_key(session, poll, held)
    await authorize(session, actor, Permission.VOTE_CAST, poll.compound_id)
    owned = {t.household_id for t in actor.households if t.is_owner}
    if not owned:
        raise NotAllowed(rule(Permission.VOTE_CAST).refusal)
    rows = (
        await session.exec(
            select(col(EligibleHome.household_id), col(EligibleHome.voter_key))
            .where(col(EligibleHome.poll_id) == poll.id)
            .where(col(EligibleHome.household_id).in_(owned))
            .order_by(col(EligibleHome.household_id))
        )
    ).all()
    if not rows:
        raise NotAllowed(NOT_IN_SCOPE)
    sold = await transferred_after(session, poll.opened_at or poll.opens_at, owned)
    key = next((key for home, key in rows if home not in sold), None)
    if key is None:
        raise NotAllowed(BOUGHT_DURING_VOTE)
    return await voter_by_key(session, poll, key)


async def held_at_opening(session: AsyncSession, actor: Actor, poll: Poll) -> str | None:
    """The voter key of a home the person owned when the vote opened (its snapshot says so),
    whether or not they still own it, or None."""
    me = actor.resident_id
    if me is None or poll.status not in (PollStatus.OPEN, PollStatus.CLOSED):
        return None
    owned = frozenset(t.household_id for t in actor.households if t.is_owner)
    key = ("held_at_opening", me, poll.id, poll.status, owned)
    return await remembered(
        session, _HELD_READS, key, lambda: _held_at_opening(session, me, poll, owned)
    )


_HELD_READS = frozenset({"membership_history", "eligible_home"})


async def _held_at_opening(
    session: AsyncSession, me: int, poll: Poll, owned: frozenset[int]
) -> str | None:
    # Homes owned now or once (a few rows per person); the snapshot decides which count.
    homes = set(owned)
    homes |= set(
        (
            await session.exec(
                select(col(MembershipHistory.household_id))
                .where(col(MembershipHistory.resident_id) == me)
                .where(col(MembershipHistory.kind).in_(OWNER_KINDS))
            )
        ).all()
    )
    if not homes:
        return None
    rows = await session.exec(
        select(col(EligibleHome.voter_key), col(EligibleHome.owner_ids))
        .where(col(EligibleHome.poll_id) == poll.id)
        .where(col(EligibleHome.household_id).in_(homes))
        .order_by(col(EligibleHome.household_id))
    )
    return next((key for key, owners in rows if me in (owners or [])), None)


async def transferred_during(session: AsyncSession, poll: Poll) -> set[int]:
    """The homes of the vote's snapshot sold (transfer applied) after its opening, before its
    close: the record marks them."""
    if poll.opened_at is None:
        return set()
    homes = await transferred_after(session, poll.opened_at, await snapshot_homes(session, poll))
    if poll.closed_at is None:
        return homes
    late = await transferred_after(session, poll.closed_at, homes)
    return homes - late


async def voter_by_key(session: AsyncSession, poll: Poll, key: str) -> EligibleVoter:
    return (
        await session.exec(
            select(EligibleVoter)
            .where(col(EligibleVoter.poll_id) == poll.id)
            .where(col(EligibleVoter.voter_key) == key)
        )
    ).one()


async def voter_of_home(
    session: AsyncSession, poll: Poll, household_id: int
) -> EligibleVoter | None:
    """The headcount unit a home of the snapshot belongs to (paper ballots), or None."""
    key = (
        await session.exec(
            select(col(EligibleHome.voter_key))
            .where(col(EligibleHome.poll_id) == poll.id)
            .where(col(EligibleHome.household_id) == household_id)
        )
    ).first()
    return None if key is None else await voter_by_key(session, poll, key)


async def may_vote(session: AsyncSession, actor: Actor, poll: Poll) -> EligibleVoter | None:
    """The voter the person is in this vote, or None. Before the opening there is no snapshot:
    an owner of a home in scope will vote then (and gets no voter yet)."""
    if poll.status not in (PollStatus.OPEN, PollStatus.CLOSED):
        return None
    try:
        return await voter_of(session, actor, poll)
    except NotAllowed:
        return None


def will_vote(actor: Actor, poll: Poll) -> bool:
    """Before the opening: whether the person owns a home in the vote's scope."""
    return any(
        t.is_owner and in_scope(poll, t.building_id, t.compound_id) for t in actor.households
    )


async def owner_recipients(
    session: AsyncSession, poll: Poll, *, household_ids: set[int] | None = None
) -> list[Recipient]:
    """Reachable owners and co-owners of the homes in the vote's scope (or of the given homes)."""
    statement = (
        select(
            col(Resident.id),
            col(Resident.telegram_id),
            col(Resident.language),
            func.min(col(Membership.household_id)),
        )
        .join(Membership, col(Membership.resident_id) == col(Resident.id))
        .join(Household, col(Household.id) == col(Membership.household_id))
        .where(col(Household.compound_id) == poll.compound_id)
        .where(col(Membership.kind).in_(OWNER_KINDS))
        .where(col(Resident.telegram_id).is_not(None))
        .where(col(Resident.consent_at).is_not(None))
        .group_by(col(Resident.id), col(Resident.telegram_id), col(Resident.language))
        .order_by(col(Resident.id))
    )
    if poll.building_ids:
        statement = statement.where(col(Household.building_id).in_(poll.building_ids))
    if household_ids is not None:
        statement = statement.where(col(Household.id).in_(household_ids))
    return [Recipient.from_row(row) for row in await session.exec(statement)]


async def snapshot_homes(session: AsyncSession, poll: Poll) -> set[int]:
    """Every home in the vote's snapshot."""
    rows = await session.exec(
        select(col(EligibleVoter.household_ids)).where(col(EligibleVoter.poll_id) == poll.id)
    )
    return {home for ids in rows for home in ids}


async def scope_counts(
    session: AsyncSession, compound_id: int, building_ids: list[int]
) -> tuple[int, int]:
    """(homes in scope, their owners who use the bot): the preview of a draft."""
    homes = select(col(Household.id)).where(col(Household.compound_id) == compound_id)
    if building_ids:
        homes = homes.where(col(Household.building_id).in_(building_ids))
    count = (await session.exec(select(func.count()).select_from(homes.subquery()))).one()
    owners = (
        await session.exec(
            select(func.count(func.distinct(col(Membership.resident_id))))
            .join(Resident, col(Resident.id) == col(Membership.resident_id))
            .where(col(Membership.household_id).in_(homes))
            .where(col(Membership.kind).in_(OWNER_KINDS))
            .where(col(Resident.telegram_id).is_not(None))
        )
    ).one()
    return count, owners


async def building_names(session: AsyncSession, building_ids: list[int]) -> list[str]:
    """The names of a vote's buildings (none: the whole compound)."""
    if not building_ids:
        return []
    return list(
        (
            await session.exec(
                select(col(Building.name))
                .where(col(Building.id).in_(building_ids))
                .order_by(col(Building.name))
            )
        ).all()
    )
