"""Ballots (选票) of an owners'-assembly vote: casting and changing one until the close, signed
paper ballots entered by staff (they prevail, and a home that also voted in the bot is flagged),
the ballot that counts per voter, and receipts that let a voter check it was counted."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from markupsafe import Markup
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_, Translator
from models import Ballot, BallotChannel, BallotFlagReason, Poll, PollKind, PollStatus
from services import audit, drafts, vote_flags
from services.actors import Actor
from services.errors import DomainError, NotFound
from services.policy import Permission, authorize, rule
from services.tally import Choice
from services.vote_eligibility import held_at_opening, voter_of, voter_of_home
from services.vote_flags import EarlierBallot

MAX_CANDIDATES = 20  # an election's choice travels as a bitmask in callback data
NOT_OPEN = N_("This vote is not open for voting.")
WITHDRAWN = N_("This vote has been withdrawn; ballots can no longer be cast.")
NO_SUCH_VOTE = rule(Permission.VOTE_VIEW).refusal


class TooManyChosen(DomainError):
    """More candidates ticked than the election has seats."""

    def __init__(self, seats: int) -> None:
        super().__init__("Choose at most {seats} candidates.", seats=seats)
        self.seats = seats

    def render(self, _: Translator) -> Markup:
        return _.ngettext(
            "Choose at most {seats} candidate.", "Choose at most {seats} candidates.", self.seats
        ).format(seats=self.seats)


@dataclass(frozen=True)
class Counted:
    """The ballot that counts for one voter (light: a tally reads thousands of them)."""

    voter_key: str
    version: int
    choice: list[str]
    channel: str
    receipt_hash: str
    flagged: bool


@dataclass(frozen=True)
class Cast:
    """A ballot just cast: the receipt code (None when it changed nothing) and the ballot."""

    poll: Poll
    ballot: Counted
    cast_at: datetime
    code: str | None
    changed: bool  # it replaces an earlier ballot of the home


@dataclass(frozen=True)
class PaperEntry:
    """What entering a paper ballot did: recorded with its receipt code, or refused (`ballot`
    None) because the home already has the paper ballot `earlier`; `flag` says why the home was
    flagged, if it was."""

    poll: Poll
    ballot: Ballot | None
    code: str | None
    earlier: EarlierBallot | None  # the paper ballot it was refused for, or that it replaced
    flag: BallotFlagReason | None

    @property
    def refused(self) -> bool:
        return self.ballot is None


@dataclass(frozen=True)
class PaperBallot:
    """A paper ballot as staff are answered: recorded, or refused with the earlier one shown."""

    poll: Poll
    label: str
    household_id: int
    choice: list[str]
    entry: PaperEntry

    @property
    def flagged(self) -> bool:  # the home had also voted in the bot
        return self.entry.flag == BallotFlagReason.PAPER_AND_BOT


def receipt_hash(poll_id: int, code: str) -> str:
    return hashlib.sha256(f"{poll_id}:{code}".encode()).hexdigest()


def receipt_code(poll_id: int, secret: str) -> str:
    """What the voter keeps: the vote's number and a random secret, e.g. `12-Xa3k...`."""
    return f"{poll_id}-{secret}"


def _counted(ballot: Ballot) -> Counted:
    return Counted(
        ballot.voter_key,
        ballot.version,
        ballot.choice,
        ballot.channel,
        ballot.receipt_hash,
        ballot.flagged,
    )


async def visible_poll(session: AsyncSession, actor: Actor | None, poll_id: int) -> Poll:
    """A vote the person may look at; another compound's vote is "not found", not a hint."""
    poll = await session.get(Poll, poll_id)
    if poll is None or poll.status == PollStatus.DRAFT:
        raise NotFound(NO_SUCH_VOTE)
    if actor is None or await held_at_opening(session, actor, poll) is None:
        await authorize(session, actor, Permission.VOTE_VIEW, poll.compound_id)
    return poll


def ensure_open(poll: Poll, now: datetime | None) -> None:
    """Ballots are taken only while the vote is open (a withdrawn vote says so)."""
    if poll.status == PollStatus.CANCELLED:
        raise DomainError(WITHDRAWN)
    if poll.status != PollStatus.OPEN or (now is not None and now >= poll.closes_at):
        raise DomainError(NOT_OPEN)


async def current(session: AsyncSession, poll_id: int, voter_key: str) -> Ballot | None:
    """The ballot that counts: the latest paper one if any (signed paper prevails), else the latest."""
    rows = list(
        (
            await session.exec(
                select(Ballot)
                .where(col(Ballot.poll_id) == poll_id)
                .where(col(Ballot.voter_key) == voter_key)
                .order_by(col(Ballot.version))
            )
        ).all()
    )
    paper = [b for b in rows if b.channel == BallotChannel.PAPER]
    counting = paper or rows
    return counting[-1] if counting else None


async def current_of(session: AsyncSession, poll: Poll, voter_key: str) -> Counted | None:
    ballot = await current(session, poll.id or 0, voter_key)
    return None if ballot is None else _counted(ballot)


