"""Owners'-assembly votes: drafting, the eligibility snapshot, ballots with receipts, closing.

The tally itself is in services/tally.py; this module feeds it from the database.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import secrets
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, localcontext
from enum import StrEnum
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.db import insert_many
from core.i18n import N_
from models import (
    Ballot,
    BallotChannel,
    Building,
    Compound,
    EligibleHome,
    EligibleVoter,
    Grid,
    Household,
    Membership,
    MembershipKind,
    Poll,
    PollKind,
    PollStatus,
    Resident,
    Role,
    RoleGrant,
)
from services import audit
from services.actors import Actor
from services.errors import DomainError, NotAllowed, NotFound
from services.places import (
    compound_chain,
    compounds_for_roles,
    find_household,
    household_label,
    household_labels,
)
from services.tally import EXACT, Choice, MatterType, Unit, election_of_voters, resolution_of_sums

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
    count_unreturned_with_majority: bool | None = None,
    min_notice: timedelta | None = None,
) -> Poll:
    """A vote published for notice; every rule of timing and form is checked here. The notice
    period and the unreturned-ballot rule default to the compound's settings."""
    await _require_drafter(session, actor, compound_id)
    compound = await session.get(Compound, compound_id)
    if compound is None:
        raise NotFound(N_("That compound does not exist."))
    if min_notice is None:
        min_notice = timedelta(days=compound.vote_notice_days)
    if count_unreturned_with_majority is None:
        count_unreturned_with_majority = compound.count_unreturned_with_majority
    check_times(notice_at, opens_at, closes_at, now=now, min_notice=min_notice)
    matter = MatterType(matter)
    candidates = [c.strip() for c in candidates or [] if c.strip()]
    if not title.strip() or len(title.strip()) > 200:
        raise DomainError(N_("A vote needs a title of at most 200 characters."))
    if len(candidates) != len(set(candidates)) or len(candidates) > 20:
        raise DomainError(N_("Candidates must be different, and at most 20."))
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


def _identity(owner_phone: str | None, bot_owners: set[str]) -> frozenset[str]:
    """Who holds the unit, for headcount: the buyer in the roster (by phone) when known, else the
    owners who joined the bot (co-owners together are one buyer), else the unit alone."""
    if owner_phone and owner_phone.strip():
        digest = hashlib.sha256(owner_phone.strip().encode()).hexdigest()[:16]
        return frozenset({f"p:{digest}"})
    return frozenset(bot_owners)


def check_times(
    notice_at: datetime,
    opens_at: datetime,
    closes_at: datetime,
    *,
    now: datetime,
    min_notice: timedelta,
) -> None:
    """Nothing in the past, the notice period respected, the close after the opening."""
    if notice_at < now - timedelta(minutes=1) or opens_at < now or closes_at < now:
        raise DomainError(N_("The notice, opening and closing times must not be in the past."))
    if opens_at - notice_at < min_notice:
        raise DomainError(
            N_("Owners must have notice at least {days} days before voting opens."),
            days=min_notice.days,
        )
    if closes_at <= opens_at:
        raise DomainError(N_("Voting must close after it opens."))


def default_times(
    now: datetime, tz: ZoneInfo, notice_days: int
) -> tuple[datetime, datetime, datetime]:
    """Notice now; voting opens at 09:00 on the first day the notice period allows and closes
    a week later at 18:00 (local time)."""
    earliest = (now + timedelta(days=notice_days)).astimezone(tz)
    opens = earliest.replace(hour=9, minute=0, second=0, microsecond=0)
    if opens < earliest:
        opens += timedelta(days=1)
    closes = (opens + timedelta(days=7)).replace(hour=18)
    return now, opens, closes


