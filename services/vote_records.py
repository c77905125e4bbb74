"""The record of an owners'-assembly vote, read from the database: the tally with every figure,
the exported record (tally, eligibility snapshot, anonymised ballots) and the homes that have
not voted yet, with roster names and phones for those who follow them up."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, localcontext
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_
from models import (
    Ballot,
    BallotChannel,
    Building,
    EligibleVoter,
    Grid,
    Household,
    Poll,
    PollKind,
    PollStatus,
    Resident,
)
from services import audit, tables
from services.actors import Actor
from services.errors import DomainError
from services.places import household_label, household_labels
from services.policy import Permission, authorize
from services.tables import Column, Table
from services.tally import EXACT, Choice, MatterType, election_of_voters, resolution_of_sums
from services.vote_ballots import counted_ballots, visible_poll
from services.vote_eligibility import transferred_during
from services.vote_flags import flags_of
from services.vote_objections import objection_count, objection_table

NOT_CLOSED = N_("The record can be exported when the vote has closed.")
ON_RECORD = (PollStatus.CLOSED, PollStatus.CANCELLED)  # closed, or withdrawn before its close


# --- the tally ------------------------------------------------------------------------------
async def resolution_sums(
    session: AsyncSession, poll: Poll
) -> tuple[dict[str, Decimal], dict[str, int]]:
    """Area and headcount per bucket (agree, disagree, abstain, unreturned), added up in SQL:
    each voter of the snapshot with the ballot that counts (the latest paper ballot, else the
    latest one: the same rule as `counted_ballots`). Areas are summed as whole fen (integers),
    so the sums are exact on SQLite as on PostgreSQL."""
    rank = sa.func.row_number().over(
        partition_by=col(Ballot.voter_key),
        order_by=(
            sa.case((col(Ballot.channel) == BallotChannel.PAPER, 1), else_=0).desc(),
            col(Ballot.version).desc(),
        ),
    )
    latest = (
        sa.select(
            col(Ballot.voter_key),
            sa.cast(col(Ballot.choice), sa.Text).label("choice"),
            rank.label("rank"),
        )
        .where(col(Ballot.poll_id) == poll.id)
        .subquery()
    )
    fen = sa.func.sum(sa.cast(sa.func.round(col(EligibleVoter.area) * 100), sa.BigInteger))
    # From the counted ballots to their voter (an indexed lookup on both databases), then the
    # whole snapshot once: whoever is not among the voted is unreturned.
    connection = await session.connection()
    voted = (
        await connection.execute(
            sa.select(latest.c.choice, sa.func.count(), fen)
            .select_from(latest)
            .join(
                EligibleVoter,
                sa.and_(
                    col(EligibleVoter.poll_id) == poll.id,
                    col(EligibleVoter.voter_key) == latest.c.voter_key,
                ),
            )
            .where(latest.c.rank == 1)
            .group_by(latest.c.choice)
        )
    ).all()
    everyone = (
        await connection.execute(
            sa.select(sa.func.count(), fen).where(col(EligibleVoter.poll_id) == poll.id)
        )
    ).one()
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


def _axis(figures: Any) -> dict[str, str]:
    names = ("total", "participating", "agree", "disagree", "abstain")
    return {name: str(getattr(figures, name)) for name in names}


async def tally(session: AsyncSession, poll: Poll) -> dict[str, Any]:
    """Every figure behind the result, as exact fractions written "n/d"."""
    if poll.kind == PollKind.RESOLUTION:
        area_sums, head_sums = await resolution_sums(session, poll)
        result = resolution_of_sums(
            area_sums,
            head_sums,
            MatterType(poll.matter),
            count_unreturned_with_majority=poll.count_unreturned_with_majority,
        )
        return {
            "kind": "resolution",
            "quorum": result.quorum,
            "passed": result.passed,
            "area": _axis(result.area),
            "headcount": _axis(result.headcount),
            "threshold": str(result.threshold),
        }
    # The snapshot is already one row per headcount unit (the developer's unsold units are one).
    connection = await session.connection()
    areas = dict(
        (
            await connection.execute(
                sa.select(col(EligibleVoter.voter_key), col(EligibleVoter.area)).where(
                    col(EligibleVoter.poll_id) == poll.id
                )
            )
        ).all()
    )
    counted = await counted_ballots(session, poll)
    chosen = {k: frozenset(b.choice) for k, b in counted.items() if k in areas}
    election = election_of_voters(areas, chosen, poll.candidates, poll.seats)
    return {
        "kind": "election",
        "quorum": election.quorum,
        "area": _axis(election.area),
        "headcount": _axis(election.headcount),
        "candidates": [
            {
                "name": c.candidate,
                "area": str(c.area),
                "headcount": str(c.headcount),
                "majority": c.majority,
                "elected": c.elected,
            }
            for c in election.candidates
        ],
    }


# --- the exported record --------------------------------------------------------------------
@dataclass(frozen=True)
class Record:
    poll: Poll
    tables: dict[str, Table]


def _number(exact: str) -> Decimal:
    """An exact figure ("n/d") as a number for a spreadsheet (the exact text stays beside it)."""
    value = Fraction(exact)
    return Decimal(value.numerator) / Decimal(value.denominator)


def _local(moment: datetime, tz: ZoneInfo) -> datetime:
    return moment.astimezone(tz).replace(tzinfo=None)


async def export_record(
    session: AsyncSession, actor: Actor | None, poll_id: int, *, tz: ZoneInfo
) -> Record:
    """A closed (or withdrawn) vote's record: the tally with what was published and when, the
    eligibility snapshot, the anonymised ballots, the homes flagged for voting twice and the
    objections. The snapshot says whether a home took part, never how; the ballots are listed by
    receipt hash, without time or voter; a flag names the home and why, never its ballot. Every
    cell typed, user text never a formula."""
    if await session.get(Poll, poll_id) is None:  # no closed vote has this number
        raise DomainError(NOT_CLOSED)
    poll = await visible_poll(session, actor, poll_id)
    await authorize(session, actor, Permission.VOTE_EXPORT, poll.compound_id)
    if poll.status not in ON_RECORD:
        raise DomainError(NOT_CLOSED)
    counted = await counted_ballots(session, poll)
    eligible = list(
        (
            await session.exec(
                select(EligibleVoter)
                .where(col(EligibleVoter.poll_id) == poll.id)
                .order_by(col(EligibleVoter.id))
            )
        ).all()
    )
    labels = await household_labels(session, [h for v in eligible for h in v.household_ids])
    sold = await transferred_during(session, poll)
    snapshot = [
        [
            index,
            "; ".join(labels.get(h, str(h)) for h in v.household_ids),
            v.area,
            v.developer,
            v.voter_key in counted,
            any(h in sold for h in v.household_ids),
        ]
        for index, v in enumerate(eligible, start=1)
    ]
    ballots = sorted(
        [b.receipt_hash, ", ".join(b.choice), b.channel, b.flagged] for b in counted.values()
    )
    withdrawn = poll.status == PollStatus.CANCELLED  # not tallied: nothing was decided
    result = {} if withdrawn else (poll.result or await tally(session, poll))
    flags = [[f.home, f.reason, _local(f.flagged_at, tz)] for f in await flags_of(session, poll)]
    return Record(
        poll,
        {
            "tally": _tally_table(
                poll,
                result,
                tz,
                await _withdrawal_rows(session, poll, tz),
                await objection_count(session, poll),
            ),
            "eligible": Table(
                [
                    Column("unit", "int"),
                    Column("homes"),
                    Column("area_m2", "number"),
                    Column("developer", "bool"),
                    Column("took_part", "bool"),
                    Column("sold_during_vote", "bool"),
                ],
                snapshot,
            ),
            "ballots": Table(
                [
                    Column("receipt_hash"),
                    Column("choice"),
                    Column("channel"),
                    Column("flagged_paper_and_bot", "bool"),
                ],
                ballots,
            ),
            "flags": Table(
                [Column("home"), Column("reason"), Column("flagged_at", "datetime")], flags
            ),
            "objections": await objection_table(session, poll, tz),
        },
    )


async def _withdrawal_rows(session: AsyncSession, poll: Poll, tz: ZoneInfo) -> list[list[object]]:
    """The status, and for a withdrawn vote when, by whom and why."""
    rows: list[list[object]] = [["status", poll.status, None, None]]
    if poll.withdrawn_at is not None:
        by = await session.get(Resident, poll.withdrawn_by) if poll.withdrawn_by else None
        rows += [
            ["withdrawn_at", None, None, _local(poll.withdrawn_at, tz)],
            ["withdrawn_by", by.display_name if by else "command line", None, None],
            ["withdrawal_reason", poll.withdrawal_reason, None, None],
        ]
    return rows


def _tally_table(
    poll: Poll, result: dict[str, Any], tz: ZoneInfo, extra: list[list[object]], objections: int
) -> Table:
    """One figure a row: its text as stored (exact fractions "n/d"), as a number where it is one,
    as a time where it is one; then what was published to owners, and when."""
    rows: list[list[object]] = [
        ["poll", str(poll.id), None, None],
        ["title", poll.title, None, None],
        ["matter", poll.matter, None, None],
        ["special_item", str(poll.special_item or ""), None, None],
        ["kind", poll.kind, None, None],
        ["buildings", ", ".join(str(b) for b in poll.building_ids) or "all", None, None],
        ["opens_at", None, None, _local(poll.opens_at, tz)],
        ["closes_at", None, None, _local(poll.closes_at, tz)],
        # DOMAIN §9: who was eligible is the snapshot taken when voting opened (owners then).
        ["eligibility", "snapshot of the owners at the opening", None, None],
        ["snapshot_taken_at", None, None, _local(poll.opened_at or poll.opens_at, tz)],
        ["count_unreturned_with_majority", _yes(poll.count_unreturned_with_majority), None, None],
        ["quorum", _yes(result.get("quorum")), None, None],
        ["passed", _yes(result.get("passed")), None, None],
        ["threshold", result.get("threshold"), None, None],
    ]
    for axis in ("area", "headcount"):
        for name, value in result.get(axis, {}).items():
            rows.append([f"{axis}.{name}", value, _number(value), None])
    for candidate in result.get("candidates", []):
        name = candidate["name"]
        for figure in ("area", "headcount"):
            exact = candidate[figure]
            rows.append([f"candidate.{name}.{figure}", exact, _number(exact), None])
        rows.append([f"candidate.{name}.elected", _yes(candidate["elected"]), None, None])
    rows += extra
    area, head = poll.published_area, poll.published_headcount
    rows += [
        ["opening_published_at", None, None, _when(poll.opening_sent_at, tz)],
        ["published_total_area_m2", _text(area), area, None],
        ["published_total_headcount", _text(head), head, None],
        ["preliminary_published_at", None, None, _when(poll.preliminary_sent_at, tz)],
        ["objection_until", None, None, _when(poll.objection_until, tz)],
        ["objections", str(objections), objections, None],
        ["final_published_at", None, None, _when(poll.final_sent_at, tz)],
    ]
    columns = [
        Column("figure"),
        Column("value"),
        Column("number", "number"),
        Column("time", "datetime"),
    ]
    return Table(columns, rows)


def _when(moment: datetime | None, tz: ZoneInfo) -> datetime | None:
    return None if moment is None else _local(moment, tz)


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _yes(value: object) -> str | None:
    return None if value is None or value == "" else ("yes" if value else "no")


def record_files(poll_id: int, found: dict[str, Table]) -> list[tuple[str, bytes]]:
    """The record as the office keeps it: XLSX, CSV (zip) and JSON."""
    prefix = f"vote-{poll_id}"
    return [
        (f"{prefix}.xlsx", tables.xlsx(found)),
        (f"{prefix}-csv.zip", tables.csv_zip(found, prefix)),
        (f"{prefix}.json", tables.as_json(found).encode()),
    ]


# --- the homes that have not voted yet ------------------------------------------------------
@dataclass(frozen=True)
class HomeRow:
    household_id: int
    label: str
    grid: str
    owner_name: str
    owner_phone: str
    area: Decimal


@dataclass(frozen=True)
class NotVoted:
    poll: Poll
    homes: list[HomeRow]


def _natural(text: str) -> list[object]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


async def _homes(session: AsyncSession, household_ids: list[int]) -> list[HomeRow]:
    if not household_ids:
        return []
    rows = await session.exec(
        select(Household, col(Building.name), col(Grid.name))
        .join(Building, col(Building.id) == col(Household.building_id))
        .outerjoin(Grid, col(Grid.id) == col(Household.grid_id))
        .where(col(Household.id).in_(household_ids))
    )
    homes = [
        HomeRow(
            h.id or 0,
            household_label(b, h.unit, h.room),
            g or "",
            h.owner_name or "",
            h.owner_phone or "",
            h.area or Decimal(0),
        )
        for h, b, g in rows
    ]
    return sorted(homes, key=lambda h: (h.grid, _natural(h.label)))


async def not_voted_household_ids(
    session: AsyncSession, poll: Poll, *, developer: bool = True
) -> set[int]:
    """Homes of the snapshot whose headcount unit has no ballot yet."""
    counted = await counted_ballots(session, poll)
    rows = await session.exec(
        select(
            col(EligibleVoter.voter_key),
            col(EligibleVoter.household_ids),
            col(EligibleVoter.developer),
        ).where(col(EligibleVoter.poll_id) == poll.id)
    )
    return {
        home
        for key, ids, unsold in rows
        if key not in counted and (developer or not unsold)
        for home in ids
    }


async def not_voted_homes(session: AsyncSession, poll: Poll) -> list[HomeRow]:
    """The follow-up list: homes not voted yet, with roster names and phones (the developer's
    unsold homes left out). Only for those who hold VOTE_NOT_VOTED_LIST; audited by callers."""
    return await _homes(
        session, sorted(await not_voted_household_ids(session, poll, developer=False))
    )


def audit_people_read(
    session: AsyncSession, actor_id: int | None, poll: Poll, homes: int, *, now: datetime
) -> None:
    audit.record(
        session,
        at=now,
        actor_id=actor_id,
        action="people.read",
        subject_type="poll",
        subject_id=poll.id,
        what="not_voted",
        homes=homes,
    )


async def not_voted(
    session: AsyncSession, actor: Actor | None, poll_id: int, *, now: datetime
) -> NotVoted:
    """The homes of an open vote that have not voted yet, for door-to-door follow-up: roster
    names and phones, so only for the compound's liaisons, staff and administrators; audited."""
    poll = await visible_poll(session, actor, poll_id)
    await authorize(session, actor, Permission.VOTE_NOT_VOTED_LIST, poll.compound_id)
    if poll.status != PollStatus.OPEN:
        raise DomainError(N_("This vote is not open for voting."))
    homes = await not_voted_homes(session, poll)
    audit_people_read(session, actor.resident_id if actor else None, poll, len(homes), now=now)
    return NotVoted(poll, homes)