def check_choice(poll: Poll, choice: list[str]) -> list[str]:
    if poll.kind == PollKind.RESOLUTION:
        if len(choice) != 1 or choice[0] not in {c.value for c in Choice}:
            raise DomainError(N_("That is not a choice of this vote."))
        return choice
    chosen = sorted(set(choice))
    if not set(chosen) <= set(poll.candidates):
        raise DomainError(N_("That is not a choice of this vote."))
    if len(chosen) > poll.seats:
        raise TooManyChosen(poll.seats)
    return chosen


def chosen_candidates(poll: Poll, mask: int) -> list[str]:
    """The candidates a ballot being filled in has ticked (a bitmask); a bit beyond the list is
    a stale or forged button."""
    if poll.kind != PollKind.ELECTION or not 0 <= mask < 1 << len(poll.candidates):
        raise DomainError(drafts.STALE)
    return [name for index, name in enumerate(poll.candidates) if mask & (1 << index)]


async def cast(
    session: AsyncSession, actor: Actor, poll_id: int, choice: list[str], *, now: datetime
) -> Cast:
    """Cast or change a ballot until the close; a double tap changes nothing."""
    poll = await visible_poll(session, actor, poll_id)
    ensure_open(poll, now)
    assert poll.id is not None
    choice = check_choice(poll, choice)
    voter = await voter_of(session, actor, poll)  # the snapshot's owners, or owners now
    previous = await current(session, poll.id or 0, voter.voter_key)
    if previous is not None and previous.channel == BallotChannel.PAPER:
        raise DomainError(
            N_("A paper ballot has been recorded for your home; it is the one that counts.")
        )
    if previous is not None and previous.choice == choice:
        return Cast(poll, _counted(previous), previous.cast_at, None, False)
    secret = secrets.token_urlsafe(9)
    ballot = Ballot(
        poll_id=poll.id,
        voter_key=voter.voter_key,
        version=(previous.version + 1) if previous else 1,
        choice=choice,
        channel=BallotChannel.BOT,
        cast_by=actor.resident_id,
        cast_at=now,
        receipt_hash=receipt_hash(poll.id or 0, secret),
    )
    session.add(ballot)
    try:
        await session.flush()
    except IntegrityError:  # a co-owner's ballot took this version a moment ago
        raise DomainError(
            N_("Someone of your home voted at the same moment; please look and try again.")
        ) from None
    audit.record(
        session,
        at=now,
        actor_id=actor.resident_id,
        action="poll.ballot",
        subject_type="poll",
        subject_id=poll.id,
    )
    code = receipt_code(poll.id or 0, secret)
    return Cast(poll, _counted(ballot), now, code, ballot.version > 1)


async def cast_selection(
    session: AsyncSession, actor: Actor, poll_id: int, mask: int, *, now: datetime
) -> Cast:
    """Submit an election ballot: the ticked candidates."""
    poll = await visible_poll(session, actor, poll_id)
    return await cast(session, actor, poll_id, chosen_candidates(poll, mask), now=now)


async def enter_paper_ballot(
    session: AsyncSession,
    actor: Actor | None,
    poll_id: int,
    household_id: int,
    choice: list[str],
    *,
    now: datetime,
    replaces: int | None = None,
) -> PaperEntry:
    """Staff enter a signed paper ballot; it prevails over the home's bot ballot. A second paper
    ballot for the home is refused (the earlier one is returned to be shown) unless `replaces`
    names that earlier ballot. Every such case flags the home and warns the committee."""
    poll = await session.get(Poll, poll_id)
    if poll is None:
        raise DomainError(NOT_OPEN)
    ensure_open(poll, now)
    assert poll.id is not None
    await authorize(session, actor, Permission.VOTE_PAPER_BALLOT, poll.compound_id)
    choice = check_choice(poll, choice)
    voter = await voter_of_home(session, poll, household_id)
    if voter is None:
        raise DomainError(N_("That home is not among the units this vote is for."))
    previous = await current(session, poll.id, voter.voter_key)
    earlier = await vote_flags.latest_paper(session, poll.id, voter.voter_key)
    if earlier is None and replaces is not None:
        raise DomainError(drafts.STALE)  # a replacement of a paper ballot that does not exist

    async def flag(reason: BallotFlagReason, ballot: Ballot | None, before: Ballot | None) -> None:
        await vote_flags.flag(
            session,
            actor,
            poll,
            household_id=household_id,
            voter_key=voter.voter_key,
            reason=reason,
            earlier=before,
            ballot=ballot,
            now=now,
        )

    if earlier is not None and earlier.id != replaces:
        await flag(BallotFlagReason.PAPER_REFUSED, None, earlier)
        refused_for = await vote_flags.earlier_of(session, earlier)
        return PaperEntry(poll, None, None, refused_for, BallotFlagReason.PAPER_REFUSED)
    bot = earlier is None and previous is not None and previous.channel == BallotChannel.BOT
    secret = secrets.token_urlsafe(9)
    ballot = Ballot(
        poll_id=poll.id,
        voter_key=voter.voter_key,
        version=(previous.version + 1) if previous else 1,
        choice=choice,
        channel=BallotChannel.PAPER,
        cast_by=actor.resident_id if actor else None,
        cast_at=now,
        receipt_hash=receipt_hash(poll.id, secret),
        flagged=bot or (earlier is not None and earlier.flagged),
    )
    session.add(ballot)
    await session.flush()
    audit.record(
        session,
        at=now,
        actor_id=actor.resident_id if actor else None,
        action="poll.paper_ballot",
        subject_type="poll",
        subject_id=poll.id,
    )
    reason: BallotFlagReason | None = None
    if earlier is not None:
        reason = BallotFlagReason.PAPER_REPLACED
        await flag(reason, ballot, earlier)
    elif bot:
        reason = BallotFlagReason.PAPER_AND_BOT
        await flag(reason, ballot, previous)
    shown = await vote_flags.earlier_of(session, earlier) if earlier else None
    return PaperEntry(poll, ballot, receipt_code(poll.id, secret), shown, reason)