async def take_snapshot(session: AsyncSession, poll: Poll) -> int:
    """Who may vote and with what area, fixed when voting opens (owners only; tenants never)."""
    statement = select(
        Household.id, Household.registered_area, Household.surveyed_area, Household.contract_area,
        Household.owner_phone, Household.developer_unit,
    ).where(Household.compound_id == poll.compound_id)  # fmt: skip
    if poll.building_ids:
        statement = statement.where(col(Household.building_id).in_(poll.building_ids))
    households = (await session.exec(statement)).all()
    owners: dict[int, set[str]] = {}
    for household_id, resident_id in await session.exec(
        select(Membership.household_id, Membership.resident_id)
        .join(Household, Household.id == Membership.household_id)
        .where(Household.compound_id == poll.compound_id)
        .where(col(Membership.kind).in_(OWNER_KINDS))
    ):
        owners.setdefault(household_id, set()).add(f"r{resident_id}")
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
        {"poll_id": poll.id, "voter_key": key, "area": area, "household_ids": members, "developer": developer}
        for key, (area, members, developer) in grouped.items()
    ]  # fmt: skip
    homes = [
        {"poll_id": poll.id, "household_id": home, "voter_key": key}
        for key, (_area, members, _developer) in grouped.items()
        for home in members
    ]
    await insert_many(session, EligibleVoter, voters)
    await insert_many(session, EligibleHome, homes)
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
    key = (
        await session.exec(
            select(EligibleHome.voter_key)
            .where(EligibleHome.poll_id == poll.id)
            .where(col(EligibleHome.household_id).in_(owned))
            .order_by(EligibleHome.household_id)
        )
    ).first()
    if key is None:
        raise NotAllowed(N_("Your home is not among the units this vote is for."))
    return (
        await session.exec(
            select(EligibleVoter)
            .where(EligibleVoter.poll_id == poll.id)
            .where(EligibleVoter.voter_key == key)
        )
    ).one()


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
    audit.record(session, at=now, actor_id=actor.resident_id, action="poll.ballot",
                 subject_type="poll", subject_id=poll.id)  # fmt: skip
    return receipt_code(poll.id, code), ballot


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
    key = (
        await session.exec(
            select(EligibleHome.voter_key)
            .where(EligibleHome.poll_id == poll.id)
            .where(EligibleHome.household_id == household_id)
        )
    ).first()
    voter = (
        await session.exec(
            select(EligibleVoter).where(EligibleVoter.poll_id == poll.id).where(EligibleVoter.voter_key == key)
        )
    ).first()  # fmt: skip
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
    audit.record(session, at=now, actor_id=actor.resident_id if actor else None,
                 action="poll.paper_ballot", subject_type="poll", subject_id=poll.id)  # fmt: skip
    return receipt_code(poll.id, code), ballot


@dataclass(frozen=True)
class Counted:
    """The ballot that counts for one voter (light: a tally reads thousands of them)."""

    voter_key: str
    version: int
    choice: list[str]
    channel: str
    receipt_hash: str
    flagged: bool


async def counted_ballots(session: AsyncSession, poll: Poll) -> dict[str, Counted]:
    """Per voter, the latest paper ballot if any (signed paper prevails), else the latest one:
    one query over the poll's ballots, the choice made in Python (no sort in the database)."""
    # The choice is read as its JSON text and decoded once per distinct text (a few kinds of
    # ballot in thousands of rows); Core rows, not ORM loading, for the same reason.
    connection = await session.connection()
    rows = await connection.execute(
        sa.select(
            Ballot.voter_key, Ballot.version, sa.cast(Ballot.choice, sa.Text), sa.cast(Ballot.channel, sa.Text),
            Ballot.receipt_hash, Ballot.flagged,
        ).where(Ballot.poll_id == poll.id)
    )  # fmt: skip
    decoded: dict[str, list[str]] = {}
    best: dict[str, tuple[bool, int]] = {}
    winners: dict[str, tuple] = {}
    paper = BallotChannel.PAPER.value
    for row in rows.all():
        rank = (row[3] == paper, row[1])
        if row[0] not in best or rank > best[row[0]]:
            best[row[0]] = rank
            winners[row[0]] = row
    counted: dict[str, Counted] = {}
    for key, (voter_key, version, text, channel, receipt, flagged) in winners.items():
        if text not in decoded:
            decoded[text] = json.loads(text)
        counted[key] = Counted(voter_key, version, decoded[text], channel, receipt, bool(flagged))
    return counted


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


