"""What a vote's printed documents carry: the paper ballots (纸质选票, one per eligible home with
its code) and the result notice to post (表决结果公告). The drawing is in views/documents."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_
from models import Building, Compound, Household, Poll, PollStatus
from services import audit
from services.actors import Actor
from services.ballot_codes import ballot_code
from services.errors import DomainError
from services.places import household_label
from services.policy import Permission, authorize
from services.vote_ballots import visible_poll
from services.vote_eligibility import building_names, snapshot_homes
from services.vote_objections import objection_count

NOT_PRINTABLE = N_("Paper ballots are printed for announced or open votes.")
NO_RESULT = N_("The result notice can be printed once the vote has closed and been counted.")


@dataclass(frozen=True)
class BallotHome:
    household_id: int
    label: str  # 1栋 1单元 101
    code: str  # V12-H345-K7QX2MPA


@dataclass(frozen=True)
class PaperBallots:
    poll: Poll
    compound: str
    buildings: list[str]  # the vote's buildings (none: the whole compound)
    homes: list[BallotHome]


@dataclass(frozen=True)
class ResultNotice:
    poll: Poll
    compound: str
    buildings: list[str]
    objections: int


def natural(text: str) -> list[object]:
    """Sort key: 2栋 before 10栋."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


async def _compound_name(session: AsyncSession, poll: Poll) -> str:
    compound = await session.get(Compound, poll.compound_id)
    return compound.name if compound else ""


async def _home_ids(session: AsyncSession, poll: Poll) -> set[int]:
    """The snapshot once voting opened; before, the homes in the vote's scope."""
    if poll.status == PollStatus.OPEN:
        return await snapshot_homes(session, poll)
    statement = select(col(Household.id)).where(col(Household.compound_id) == poll.compound_id)
    if poll.building_ids:
        statement = statement.where(col(Household.building_id).in_(poll.building_ids))
    return {home for home in (await session.exec(statement)).all() if home is not None}


async def paper_ballots(
    session: AsyncSession, actor: Actor | None, poll_id: int, *, now: datetime
) -> PaperBallots:
    """One ballot per eligible home, each with the code that names the vote and the home."""
    poll = await visible_poll(session, actor, poll_id)
    await authorize(session, actor, Permission.VOTE_PRINT_BALLOTS, poll.compound_id)
    if poll.status not in (PollStatus.PUBLISHED, PollStatus.OPEN):
        raise DomainError(NOT_PRINTABLE)
    ids = await _home_ids(session, poll)
    rows = await session.exec(
        select(col(Household.id), col(Building.name), col(Household.unit), col(Household.room))
        .join(Building, col(Building.id) == col(Household.building_id))
        .where(col(Household.id).in_(ids))
    )
    homes = [
        BallotHome(home, household_label(building, unit, room), ballot_code(poll, home))
        for home, building, unit, room in rows
        if home is not None
    ]
    homes.sort(key=lambda h: natural(h.label))
    audit.record(
        session,
        at=now,
        actor_id=actor.resident_id if actor else None,
        action="vote.print_ballots",
        subject_type="poll",
        subject_id=poll.id,
        homes=len(homes),
    )
    return PaperBallots(
        poll,
        await _compound_name(session, poll),
        await building_names(session, poll.building_ids),
        homes,
    )


async def result_notice(session: AsyncSession, actor: Actor | None, poll_id: int) -> ResultNotice:
    """A closed vote's result with its publication dates, for the committee to post."""
    poll = await visible_poll(session, actor, poll_id)
    await authorize(session, actor, Permission.VOTE_EXPORT, poll.compound_id)
    if poll.status != PollStatus.CLOSED or not poll.result:
        raise DomainError(NO_RESULT)
    return ResultNotice(
        poll,
        await _compound_name(session, poll),
        await building_names(session, poll.building_ids),
        await objection_count(session, poll),
    )
