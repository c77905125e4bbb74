"""What a vote publishes to its owners, the way Chinese compounds do it (DOMAIN §9): the
denominators when voting opens, the preliminary result (初步结果) at the close, then — after the
compound's objection period — the final result (最终结果). Each step is marked done in the same
transaction that records whom to tell, so a tick that runs twice, or after a restart, tells
nobody twice."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from core.db import dialect
from core.i18n import N_
from models import Compound, Poll, PollStatus, Role
from services import audit, notify
from services.actors import Actor
from services.errors import DomainError, NotFound
from services.notify import Recipient
from services.policy import Permission, authorize, holders
from services.vote_eligibility import owner_recipients, snapshot_homes
from services.vote_objections import objection_count
from services.vote_turnout import denominators

OPENING = "votes.opening"
PRELIMINARY = "votes.preliminary"
RESULT_CHART = "votes.result_chart"
FINAL = "votes.final"
OBJECTION_DAYS = range(1, 4)  # results are final within the 3 days of DOMAIN §5


def _claimed(session: AsyncSession, statement: SelectOfScalar[Poll]) -> SelectOfScalar[Poll]:
    """Rows another process is working on are skipped (PostgreSQL), so two ticks share the work."""
    if dialect(session) == "postgresql":
        return statement.with_for_update(skip_locked=True)
    return statement


async def _due(session: AsyncSession, statement: SelectOfScalar[Poll]) -> list[Poll]:
    return list((await session.exec(_claimed(session, statement.order_by(col(Poll.id))))).all())


async def eligible_owners(session: AsyncSession, poll: Poll) -> list[Recipient]:
    """The reachable owners of the homes in the vote's eligibility snapshot."""
    return await owner_recipients(session, poll, household_ids=await snapshot_homes(session, poll))


async def result_readers(session: AsyncSession, poll: Poll) -> list[Recipient]:
    """Whom a result goes to: the owners who were eligible, and the committee."""
    people = await eligible_owners(session, poll)
    seen = {p.resident_id for p in people}
    committee = await holders(
        session, Permission.VOTE_DRAFT, poll.compound_id, only=[Role.COMMITTEE]
    )
    return people + [Recipient.of(r) for r in committee if r.id not in seen]


async def announce_openings(session: AsyncSession, *, now: datetime) -> int:
    """Each vote that has opened (its snapshot taken) is announced to its owners once, with the
    denominators of the snapshot; what was published is kept for the record."""
    polls = await _due(
        session,
        select(Poll)
        .where(col(Poll.status) == PollStatus.OPEN)
        .where(col(Poll.opening_sent_at).is_(None)),
    )
    for poll in polls:
        poll.published_area, poll.published_headcount = await denominators(session, poll)
        poll.opening_sent_at = now
        notify.tell(
            session,
            f"poll:{poll.id}:opening",
            OPENING,
            await eligible_owners(session, poll),
            now=now,
            poll=poll,
        )
    return len(polls)


async def publish_preliminary(session: AsyncSession, *, now: datetime) -> int:
    """The preliminary result of each closed vote — the text with every figure, then the chart —
    to the owners who were eligible and the committee; the objection period starts with it."""
    polls = await _due(
        session,
        select(Poll)
        .where(col(Poll.status) == PollStatus.CLOSED)
        .where(col(Poll.preliminary_sent_at).is_(None)),
    )
    for poll in polls:
        compound = await session.get(Compound, poll.compound_id)
        days = compound.vote_objection_days if compound is not None else max(OBJECTION_DAYS)
        poll.preliminary_sent_at, poll.objection_until = now, now + timedelta(days=days)
        people = await result_readers(session, poll)
        notify.tell(session, f"poll:{poll.id}:result", PRELIMINARY, people, now=now, poll=poll)
        notify.tell(
            session,
            f"poll:{poll.id}:result-chart",
            RESULT_CHART,
            people,
            now=now,
            poll_id=poll.id,
            title=poll.title,
            result=poll.result,
        )
        _audit(session, poll, "poll.preliminary", now=now)
    return len(polls)


async def publish_final(session: AsyncSession, *, now: datetime) -> int:
    """After its objection period, the final result of each vote, with how many objections were
    received, to the same people; once."""
    polls = await _due(
        session,
        select(Poll)
        .where(col(Poll.status) == PollStatus.CLOSED)
        .where(col(Poll.preliminary_sent_at).is_not(None))
        .where(col(Poll.final_sent_at).is_(None))
        .where(col(Poll.objection_until) <= now),
    )
    for poll in polls:
        poll.final_sent_at = now
        count = await objection_count(session, poll)
        notify.tell(
            session,
            f"poll:{poll.id}:final",
            FINAL,
            await result_readers(session, poll),
            now=now,
            poll=poll,
            objections=count,
        )
        _audit(session, poll, "poll.final", now=now, objections=count)
    return len(polls)


def _audit(
    session: AsyncSession, poll: Poll, action: str, *, now: datetime, **data: object
) -> None:
    audit.record(
        session,
        at=now,
        actor_id=None,
        action=action,
        subject_type="poll",
        subject_id=poll.id,
        **data,
    )


async def set_objection_days(
    session: AsyncSession, actor: Actor | None, compound_id: int, days: int
) -> Compound:
    """The compound's objection period: 1 to 3 days after the preliminary result."""
    await authorize(session, actor, Permission.VOTE_CONFIGURE, compound_id)
    compound = await session.get(Compound, compound_id)
    if compound is None:
        raise NotFound(N_("That compound does not exist."))
    if days not in OBJECTION_DAYS:
        raise DomainError(
            N_(
                "The objection period must be 1 to 3 days: results are final within 3 days of the close."
            )
        )
    compound.vote_objection_days = days
    return compound