async def resolution_sums(
    session: AsyncSession, poll: Poll
) -> tuple[dict[str, Decimal], dict[str, int]]:
    """Area and headcount per bucket (agree, disagree, abstain, unreturned), added up in SQL:
    each voter of the snapshot with the ballot that counts (the latest paper ballot, else the
    latest one: the same rule as `counted_ballots`). Areas are summed as whole fen (integers),
    so the sums are exact on SQLite as on PostgreSQL."""
    rank = sa.func.row_number().over(
        partition_by=Ballot.voter_key,
        order_by=(
            sa.case((Ballot.channel == BallotChannel.PAPER, 1), else_=0).desc(),
            Ballot.version.desc(),
        ),
    )
    latest = (
        sa.select(
            Ballot.voter_key, sa.cast(Ballot.choice, sa.Text).label("choice"), rank.label("rank")
        )
        .where(Ballot.poll_id == poll.id)
        .subquery()
    )
    fen = sa.func.sum(sa.cast(sa.func.round(EligibleVoter.area * 100), sa.BigInteger))
    # From the counted ballots to their voter (an indexed lookup on both databases), then the
    # whole snapshot once: whoever is not among the voted is unreturned.
    connection = await session.connection()
    voted = (await connection.execute(
        sa.select(latest.c.choice, sa.func.count(), fen)
        .select_from(latest)
        .join(EligibleVoter, sa.and_(EligibleVoter.poll_id == poll.id,
                                     EligibleVoter.voter_key == latest.c.voter_key))
        .where(latest.c.rank == 1)
        .group_by(latest.c.choice)
    )).all()  # fmt: skip
    everyone = (await connection.execute(
        sa.select(sa.func.count(), fen).where(EligibleVoter.poll_id == poll.id)
    )).one()  # fmt: skip
    area: dict[str, Decimal] = {}
    head: dict[str, int] = {}
    left_count, left_cents = int(everyone[0]), int(everyone[1] or 0)
    with localcontext(EXACT):
        for choice, count, cents in voted:
            bucket = Choice(json.loads(choice)[0]).value
            area[bucket] = area.get(bucket, Decimal(0)) + Decimal(int(cents or 0)) / 100
            head[bucket] = head.get(bucket, 0) + int(count)
            left_count -= int(count)
            left_cents -= int(cents or 0)
        area["unreturned"] = Decimal(left_cents) / 100
        head["unreturned"] = left_count
    return area, head


async def tally(session: AsyncSession, poll: Poll) -> dict:
    """Every figure behind the result, as exact fractions written "n/d"."""

    def axis(a) -> dict:  # type: ignore[no-untyped-def]
        return {
            k: str(getattr(a, k))
            for k in ("total", "participating", "agree", "disagree", "abstain")
        }

    if poll.kind == PollKind.RESOLUTION:
        area_sums, head_sums = await resolution_sums(session, poll)
        result = resolution_of_sums(area_sums, head_sums, MatterType(poll.matter),
                                    count_unreturned_with_majority=poll.count_unreturned_with_majority)  # fmt: skip
        return {"kind": "resolution", "quorum": result.quorum, "passed": result.passed, "area": axis(result.area),
                "headcount": axis(result.headcount), "threshold": str(result.threshold)}  # fmt: skip
    # The snapshot is already one row per headcount unit (the developer's unsold units are one).
    connection = await session.connection()
    areas = dict((await connection.execute(
        sa.select(EligibleVoter.voter_key, EligibleVoter.area).where(EligibleVoter.poll_id == poll.id)
    )).all())  # fmt: skip
    counted = await counted_ballots(session, poll)
    votes_e = {k: frozenset(b.choice) for k, b in counted.items() if k in areas}
    election = election_of_voters(areas, votes_e, poll.candidates, poll.seats)
    return {"kind": "election", "quorum": election.quorum, "area": axis(election.area), "headcount": axis(election.headcount),
            "candidates": [{"name": c.candidate, "area": str(c.area), "headcount": str(c.headcount),
                            "majority": c.majority, "elected": c.elected} for c in election.candidates]}  # fmt: skip


