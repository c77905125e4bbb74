"""What a person sees of the owners' votes: the list of their compounds' votes, and a vote's card
with their home's current choice and what they may do there (vote, enter a paper ballot, follow
up the homes not yet voted, withdraw the vote, export the record, check the receipts), decided
from the policy; after a ballot, the card again with the new choice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Poll, PollStatus
from services.actors import Actor
from services.policy import Permission, allowed, compound_ids
from services.vote_ballots import (
    Cast,
    Counted,
    TooManyChosen,
    cast,
    cast_selection,
    chosen_candidates,
    current_of,
    ensure_open,
    visible_poll,
)
from services.vote_eligibility import building_names, may_vote, will_vote
from services.vote_objections import objection_count
from services.vote_turnout import Turnout, turnout

LISTED = 10
ORDER = {PollStatus.OPEN: 0, PollStatus.PUBLISHED: 1, PollStatus.CLOSED: 2, PollStatus.CANCELLED: 3}


@dataclass(frozen=True)
class VoteList:
    polls: list[Poll]  # open ones first, then announced, then closed
    not_an_owner: bool  # a resident who is no owner: told that only owners vote


@dataclass(frozen=True)
class CardOutcome:
    """How far the vote's publication is, as this person may see it."""

    turnout: Turnout | None = None  # live, while open: committee, liaisons, administrators
    may_object: bool = False  # an owner who was eligible, in the objection period
    objections: int = 0  # received so far (stated with the final result)
    read_objections: bool = False  # the committee's button


@dataclass(frozen=True)
class VoteCard:
    """A vote as one person sees it, and the buttons they get."""

    poll: Poll
    buildings: list[str]  # the vote's buildings (none: the whole compound)
    voter: bool  # their home votes in it
    ballot: Counted | None  # the ballot that counts for their home
    not_an_owner: bool
    mask: int = 0  # the candidates ticked so far on an election ballot
    vote: bool = False  # the ballot buttons
    not_voted_list: bool = False
    paper_ballot: bool = False
    print_ballots: bool = False  # the paper ballots to print, one per home (announced or open)
    export: bool = False
    receipts: bool = False
    withdraw: bool = False
    outcome: CardOutcome = CardOutcome()


def _not_an_owner(actor: Actor) -> bool:
    return bool(actor.households) and not actor.is_owner


async def votes_for(session: AsyncSession, actor: Actor) -> VoteList:
    """/vote: the announced, open and recently closed votes of the person's compounds."""
    compounds = await compound_ids(session, actor, Permission.VOTE_VIEW)
    if not compounds:
        return VoteList([], _not_an_owner(actor))
    statement = (
        select(Poll)
        .where(col(Poll.compound_id).in_(compounds))
        .where(col(Poll.status).in_(list(ORDER)))
        .order_by(col(Poll.closes_at).desc())
        .limit(LISTED)
    )
    found = list((await session.exec(statement)).all())
    found.sort(key=lambda p: (ORDER[PollStatus(p.status)], p.closes_at))
    return VoteList(found, _not_an_owner(actor))


async def card(session: AsyncSession, actor: Actor, poll_id: int, *, mask: int = 0) -> VoteCard:
    """The vote's card; with `mask`, an election ballot being filled in (at most the seats)."""
    poll = await visible_poll(session, actor, poll_id)
    if mask:
        if len(chosen_candidates(poll, mask)) > poll.seats:
            raise TooManyChosen(poll.seats)
        ensure_open(poll, None)
    status = PollStatus(poll.status)
    voter = await may_vote(session, actor, poll)
    votes = voter is not None or (status == PollStatus.PUBLISHED and will_vote(actor, poll))
    place = poll.compound_id
    is_open, is_closed = status == PollStatus.OPEN, status == PollStatus.CLOSED
    on_record = is_closed or status == PollStatus.CANCELLED
    return VoteCard(
        poll=poll,
        buildings=await building_names(session, poll.building_ids),
        voter=votes,
        ballot=None if voter is None else await current_of(session, poll, voter.voter_key),
        not_an_owner=bool(actor.households) and not votes and not actor.roles,
        mask=mask,
        vote=is_open and votes,
        not_voted_list=is_open
        and await allowed(session, actor, Permission.VOTE_NOT_VOTED_LIST, place),
        paper_ballot=is_open and await allowed(session, actor, Permission.VOTE_PAPER_BALLOT, place),
        print_ballots=status in (PollStatus.PUBLISHED, PollStatus.OPEN)
        and await allowed(session, actor, Permission.VOTE_PRINT_BALLOTS, place),
        export=on_record and await allowed(session, actor, Permission.VOTE_EXPORT, place),
        receipts=is_closed and bool(poll.result),
        withdraw=status in (PollStatus.PUBLISHED, PollStatus.OPEN)
        and await allowed(session, actor, Permission.VOTE_WITHDRAW, place),
        outcome=await outcome(session, actor, poll, voter=voter is not None),
    )


async def outcome(session: AsyncSession, actor: Actor, poll: Poll, *, voter: bool) -> CardOutcome:
    """The live turnout of an open vote (for those who may follow it), or where the published
    result stands: the objection period, and the objections received."""
    place = poll.compound_id
    if poll.status == PollStatus.OPEN:
        if not await allowed(session, actor, Permission.VOTE_TURNOUT, place):
            return CardOutcome()
        return CardOutcome(turnout=await turnout(session, poll))
    if poll.status != PollStatus.CLOSED or poll.preliminary_sent_at is None:
        return CardOutcome()
    return CardOutcome(
        may_object=voter and poll.final_sent_at is None,
        objections=await objection_count(session, poll),
        read_objections=await allowed(session, actor, Permission.VOTE_OBJECTIONS, place),
    )


async def vote(
    session: AsyncSession, actor: Actor, poll_id: int, choice: list[str], *, now: datetime
) -> tuple[Cast, VoteCard]:
    """A ballot from the card's buttons, and the card again showing the home's new choice."""
    done = await cast(session, actor, poll_id, choice, now=now)
    return done, await card(session, actor, poll_id)


async def vote_selection(
    session: AsyncSession, actor: Actor, poll_id: int, mask: int, *, now: datetime
) -> tuple[Cast, VoteCard]:
    """An election ballot submitted (the ticked candidates), and the card again."""
    done = await cast_selection(session, actor, poll_id, mask, now=now)
    return done, await card(session, actor, poll_id)
