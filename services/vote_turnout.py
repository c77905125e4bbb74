"""How many take part in an open vote, from its eligibility snapshot: the denominators (total
exclusive area and headcount) told to owners at the opening, and the live turnout the committee
and liaisons follow during the vote — participation only, never anyone's choice or a running
count of agree and disagree."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

import sqlalchemy as sa
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from core.db import rows
from models import Ballot, EligibleVoter, Poll, PollStatus
from services.actors import Actor
from services.errors import DomainError
from services.policy import Permission, authorize
from services.tally import QUORUM
from services.vote_ballots import NOT_OPEN, visible_poll

# Areas are summed as whole fen (integers), so the sums are exact on SQLite as on PostgreSQL.
_FEN = sa.func.sum(sa.cast(sa.func.round(col(EligibleVoter.area) * 100), sa.BigInteger))


@dataclass(frozen=True)
class Turnout:
    """Participation in a vote at a moment: by area (㎡, exact) and by headcount."""

    poll: Poll
    at: datetime | None  # None: as the card is shown
    area_total: Decimal
    area_taking_part: Decimal
    head_total: int
    head_taking_part: int

    @property
    def quorum(self) -> bool:
        """Whether those taking part so far already make the 2/3 quorum on both counts."""
        return (
            self.area_total > 0
            and Fraction(self.area_taking_part) >= QUORUM * Fraction(self.area_total)
            and self.head_taking_part >= QUORUM * self.head_total
        )


async def _sums(session: AsyncSession, poll: Poll, *, voted: bool) -> tuple[int, Decimal]:
    statement = sa.select(sa.func.count(), _FEN).where(col(EligibleVoter.poll_id) == poll.id)
    if voted:
        keys = sa.select(col(Ballot.voter_key)).where(col(Ballot.poll_id) == poll.id)
        statement = statement.where(col(EligibleVoter.voter_key).in_(keys))
    count, cents = (await rows(session, statement))[0]
    return int(count), Decimal(int(cents or 0)) / 100


async def denominators(session: AsyncSession, poll: Poll) -> tuple[Decimal, int]:
    """(total exclusive area in ㎡, total headcount) of the vote's snapshot."""
    head, area = await _sums(session, poll, voted=False)
    return area, head


async def turnout(session: AsyncSession, poll: Poll, *, now: datetime | None = None) -> Turnout:
    """Who has taken part so far (any ballot, abstentions too), against the snapshot."""
    head_total, area_total = await _sums(session, poll, voted=False)
    head, area = await _sums(session, poll, voted=True)
    return Turnout(poll, now, area_total, area, head_total, head)


async def live(
    session: AsyncSession, actor: Actor | None, poll_id: int, *, now: datetime
) -> Turnout:
    """The live turnout of an open vote, for the compound's committee, liaisons and
    administrators."""
    poll = await visible_poll(session, actor, poll_id)
    await authorize(session, actor, Permission.VOTE_TURNOUT, poll.compound_id)
    if poll.status != PollStatus.OPEN:
        raise DomainError(NOT_OPEN)
    return await turnout(session, poll, now=now)