# --- who sees what ---------------------------------------------------------------------------
OVERSIGHT_ROLES = {Role.COMMITTEE, Role.ADMIN, Role.OFFICER, Role.SUPERVISOR, Role.LIAISON}
EXPORT_ROLES = {Role.COMMITTEE, Role.ADMIN, Role.OFFICER}
PAPER_ROLES = {Role.STAFF, Role.ADMIN}


async def role_compound_ids(session: AsyncSession, actor: Actor, roles: set[Role]) -> set[int]:
    grants = [(g.role, g.scope_kind, g.scope_id) for g in actor.roles]
    return {c.id for c in await compounds_for_roles(session, grants, {r.value for r in roles})}


async def drafting_compounds(session: AsyncSession, actor: Actor) -> list[Compound]:
    grants = [(g.role, g.scope_kind, g.scope_id) for g in actor.roles]
    return await compounds_for_roles(session, grants, {r.value for r in DRAFTING_ROLES})


async def visible_polls(session: AsyncSession, actor: Actor, limit: int = 10) -> list[Poll]:
    """Votes of the actor's compounds that are announced, open or recently closed, newest first."""
    compounds = {t.compound_id for t in actor.households} | await role_compound_ids(
        session, actor, set(Role)
    )
    if not compounds:
        return []
    statement = (
        select(Poll)
        .where(col(Poll.compound_id).in_(compounds))
        .where(col(Poll.status).in_([PollStatus.PUBLISHED, PollStatus.OPEN, PollStatus.CLOSED]))
        .order_by(col(Poll.closes_at).desc())
        .limit(limit)
    )
    return list((await session.exec(statement)).all())


async def visible_poll(session: AsyncSession, actor: Actor, poll_id: int) -> Poll:
    """A vote the actor may look at; another compound's vote is "not found", not a hint."""
    poll = await session.get(Poll, poll_id)
    if poll is None or poll.status in (PollStatus.DRAFT, PollStatus.CANCELLED):
        raise NotFound(N_("That vote does not exist."))
    if poll.compound_id not in {t.compound_id for t in actor.households} and (
        poll.compound_id not in await role_compound_ids(session, actor, set(Role))
    ):
        raise NotFound(N_("That vote does not exist."))
    return poll


async def ballot_state(
    session: AsyncSession, actor: Actor, poll: Poll
) -> tuple[bool, Counted | None]:
    """(may this person vote in this poll, the ballot that counts for their home if any). Before
    the opening there is no snapshot yet: an owner of a home in scope may vote then."""
    if poll.status != PollStatus.OPEN and poll.status != PollStatus.CLOSED:
        return any(
            t.is_owner and _in_scope(poll, t.building_id, t.compound_id) for t in actor.households
        ), None
    try:
        voter = await _voter_for(session, actor, poll)
    except NotAllowed:
        return False, None
    ballot = await _current(session, poll.id, voter.voter_key)
    if ballot is None:
        return True, None
    return True, Counted(ballot.voter_key, ballot.version, ballot.choice, ballot.channel,
                         ballot.receipt_hash, ballot.flagged)  # fmt: skip


def _in_scope(poll: Poll, building_id: int, compound_id: int) -> bool:
    return compound_id == poll.compound_id and (
        not poll.building_ids or building_id in poll.building_ids
    )


async def require_role(
    session: AsyncSession, actor: Actor, poll: Poll, roles: set[Role], message: str
) -> None:
    if poll.compound_id not in await role_compound_ids(session, actor, roles):
        raise NotAllowed(message)


