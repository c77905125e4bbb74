"""Homes caught voting twice (DOMAIN §5): the flag in a vote's record — a second paper ballot
refused, or accepted as the confirmed replacement of a named earlier one, or a paper ballot for
a home that voted in the bot — with its audit event and the warning to the owners' committee."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Ballot, BallotChannel, BallotFlag, BallotFlagReason, Poll, Resident, Role
from services import audit, notify
from services.actors import Actor
from services.notify import Recipient
from services.places import household_labels
from services.policy import Permission, holders

FLAG = "votes.ballot_flag"
REFERENCE = 8  # hex digits of the receipt hash: what staff note on the paper, and the record shows


@dataclass(frozen=True)
class EarlierBallot:
    """A paper ballot already recorded for a home, as the staff entering another one see it."""

    ballot_id: int
    cast_at: datetime
    entered_by: str | None  # the staff member's name; None: entered on the command line
    reference: str
    choice: list[str]


@dataclass(frozen=True)
class FlagWarning:
    """What the committee is told of a flag: the home and the times, never a choice."""

    reason: BallotFlagReason
    home: str
    entered_by: str | None  # who entered the new ballot (or tried to)
    earlier_at: datetime | None
    earlier_by: str | None


def reference(ballot: Ballot) -> str:
    return ballot.receipt_hash[:REFERENCE]


async def _name(session: AsyncSession, resident_id: int | None) -> str | None:
    if resident_id is None:
        return None
    resident = await session.get(Resident, resident_id)
    return resident.display_name if resident is not None else None


async def latest_paper(session: AsyncSession, poll_id: int, voter_key: str) -> Ballot | None:
    """The paper ballot of a headcount unit that counts now (the latest), if any."""
    return (
        await session.exec(
            select(Ballot)
            .where(col(Ballot.poll_id) == poll_id)
            .where(col(Ballot.voter_key) == voter_key)
            .where(col(Ballot.channel) == BallotChannel.PAPER)
            .order_by(col(Ballot.version).desc())
        )
    ).first()


async def earlier_of(session: AsyncSession, ballot: Ballot) -> EarlierBallot:
    return EarlierBallot(
        ballot.id or 0,
        ballot.cast_at,
        await _name(session, ballot.cast_by),
        reference(ballot),
        list(ballot.choice),
    )


async def flag(
    session: AsyncSession,
    actor: Actor | None,
    poll: Poll,
    *,
    household_id: int,
    voter_key: str,
    reason: BallotFlagReason,
    earlier: Ballot | None,
    ballot: Ballot | None,
    now: datetime,
) -> BallotFlag:
    """Flag the home in the vote's record, audit it and warn the committee (once per flag)."""
    by = actor.resident_id if actor else None
    row = BallotFlag(
        poll_id=poll.id or 0,
        voter_key=voter_key,
        household_id=household_id,
        reason=reason,
        earlier_ballot_id=earlier.id if earlier else None,
        ballot_id=ballot.id if ballot else None,
        flagged_by=by,
        flagged_at=now,
    )
    session.add(row)
    await session.flush()
    audit.record(
        session,
        at=now,
        actor_id=by,
        action="poll.ballot_flag",
        subject_type="poll",
        subject_id=poll.id,
        reason=reason.value,
        household_id=household_id,
        earlier_ballot_id=row.earlier_ballot_id,
        ballot_id=row.ballot_id,
    )
    committee = await holders(
        session, Permission.VOTE_DRAFT, poll.compound_id, only=[Role.COMMITTEE]
    )
    warning = FlagWarning(
        reason,
        (await household_labels(session, [household_id]))[household_id],
        await _name(session, by),
        earlier.cast_at if earlier else None,
        # who entered an earlier paper ballot; an owner's own bot ballot is not named
        await _name(session, earlier.cast_by)
        if earlier and earlier.channel == BallotChannel.PAPER
        else None,
    )
    notify.tell(
        session,
        f"poll:{poll.id}:flag:{row.id}",
        FLAG,
        [Recipient.of(person) for person in committee],
        now=now,
        poll=poll,
        warning=warning,
    )
    return row


@dataclass(frozen=True)
class FlagRow:
    """A flag as the exported record lists it: the home and why, never a choice or a receipt."""

    home: str
    reason: str
    flagged_at: datetime


async def flags_of(session: AsyncSession, poll: Poll) -> list[FlagRow]:
    rows = list(
        (
            await session.exec(
                select(BallotFlag)
                .where(col(BallotFlag.poll_id) == poll.id)
                .order_by(col(BallotFlag.id))
            )
        ).all()
    )
    labels = await household_labels(session, sorted({r.household_id for r in rows}))
    return [
        FlagRow(labels.get(r.household_id, str(r.household_id)), r.reason, r.flagged_at)
        for r in rows
    ]
