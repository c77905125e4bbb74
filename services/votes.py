"""Owners'-assembly votes: drafting, the eligibility snapshot, ballots with receipts, closing.

The tally itself is in services/tally.py; this module feeds it from the database.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_
from models import (
    Ballot,
    BallotChannel,
    Building,
    EligibleVoter,
    Household,
    Membership,
    MembershipKind,
    Poll,
    PollKind,
    PollStatus,
    Role,
)
from services import audit
from services.actors import Actor
from services.errors import DomainError, NotAllowed, NotFound
from services.places import compounds_for_roles
from services.tally import Choice, MatterType, Unit, tally_election, tally_resolution

MIN_NOTICE = timedelta(days=15)
SPECIAL_ITEMS = (6, 7, 8)  # Art. 278: maintenance fund raising, rebuilding, common parts' use
DRAFTING_ROLES = {Role.COMMITTEE, Role.ADMIN}
OWNER_KINDS = (MembershipKind.OWNER, MembershipKind.CO_OWNER)


async def _require_drafter(session: AsyncSession, actor: Actor | None, compound_id: int) -> None:
    if actor is None:  # the command line is run by the administrator
        return
    grants = [(g.role, g.scope_kind, g.scope_id) for g in actor.roles]
    if compound_id not in {
        c.id for c in await compounds_for_roles(session, grants, {r.value for r in DRAFTING_ROLES})
    }:
        raise NotAllowed(
            N_(
                "Only owners' committee members and administrators of this compound can draft votes."
            )
        )


async def draft(
    session: AsyncSession,
    actor: Actor | None,
    *,
    compound_id: int,
    title: str,
    body: str,
    notice_at: datetime,
    opens_at: datetime,
    closes_at: datetime,
    now: datetime,
    matter: str = MatterType.ORDINARY,
    special_item: int | None = None,
    candidates: list[str] | None = None,
    seats: int = 1,
    building_ids: list[int] | None = None,
    count_unreturned_with_majority: bool = False,
    min_notice: timedelta = MIN_NOTICE,
) -> Poll:
    """A vote in the making; every rule of timing and form is checked here."""
    await _require_drafter(session, actor, compound_id)
    matter = MatterType(matter)
    if not title.strip():
        raise DomainError(N_("A vote needs a title."))
    if notice_at < now - timedelta(minutes=1) or opens_at < now or closes_at < now:
        raise DomainError(N_("The notice, opening and closing times must not be in the past."))
    if opens_at - notice_at < min_notice:
        raise DomainError(
            N_("Owners must have notice at least {days} days before voting opens."),
            days=min_notice.days,
        )
    if closes_at <= opens_at:
        raise DomainError(N_("Voting must close after it opens."))
    if matter == MatterType.SPECIAL and special_item not in SPECIAL_ITEMS:
        raise DomainError(N_("A special matter must name Art. 278 item 6, 7 or 8."))
    kind = PollKind.ELECTION if candidates else PollKind.RESOLUTION
    if kind == PollKind.ELECTION and not 1 <= seats <= len(candidates or []):
        raise DomainError(N_("An election needs at least as many candidates as seats."))
    buildings = set(building_ids or [])
    if buildings:
        found = set(
            (
                await session.exec(select(Building.id).where(Building.compound_id == compound_id))
            ).all()
        )
        if not buildings <= found:
            raise DomainError(N_("Choose buildings of this compound."))
    poll = Poll(
        compound_id=compound_id, title=title.strip(), body=body, kind=kind, matter=matter,
        special_item=special_item if matter == MatterType.SPECIAL else None, seats=seats,
        candidates=list(candidates or []), building_ids=sorted(buildings),
        count_unreturned_with_majority=count_unreturned_with_majority, notice_at=notice_at,
        opens_at=opens_at, closes_at=closes_at, status=PollStatus.PUBLISHED, created_by=actor.resident_id if actor else None,
        created_at=now,
    )  # fmt: skip
    session.add(poll)
    await session.flush()
    audit.record(
        session,
        at=now,
        actor_id=poll.created_by,
        action="poll.draft",
        subject_type="poll",
        subject_id=poll.id,
    )
    return poll


async def take_snapshot(session: AsyncSession, poll: Poll) -> int:
    """Who may vote and with what area, fixed when voting opens (owners only; tenants never)."""
    statement = select(Household).where(Household.compound_id == poll.compound_id)
    if poll.building_ids:
        statement = statement.where(col(Household.building_id).in_(poll.building_ids))
    households = list((await session.exec(statement)).all())
    owners: dict[int, set[str]] = {}
    for household_id, resident_id in await session.exec(
        select(Membership.household_id, Membership.resident_id)
        .where(col(Membership.household_id).in_([h.id for h in households]))
        .where(col(Membership.kind).in_(OWNER_KINDS))
    ):
        owners.setdefault(household_id, set()).add(f"r{resident_id}")
    units = [
        Unit(
            h.id,
            h.area or Decimal(0),
            frozenset(owners.get(h.id, set())),
            developer=h.developer_unit,
        )
        for h in households
    ]
    grouped: dict[str, tuple[Decimal, list[int], bool]] = {}
    for unit in units:
        area, members, developer = grouped.get(unit.voter, (Decimal(0), [], unit.developer))
        grouped[unit.voter] = (area + unit.area, [*members, unit.unit_id], developer)
    for key, (area, members, developer) in grouped.items():
        session.add(
            EligibleVoter(
                poll_id=poll.id,
                voter_key=key,
                area=area,
                household_ids=members,
                developer=developer,
            )
        )
    return len(grouped)


async def open_due(session: AsyncSession, *, now: datetime) -> list[Poll]:
    """Open every published vote whose time has come: snapshot first, exactly once."""
    statement = select(Poll).where(Poll.status == PollStatus.PUBLISHED).where(Poll.opens_at <= now)
    if session.bind.dialect.name == "postgresql":
        statement = statement.with_for_update(skip_locked=True)
    polls = list((await session.exec(statement)).all())
    for poll in polls:
        await take_snapshot(session, poll)
        poll.status, poll.opened_at = PollStatus.OPEN, now
        audit.record(
            session,
            at=now,
            actor_id=None,
            action="poll.open",
            subject_type="poll",
            subject_id=poll.id,
        )
    return polls


async def _voter_for(session: AsyncSession, actor: Actor, poll: Poll) -> EligibleVoter:
    owned = {t.household_id for t in actor.households if t.is_owner}
    if not owned:
        raise NotAllowed(
            N_("Only owners vote in owners' assembly votes; tenants and family members do not.")
        )
    for voter in (
        await session.exec(select(EligibleVoter).where(EligibleVoter.poll_id == poll.id))
    ).all():
        if owned & set(voter.household_ids):
            return voter
    raise NotAllowed(N_("Your home is not among the units this vote is for."))


def _check_choice(poll: Poll, choice: list[str]) -> list[str]:
    if poll.kind == PollKind.RESOLUTION:
        if len(choice) != 1 or choice[0] not in {c.value for c in Choice}:
            raise DomainError(N_("That is not a choice of this vote."))
        return choice
    chosen = sorted(set(choice))
    if len(chosen) > poll.seats or not set(chosen) <= set(poll.candidates):
        raise DomainError(N_("Choose at most {seats} of the candidates."), seats=poll.seats)
    return chosen


def receipt_hash(poll_id: int, code: str) -> str:
    return hashlib.sha256(f"{poll_id}:{code}".encode()).hexdigest()


async def _current(session: AsyncSession, poll_id: int, voter_key: str) -> Ballot | None:
    """The ballot that counts: the latest paper one if any (signed paper prevails), else the latest."""
    rows = list(
        (
            await session.exec(
                select(Ballot)
                .where(Ballot.poll_id == poll_id)
                .where(Ballot.voter_key == voter_key)
                .order_by(Ballot.version)
            )
        ).all()
    )
    paper = [b for b in rows if b.channel == BallotChannel.PAPER]
    return (paper or rows or [None])[-1]


async def cast(
    session: AsyncSession, actor: Actor, poll_id: int, choice: list[str], *, now: datetime
) -> tuple[str | None, Ballot]:
    """Cast or change a ballot until the close. Returns (receipt code or None if unchanged, ballot)."""
    poll = await session.get(Poll, poll_id)
    if poll is None:
        raise NotFound(N_("That vote does not exist."))
    if poll.status != PollStatus.OPEN or now >= poll.closes_at:
        raise DomainError(N_("This vote is not open for voting."))
    choice = _check_choice(poll, choice)
    voter = await _voter_for(session, actor, poll)
    current = await _current(session, poll.id, voter.voter_key)
    if current is not None and current.channel == BallotChannel.PAPER:
        raise DomainError(
            N_("A paper ballot has been recorded for your home; it is the one that counts.")
        )
    if current is not None and current.choice == choice:
        return None, current  # a double tap: nothing new
    code = secrets.token_urlsafe(9)
    version = (current.version + 1) if current else 1
    ballot = Ballot(poll_id=poll.id, voter_key=voter.voter_key, version=version, choice=choice, channel=BallotChannel.BOT,
                    cast_by=actor.resident_id, cast_at=now, receipt_hash=receipt_hash(poll.id, code))  # fmt: skip
    session.add(ballot)
    try:
        await session.flush()
    except IntegrityError:
        raise DomainError(
            N_("Someone of your home voted at the same moment; please look and try again.")
        ) from None
    return code, ballot


async def enter_paper_ballot(
    session: AsyncSession,
    actor: Actor | None,
    poll_id: int,
    household_id: int,
    choice: list[str],
    *,
    now: datetime,
) -> tuple[str, Ballot]:
    """Staff enter a signed paper ballot. If the home also voted in the bot, the paper one counts
    and the record is flagged for the committee."""
    poll = await session.get(Poll, poll_id)
    if poll is None or poll.status != PollStatus.OPEN:
        raise DomainError(N_("This vote is not open for voting."))
    if actor is not None:
        grants = [(g.role, g.scope_kind, g.scope_id) for g in actor.roles]
        staff = {
            c.id
            for c in await compounds_for_roles(
                session, grants, {Role.STAFF.value, Role.ADMIN.value}
            )
        }
        if poll.compound_id not in staff:
            raise NotAllowed(N_("Only property staff of this compound can do that."))
    choice = _check_choice(poll, choice)
    voter = next(
        (v for v in (await session.exec(select(EligibleVoter).where(EligibleVoter.poll_id == poll.id))).all() if household_id in v.household_ids),
        None,
    )  # fmt: skip
    if voter is None:
        raise DomainError(N_("That home is not among the units this vote is for."))
    previous = await _current(session, poll.id, voter.voter_key)
    code = secrets.token_urlsafe(9)
    ballot = Ballot(poll_id=poll.id, voter_key=voter.voter_key, version=(previous.version + 1) if previous else 1,
                    choice=choice, channel=BallotChannel.PAPER, cast_by=actor.resident_id if actor else None,
                    cast_at=now, receipt_hash=receipt_hash(poll.id, code),
                    flagged=previous is not None and previous.channel == BallotChannel.BOT)  # fmt: skip
    session.add(ballot)
    await session.flush()
    return code, ballot


async def counted_ballots(session: AsyncSession, poll: Poll) -> dict[str, Ballot]:
    keys = (
        await session.exec(select(Ballot.voter_key).where(Ballot.poll_id == poll.id).distinct())
    ).all()
    return {key: await _current(session, poll.id, key) for key in keys}


async def receipt_hashes(session: AsyncSession, poll_id: int) -> list[str]:
    """The published list: a voter finds the hash of their receipt here; no choice is shown."""
    poll = await session.get(Poll, poll_id)
    return sorted(b.receipt_hash for b in (await counted_ballots(session, poll)).values())


async def close_due(session: AsyncSession, *, now: datetime) -> list[Poll]:
    """Close and tally every open vote whose time has come, exactly once."""
    statement = select(Poll).where(Poll.status == PollStatus.OPEN).where(Poll.closes_at <= now)
    if session.bind.dialect.name == "postgresql":
        statement = statement.with_for_update(skip_locked=True)
    polls = list((await session.exec(statement)).all())
    for poll in polls:
        poll.result = await tally(session, poll)
        poll.status, poll.closed_at = PollStatus.CLOSED, now
        audit.record(
            session,
            at=now,
            actor_id=None,
            action="poll.close",
            subject_type="poll",
            subject_id=poll.id,
        )
    return polls


async def tally(session: AsyncSession, poll: Poll) -> dict:
    """Every figure behind the result, as exact fractions written "n/d"."""
    eligible = list(
        (await session.exec(select(EligibleVoter).where(EligibleVoter.poll_id == poll.id))).all()
    )
    units = [Unit(v.id, v.area, frozenset({v.voter_key}), developer=v.developer) for v in eligible]
    counted = await counted_ballots(session, poll)
    key_of = {v.voter_key: ("developer" if v.developer else v.voter_key) for v in eligible}

    def axis(a) -> dict:  # type: ignore[no-untyped-def]
        return {
            k: str(getattr(a, k))
            for k in ("total", "participating", "agree", "disagree", "abstain")
        }

    if poll.kind == PollKind.RESOLUTION:
        votes = {key_of[k]: Choice(b.choice[0]) for k, b in counted.items() if k in key_of}
        result = tally_resolution(
            units,
            votes,
            MatterType(poll.matter),
            count_unreturned_with_majority=poll.count_unreturned_with_majority,
        )
        return {"kind": "resolution", "quorum": result.quorum, "passed": result.passed, "area": axis(result.area),
                "headcount": axis(result.headcount), "threshold": str(result.threshold)}  # fmt: skip
    votes_e = {key_of[k]: frozenset(b.choice) for k, b in counted.items() if k in key_of}
    election = tally_election(units, votes_e, poll.candidates, poll.seats)
    return {"kind": "election", "quorum": election.quorum, "area": axis(election.area), "headcount": axis(election.headcount),
            "candidates": [{"name": c.candidate, "area": str(c.area), "headcount": str(c.headcount),
                            "majority": c.majority, "elected": c.elected} for c in election.candidates]}  # fmt: skip