# --- recipients ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Recipient:
    resident_id: int
    chat_id: int
    language: str | None
    household_id: int | None


async def owner_recipients(
    session: AsyncSession, poll: Poll, *, household_ids: set[int] | None = None
) -> list[Recipient]:
    """Reachable owners and co-owners of the homes in the vote's scope (or of the given homes)."""
    statement = (
        select(
            Resident.id, Resident.telegram_id, Resident.language, func.min(Membership.household_id)
        )
        .join(Membership, Membership.resident_id == Resident.id)
        .join(Household, Household.id == Membership.household_id)
        .where(Household.compound_id == poll.compound_id)
        .where(col(Membership.kind).in_(OWNER_KINDS))
        .where(col(Resident.telegram_id).is_not(None))
        .where(col(Resident.consent_at).is_not(None))
        .group_by(Resident.id, Resident.telegram_id, Resident.language)
        .order_by(Resident.id)
    )
    if poll.building_ids:
        statement = statement.where(col(Household.building_id).in_(poll.building_ids))
    if household_ids is not None:
        statement = statement.where(col(Household.id).in_(household_ids))
    return [Recipient(*row) for row in await session.exec(statement)]


async def role_recipients(session: AsyncSession, poll: Poll, roles: set[Role]) -> list[Recipient]:
    chain = await compound_chain(session, poll.compound_id)
    rows = await session.exec(
        select(RoleGrant.scope_kind, RoleGrant.scope_id, Resident.id, Resident.telegram_id, Resident.language)
        .join(Resident, Resident.id == RoleGrant.resident_id)
        .where(col(RoleGrant.role).in_([r.value for r in roles]))
        .where(col(Resident.telegram_id).is_not(None))
        .where(col(Resident.consent_at).is_not(None))
    )  # fmt: skip
    found = {
        rid: Recipient(rid, chat, language, None)
        for kind, scope_id, rid, chat, language in rows
        if chain is not None and chain.contains(kind, scope_id)
    }
    return [found[k] for k in sorted(found)]


# --- what has not voted yet --------------------------------------------------------------------
@dataclass(frozen=True)
class HomeRow:
    household_id: int
    label: str
    grid: str
    owner_name: str
    owner_phone: str
    area: Decimal


async def _homes(session: AsyncSession, household_ids: list[int]) -> list[HomeRow]:
    if not household_ids:
        return []
    rows = await session.exec(
        select(Household, Building.name, Grid.name)
        .join(Building, Building.id == Household.building_id)
        .outerjoin(Grid, Grid.id == Household.grid_id)
        .where(col(Household.id).in_(household_ids))
    )
    homes = [
        HomeRow(h.id, household_label(b, h.unit, h.room), g or "", h.owner_name or "",
                h.owner_phone or "", h.area or Decimal(0))
        for h, b, g in rows
    ]  # fmt: skip
    return sorted(homes, key=lambda h: (h.grid, _natural(h.label)))


def _natural(text: str) -> list[object]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


async def not_voted(session: AsyncSession, poll: Poll) -> list[HomeRow]:
    """Homes in the snapshot whose headcount unit has no ballot yet (developer units excluded)."""
    counted = await counted_ballots(session, poll)
    homes: list[int] = []
    for key, ids, developer in await session.exec(
        select(EligibleVoter.voter_key, EligibleVoter.household_ids, EligibleVoter.developer).where(
            EligibleVoter.poll_id == poll.id
        )
    ):
        if key not in counted and not developer:
            homes.extend(ids)
    return await _homes(session, homes)


async def not_voted_household_ids(session: AsyncSession, poll: Poll) -> set[int]:
    counted = await counted_ballots(session, poll)
    return {
        household
        for key, ids in await session.exec(
            select(EligibleVoter.voter_key, EligibleVoter.household_ids).where(
                EligibleVoter.poll_id == poll.id
            )
        )
        if key not in counted
        for household in ids
    }


