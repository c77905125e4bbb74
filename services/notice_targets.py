"""Whom a notice reaches: the homes of its target (all, owners, buildings, grids, homes with an
overdue fee) and the registered, reachable people in them, or the holders of a role."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import false, func, or_, true
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from models import (
    Bill,
    Building,
    Grid,
    Household,
    Membership,
    MembershipKind,
    Notice,
    Resident,
    RoleGrant,
    TargetKind,
)
from services.notify import Recipient
from services.places import compound_chain

PICKED = (TargetKind.BUILDINGS, TargetKind.GRIDS)  # targets the sender picks items for


@dataclass(frozen=True)
class Choice:
    """A building or grid the sender can tap to include."""

    id: int
    name: str


async def choices(session: AsyncSession, compound_id: int, kind: str) -> list[Choice]:
    """The compound's buildings, or the grids its homes are in, by name."""
    if kind == TargetKind.BUILDINGS:
        rows = await session.exec(
            select(col(Building.id), col(Building.name))
            .where(col(Building.compound_id) == compound_id)
            .order_by(col(Building.name))
        )
    else:
        rows = await session.exec(
            select(col(Grid.id), col(Grid.name))
            .where(
                col(Grid.id).in_(
                    select(col(Household.grid_id)).where(col(Household.compound_id) == compound_id)
                )
            )
            .order_by(col(Grid.name))
        )
    return [Choice(id_, name) for id_, name in rows if id_ is not None]


def target_households(notice: Notice) -> SelectOfScalar[Any]:
    """The ids of the homes a notice is for (none for a notice to a role)."""
    statement = select(col(Household.id)).where(col(Household.compound_id) == notice.compound_id)
    if notice.target_kind == TargetKind.BUILDINGS:
        statement = statement.where(col(Household.building_id).in_(notice.target_ids))
    elif notice.target_kind == TargetKind.GRIDS:
        statement = statement.where(col(Household.grid_id).in_(notice.target_ids))
    elif notice.target_kind == TargetKind.UNPAID:
        overdue = (
            select(col(Bill.household_id))
            .where(col(Bill.compound_id) == notice.compound_id, col(Bill.paid_off) == false())
            .where(col(Bill.due_date) < notice.created_at.date())
        )
        statement = statement.where(col(Household.id).in_(overdue))
    return statement


async def recipients(session: AsyncSession, notice: Notice) -> list[Recipient]:
    """Registered, reachable people the notice goes to: one message per person."""
    if notice.target_kind == TargetKind.ROLE:
        chain = await compound_chain(session, notice.compound_id)
        grants = await session.exec(
            select(col(RoleGrant.scope_kind), col(RoleGrant.scope_id), Resident)
            .join(Resident, col(Resident.id) == col(RoleGrant.resident_id))
            .where(col(RoleGrant.role) == notice.target_role)
            .where(col(Resident.telegram_id).is_not(None))
            .where(col(Resident.consent_at).is_not(None))
        )
        found = {
            r.resident_id: r
            for kind, scope_id, resident in grants
            if chain and chain.contains(kind, scope_id)
            for r in [Recipient.of(resident)]
        }
        return [found[k] for k in sorted(found)]
    statement = (
        select(
            col(Resident.id),
            col(Resident.telegram_id),
            col(Resident.language),
            func.min(col(Membership.household_id)),
        )
        .join(Membership, col(Membership.resident_id) == col(Resident.id))
        .where(col(Membership.household_id).in_(target_households(notice)))
        .where(col(Resident.telegram_id).is_not(None))
        .where(col(Resident.consent_at).is_not(None))
        .group_by(col(Resident.id), col(Resident.telegram_id), col(Resident.language))
        .order_by(col(Resident.id))
    )
    owners = col(Membership.kind).in_([MembershipKind.OWNER, MembershipKind.CO_OWNER])
    if notice.target_kind == TargetKind.OWNERS:
        statement = statement.where(owners)
    elif notice.target_kind == TargetKind.UNPAID:  # bills are the owners' business unless shared
        statement = statement.join(
            Household, col(Household.id) == col(Membership.household_id)
        ).where(or_(owners, col(Household.tenants_see_bills) == true()))
    return [Recipient.from_row(row) for row in await session.exec(statement)]


async def household_count(session: AsyncSession, notice: Notice) -> int:
    """How many homes the notice is for (0 for a notice to a role)."""
    if notice.target_kind == TargetKind.ROLE:
        return 0
    return (
        await session.exec(select(func.count()).select_from(target_households(notice).subquery()))
    ).one()
