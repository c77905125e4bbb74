"""A vote being drafted in the bot, kept step by step in the database (a restart loses nothing)
until the committee member publishes it; publishing applies every rule of services.votes.draft."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_
from models import Building, Compound, Household, Membership, Poll, PollKind, PollStatus, Resident
from services import pending, votes
from services.actors import Actor
from services.errors import DomainError, NotAllowed
from services.tally import MatterType

PURPOSE = "poll_draft"


async def start(
    session: AsyncSession, actor: Actor, compound_id: int, *, now: datetime, tz: ZoneInfo
) -> dict[str, Any]:
    if compound_id not in {c.id for c in await votes.drafting_compounds(session, actor)}:
        raise NotAllowed(
            N_(
                "Only owners' committee members and administrators of this compound can draft votes."
            )
        )
    compound = await session.get(Compound, compound_id)
    notice, opens, closes = votes.default_times(now, tz, compound.vote_notice_days)
    data = {
        "compound_id": compound_id, "title": "", "body": "", "kind": PollKind.RESOLUTION.value,
        "matter": MatterType.ORDINARY.value, "item": None, "candidates": [], "seats": 1,
        "buildings": [], "notice_at": notice.isoformat(), "opens_at": opens.isoformat(),
        "closes_at": closes.isoformat(),
    }  # fmt: skip
    await pending.expect(session, actor, PURPOSE, compound_id, now=now, **data)
    return data


async def load(session: AsyncSession, actor: Actor) -> dict[str, Any]:
    row = await pending.current(session, actor)
    if row.purpose != PURPOSE:
        raise DomainError(N_("This button is no longer valid. Please start again from the menu."))
    return dict(row.data)


async def update(
    session: AsyncSession, actor: Actor, *, now: datetime, **changes: Any
) -> dict[str, Any]:
    data = await load(session, actor)
    data.update(changes)
    await pending.expect(session, actor, PURPOSE, data["compound_id"], now=now, **data)
    return data


def times(data: dict[str, Any]) -> tuple[datetime, datetime, datetime]:
    return tuple(datetime.fromisoformat(data[k]) for k in ("notice_at", "opens_at", "closes_at"))  # type: ignore[return-value]


async def set_times(
    session: AsyncSession, actor: Actor, notice_at: datetime, opens_at: datetime,
    closes_at: datetime, *, now: datetime,
) -> dict[str, Any]:  # fmt: skip
    """Checked at once, so the drafter can correct them before the preview."""
    data = await load(session, actor)
    compound = await session.get(Compound, data["compound_id"])
    votes.check_times(
        notice_at,
        opens_at,
        closes_at,
        now=now,
        min_notice=timedelta(days=compound.vote_notice_days),
    )
    return await update(
        session, actor, now=now, notice_at=notice_at.isoformat(), opens_at=opens_at.isoformat(),
        closes_at=closes_at.isoformat(),
    )  # fmt: skip


async def toggle_building(
    session: AsyncSession, actor: Actor, building_id: int, *, now: datetime
) -> dict[str, Any]:
    data = await load(session, actor)
    building = await session.get(Building, building_id)
    if building is None or building.compound_id != data["compound_id"]:
        raise DomainError(N_("Choose buildings of this compound."))
    chosen = set(data["buildings"]) ^ {building_id}
    return await update(session, actor, now=now, buildings=sorted(chosen))


async def buildings(session: AsyncSession, compound_id: int) -> list[Building]:
    return list(
        (await session.exec(select(Building).where(Building.compound_id == compound_id).order_by(Building.name))).all()
    )  # fmt: skip


def preview_poll(data: dict[str, Any]) -> Poll:
    """An unsaved Poll, so the preview is rendered by the very code owners will see."""
    notice_at, opens_at, closes_at = times(data)
    return Poll(
        id=0, compound_id=data["compound_id"], title=data["title"], body=data["body"],
        kind=data["kind"], matter=data["matter"], special_item=data["item"], seats=data["seats"],
        candidates=data["candidates"], building_ids=data["buildings"], notice_at=notice_at,
        opens_at=opens_at, closes_at=closes_at, status=PollStatus.PUBLISHED, created_at=notice_at,
    )  # fmt: skip


async def scope_counts(session: AsyncSession, data: dict[str, Any]) -> tuple[int, int]:
    """(homes in scope, owners of them registered in the bot)."""
    homes = select(Household.id).where(Household.compound_id == data["compound_id"])
    if data["buildings"]:
        homes = homes.where(col(Household.building_id).in_(data["buildings"]))
    count = (await session.exec(select(func.count()).select_from(homes.subquery()))).one()
    owners = (
        await session.exec(
            select(func.count(func.distinct(Membership.resident_id)))
            .join(Resident, Resident.id == Membership.resident_id)
            .where(col(Membership.household_id).in_(homes))
            .where(col(Membership.kind).in_(votes.OWNER_KINDS))
            .where(col(Resident.telegram_id).is_not(None))
        )
    ).one()
    return count, owners


async def publish(session: AsyncSession, actor: Actor, *, now: datetime) -> Poll:
    data = await load(session, actor)
    notice_at, opens_at, closes_at = times(data)
    poll = await votes.draft(
        session, actor, compound_id=data["compound_id"], title=data["title"], body=data["body"],
        notice_at=notice_at, opens_at=opens_at, closes_at=closes_at, now=now,
        matter=data["matter"], special_item=data["item"],
        candidates=data["candidates"] if data["kind"] == PollKind.ELECTION else None,
        seats=data["seats"], building_ids=data["buildings"],
    )  # fmt: skip
    await pending.take(session, actor, PURPOSE)
    return poll