# --- the scheduled life of a vote -----------------------------------------------------------
async def notices_due(session: AsyncSession, *, now: datetime) -> list[Poll]:
    """Published votes whose notice time has come and whose owners have not been told; marked
    told in the same transaction as their messages are queued."""
    statement = (
        select(Poll)
        .where(col(Poll.status).in_([PollStatus.PUBLISHED, PollStatus.OPEN]))
        .where(col(Poll.notice_sent_at).is_(None))
        .where(Poll.notice_at <= now)
    )
    if session.bind.dialect.name == "postgresql":
        statement = statement.with_for_update(skip_locked=True)
    polls = list((await session.exec(statement)).all())
    for poll in polls:
        poll.notice_sent_at = now
    return polls


async def reminders_due(
    session: AsyncSession, *, now: datetime, hours: list[int]
) -> list[tuple[Poll, int]]:
    """(vote, hours before close) pairs due now, each returned once: the hour is marked done in
    the same transaction. A reminder time before the opening, or already past, is skipped."""
    statement = select(Poll).where(Poll.status == PollStatus.OPEN).where(Poll.closes_at > now)
    if session.bind.dialect.name == "postgresql":
        statement = statement.with_for_update(skip_locked=True)
    due: list[tuple[Poll, int]] = []
    for poll in (await session.exec(statement)).all():
        done = set(poll.reminders_sent)
        fresh = [h for h in hours if h not in done and poll.closes_at - timedelta(hours=h) <= now]
        if not fresh:
            continue
        poll.reminders_sent = sorted(done | set(fresh), reverse=True)
        latest = min(fresh)  # several due at once (a late start): send only the latest one
        if poll.closes_at - timedelta(hours=latest) >= (poll.opened_at or poll.opens_at):
            due.append((poll, latest))
    return due


async def results_due(session: AsyncSession) -> list[Poll]:
    """Closed votes whose result has not been sent yet; marked in the same transaction."""
    statement = (
        select(Poll)
        .where(Poll.status == PollStatus.CLOSED)
        .where(col(Poll.result_sent_at).is_(None))
    )
    if session.bind.dialect.name == "postgresql":
        statement = statement.with_for_update(skip_locked=True)
    polls = list((await session.exec(statement)).all())
    for poll in polls:
        poll.result_sent_at = poll.closed_at
    return polls


# --- receipts ------------------------------------------------------------------------------
def receipt_code(poll_id: int, secret: str) -> str:
    """What the voter keeps: the vote's number and a random secret, e.g. `12-Xa3k...`."""
    return f"{poll_id}-{secret}"


class ReceiptStatus(StrEnum):
    COUNTED = "counted"  # the ballot that counts (or will, if nothing changes before the close)
    REPLACED = "replaced"  # a later ballot of the same home counts instead
    UNKNOWN = "unknown"


async def check_receipt(session: AsyncSession, code: str) -> tuple[Poll | None, ReceiptStatus]:
    match = re.fullmatch(r"\s*(\d{1,9})-([A-Za-z0-9_-]{6,40})\s*", code or "")
    if not match:
        return None, ReceiptStatus.UNKNOWN
    poll = await session.get(Poll, int(match.group(1)))
    if poll is None or poll.status not in (PollStatus.OPEN, PollStatus.CLOSED):
        return None, ReceiptStatus.UNKNOWN
    digest = receipt_hash(poll.id, match.group(2))
    voter_key = (
        await session.exec(
            select(Ballot.voter_key)
            .where(Ballot.poll_id == poll.id)
            .where(Ballot.receipt_hash == digest)
        )
    ).first()
    if voter_key is None:
        return poll, ReceiptStatus.UNKNOWN
    current = await _current(session, poll.id, voter_key)
    return poll, ReceiptStatus.COUNTED if current.receipt_hash == digest else ReceiptStatus.REPLACED


# --- paper ballots: finding the home ---------------------------------------------------------
async def find_home(session: AsyncSession, poll: Poll, text: str) -> Household:
    """The home a staff member means by "3栋 2单元 1201", "3-2-1201" or "3栋 1201"."""
    return await find_household(session, [poll.compound_id], text)