async def counted_ballots(session: AsyncSession, poll: Poll) -> dict[str, Counted]:
    """Per voter, the latest paper ballot if any (signed paper prevails), else the latest one:
    one query over the poll's ballots, the choice made in Python (no sort in the database)."""
    # The choice is read as its JSON text and decoded once per distinct text (a few kinds of
    # ballot in thousands of rows); Core rows, not ORM loading, for the same reason.
    connection = await session.connection()
    rows = await connection.execute(
        sa.select(
            col(Ballot.voter_key),
            col(Ballot.version),
            sa.cast(col(Ballot.choice), sa.Text),
            sa.cast(col(Ballot.channel), sa.Text),
            col(Ballot.receipt_hash),
            col(Ballot.flagged),
        ).where(col(Ballot.poll_id) == poll.id)
    )
    best: dict[str, tuple[bool, int]] = {}
    winners: dict[str, tuple[Any, ...]] = {}
    paper = BallotChannel.PAPER.value
    for row in rows.all():
        rank = (row[3] == paper, row[1])
        if row[0] not in best or rank > best[row[0]]:
            best[row[0]] = rank
            winners[row[0]] = tuple(row)
    decoded: dict[str, list[str]] = {}
    counted: dict[str, Counted] = {}
    for key, (voter_key, version, text, channel, receipt, flagged) in winners.items():
        if text not in decoded:
            decoded[text] = json.loads(text)
        counted[key] = Counted(voter_key, version, decoded[text], channel, receipt, bool(flagged))
    return counted


# --- receipts ------------------------------------------------------------------------------
class ReceiptStatus(StrEnum):
    COUNTED = "counted"  # the ballot that counts (or will, if nothing changes before the close)
    REPLACED = "replaced"  # a later ballot of the same home counts instead
    WITHDRAWN = "withdrawn"  # the vote was withdrawn before its close: nothing is counted
    UNKNOWN = "unknown"


async def check_receipt(session: AsyncSession, code: str) -> tuple[Poll | None, ReceiptStatus]:
    """Whether the ballot of a receipt code counts. The secret code is the proof: whoever holds
    it may check it (also an owner who has since sold the home), and the answer never says the
    choice."""
    match = re.fullmatch(r"\s*(\d{1,9})-([A-Za-z0-9_-]{6,40})\s*", code or "")
    if not match:
        return None, ReceiptStatus.UNKNOWN
    poll = await session.get(Poll, int(match.group(1)))
    if poll is None or poll.status not in (
        PollStatus.OPEN,
        PollStatus.CLOSED,
        PollStatus.CANCELLED,
    ):
        return None, ReceiptStatus.UNKNOWN
    digest = receipt_hash(poll.id or 0, match.group(2))
    voter_key = (
        await session.exec(
            select(col(Ballot.voter_key))
            .where(col(Ballot.poll_id) == poll.id)
            .where(col(Ballot.receipt_hash) == digest)
        )
    ).first()
    if voter_key is None:
        return poll, ReceiptStatus.UNKNOWN
    if poll.status == PollStatus.CANCELLED:
        return poll, ReceiptStatus.WITHDRAWN
    counting = await current(session, poll.id or 0, voter_key)
    assert counting is not None
    status = ReceiptStatus.COUNTED if counting.receipt_hash == digest else ReceiptStatus.REPLACED
    return poll, status


async def published_hashes(session: AsyncSession, poll: Poll) -> list[str]:
    """The receipt hashes of the ballots that count, sorted: no choice, no voter."""
    return sorted(b.receipt_hash for b in (await counted_ballots(session, poll)).values())


async def receipt_hashes(
    session: AsyncSession, actor: Actor | None, poll_id: int
) -> tuple[Poll, list[str]]:
    """The published list, after the close: a voter finds the hash of their receipt here."""
    poll = await visible_poll(session, actor, poll_id)
    if poll.status != PollStatus.CLOSED:
        raise DomainError(N_("The list of receipt hashes is published when the vote closes."))
    return poll, await published_hashes(session, poll)