# --- the record: exports ---------------------------------------------------------------------
Table = tuple[list[str], list[list[object]]]


async def export_tables(session: AsyncSession, poll: Poll) -> dict[str, Table]:
    """The tally, the eligibility snapshot and the anonymised ballots. The snapshot says whether a
    home took part, never how; the ballots are listed by receipt hash, without time or voter."""
    counted = await counted_ballots(session, poll)
    eligible = list(
        (await session.exec(select(EligibleVoter).where(EligibleVoter.poll_id == poll.id).order_by(EligibleVoter.id))).all()
    )  # fmt: skip
    labels = await household_labels(session, [h for v in eligible for h in v.household_ids])
    snapshot = [
        [index, "; ".join(labels.get(h, str(h)) for h in v.household_ids), str(v.area),
         "yes" if v.developer else "no", "yes" if v.voter_key in counted else "no"]
        for index, v in enumerate(eligible, start=1)
    ]  # fmt: skip
    ballots = sorted(
        ([b.receipt_hash, ", ".join(b.choice), b.channel, "yes" if b.flagged else "no"]
         for b in counted.values()),
        key=lambda row: row[0],
    )  # fmt: skip
    result = poll.result or await tally(session, poll)
    tally_rows: list[list[object]] = [
        ["poll", poll.id], ["title", poll.title], ["matter", poll.matter],
        ["special_item", poll.special_item or ""], ["kind", poll.kind],
        ["buildings", ", ".join(str(b) for b in poll.building_ids) or "all"],
        ["opens_at", poll.opens_at.isoformat()], ["closes_at", poll.closes_at.isoformat()],
        ["count_unreturned_with_majority", poll.count_unreturned_with_majority],
        ["quorum", result.get("quorum")], ["passed", result.get("passed", "")],
        ["threshold", result.get("threshold", "")],
    ]  # fmt: skip
    for axis in ("area", "headcount"):
        for name, value in result.get(axis, {}).items():
            tally_rows.append([f"{axis}.{name}", value])
    for candidate in result.get("candidates", []):
        tally_rows.append([f"candidate.{candidate['name']}.area", candidate["area"]])
        tally_rows.append([f"candidate.{candidate['name']}.headcount", candidate["headcount"]])
        tally_rows.append([f"candidate.{candidate['name']}.elected", candidate["elected"]])
    return {
        "tally": (["figure", "value"], tally_rows),
        "eligible": (["unit", "homes", "area_m2", "developer", "took_part"], snapshot),
        "ballots": (["receipt_hash", "choice", "channel", "flagged_paper_and_bot"], ballots),
    }


def tables_as_json(tables: dict[str, Table]) -> str:
    return json.dumps(
        {name: [dict(zip(headers, row, strict=True)) for row in rows] for name, (headers, rows) in tables.items()},
        ensure_ascii=False, indent=1, default=str,
    )  # fmt: skip


def tables_as_csv_zip(tables: dict[str, Table], prefix: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, (headers, rows) in tables.items():
            text = io.StringIO()
            writer = csv.writer(text)
            writer.writerow(headers)
            writer.writerows(rows)
            archive.writestr(f"{prefix}-{name}.csv", "\ufeff" + text.getvalue())  # BOM for Excel
    return buffer.getvalue()


async def configure(
    session: AsyncSession, compound_id: int, *, notice_days: int | None, unreturned: bool | None
) -> Compound:
    """Per-compound rules of procedure: notice days and the opt-in unreturned-ballot rule."""
    compound = await session.get(Compound, compound_id)
    if notice_days is not None:
        if not 1 <= notice_days <= 90:
            raise DomainError(N_("Notice must be between 1 and 90 days."))
        compound.vote_notice_days = notice_days
    if unreturned is not None:
        compound.count_unreturned_with_majority = unreturned
    return compound
