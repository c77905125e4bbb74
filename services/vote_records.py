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

from core.i18n import N_, Msg, Translator
from models import (
    Ballot,
    BallotChannel,
    BallotFlag,
    Building,
    EligibleVoter,
    Grid,
    Household,
    Poll,
    PollKind,
    PollStatus,
    Resident,
    VoteObjection,
)
from services import audit, tables
from services.actors import Actor
from services.errors import DomainError
from services.places import household_label, household_labels
from services.policy import Permission, authorize
from services.tables import Cell, Column, Kind, Phrase, Table, local
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


STATUS: dict[str, Msg] = {
    PollStatus.DRAFT: N_("draft"),
    PollStatus.PUBLISHED: N_("announced"),
    PollStatus.OPEN: N_("open for voting"),
    PollStatus.CLOSED: N_("closed"),
    PollStatus.CANCELLED: N_("withdrawn"),
}
KIND: dict[str, Msg] = {PollKind.RESOLUTION: N_("resolution"), PollKind.ELECTION: N_("election")}
MATTER: dict[str, Msg] = {
    MatterType.ORDINARY: N_("ordinary matter (more than 1/2)"),
    MatterType.SPECIAL: N_("special matter, Art. 278 items 6–8 (at least 3/4)"),
}
CHANNEL: dict[str, Msg] = {BallotChannel.BOT: N_("bot"), BallotChannel.PAPER: N_("paper")}
# The figures of one axis of the tally: (its name, the label for area, for headcount).
AXIS: tuple[tuple[str, Msg, Msg], ...] = (
    ("total", N_("Exclusive area in the vote (㎡)"), N_("Owners in the vote")),
    ("participating", N_("Area of the owners who took part (㎡)"), N_("Owners who took part")),
    ("agree", N_("Area agreeing (㎡)"), N_("Owners agreeing")),
    ("disagree", N_("Area disagreeing (㎡)"), N_("Owners disagreeing")),
    ("abstain", N_("Area abstaining (㎡)"), N_("Owners abstaining")),
)
SHARES: tuple[tuple[str, str, str, Msg, Msg], ...] = (
    (
        "turnout",
        "participating",
        "total",
        N_("Share of the area that took part"),
        N_("Share of the owners who took part"),
    ),
    (
        "approval",
        "agree",
        "participating",
        N_("Share agreeing, of the area that took part"),
        N_("Share agreeing, of the owners who took part"),
    ),
)
CANDIDATE: tuple[tuple[str, Msg, Kind], ...] = (
    ("area", N_("{name}: area of the votes (㎡)"), "area"),
    ("headcount", N_("{name}: votes of owners"), "int"),
)
TALLY_COLUMNS = (
    Column(N_("Figure"), key="label"),
    Column(N_("Value"), key="value"),
    Column(N_("Exact value"), key="exact"),
    Column(N_("Code"), key="figure"),
)


def _number(exact: str) -> Decimal:
    """An exact figure ("n/d") as a number for a spreadsheet (the exact text stays beside it)."""
    value = Fraction(exact)
    return Decimal(value.numerator) / Decimal(value.denominator)


def _share(numerator: str, denominator: str) -> tuple[Cell | None, str | None]:
    """A share as a percentage cell and its exact fraction (none without a denominator)."""
    if Fraction(denominator) == 0:
        return None, None
    exact = Fraction(numerator) / Fraction(denominator)
    return Cell(Decimal(exact.numerator) / Decimal(exact.denominator), "percent"), str(exact)


async def export_record(
    session: AsyncSession, actor: Actor | None, poll_id: int, *, tz: ZoneInfo, now: datetime
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
    withdrawn = poll.status == PollStatus.CANCELLED  # not tallied: nothing was decided
    result = {} if withdrawn else (poll.result or await tally(session, poll))
    flags = [[f.home, f.reason, local(f.flagged_at, tz)] for f in await flags_of(session, poll)]
    await _audit_record(session, actor, poll, now=now)
    return Record(
        poll,
        {
            "tally": Table(
                TALLY_COLUMNS,
                await _tally_rows(session, poll, result, tz),
                title=N_("Tally"),
            ),
            "eligible": await _eligible_table(session, poll, counted),
            "ballots": Table(
                [
                    Column(N_("Receipt code"), key="receipt_hash"),
                    Column(N_("Choice"), key="choice"),
                    Column(N_("Channel"), key="channel"),
                    Column(N_("Flagged: paper and bot"), "bool", key="flagged_paper_and_bot"),
                ],
                sorted(
                    [
                        b.receipt_hash,
                        ", ".join(b.choice),
                        CHANNEL.get(b.channel, b.channel),
                        b.flagged,
                    ]
                    for b in counted.values()
                ),
                title=N_("Ballots"),
            ),
            "flags": Table(
                [
                    Column(N_("Home"), key="home"),
                    Column(N_("Reason"), key="reason"),
                    Column(N_("Flagged at"), "datetime", key="flagged_at"),
                ],
                flags,
                title=N_("Flagged homes"),
            ),
            "objections": await objection_table(session, poll, tz),
        },
    )


async def _audit_record(
    session: AsyncSession, actor: Actor | None, poll: Poll, *, now: datetime
) -> None:
    """The record names the homes that objected (with their words) or were flagged: a read of
    those owners' data."""
    objected = await session.exec(
        select(col(VoteObjection.household_id)).where(col(VoteObjection.poll_id) == poll.id)
    )
    flagged = await session.exec(
        select(col(BallotFlag.household_id)).where(col(BallotFlag.poll_id) == poll.id)
    )
    await audit.record_read(
        session,
        at=now,
        actor_id=actor.resident_id if actor else None,
        what="vote_record",
        subject_type="poll",
        subject_id=poll.id,
        compound_id=poll.compound_id,
        households=[*objected, *flagged],
    )


async def _eligible_table(session: AsyncSession, poll: Poll, counted: dict[str, Any]) -> Table:
    """The snapshot: one row per headcount unit with its homes by name and its area."""
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
    rows = [
        [
            index,
            "; ".join(labels.get(h, "?") for h in v.household_ids),
            v.area,
            v.developer,
            v.voter_key in counted,
            any(h in sold for h in v.household_ids),
        ]
        for index, v in enumerate(eligible, start=1)
    ]
    columns = [
        Column(N_("No."), "int", key="unit"),
        Column(N_("Homes"), key="homes"),
        Column(N_("Area (㎡)"), "area", key="area_m2"),
        Column(N_("Developer's unsold units"), "bool", key="developer"),
        Column(N_("Took part"), "bool", key="took_part"),
        Column(N_("Sold during the vote"), "bool", key="sold_during_vote"),
    ]
    return Table(columns, rows, title=N_("Eligible owners"))


Row = list[object]


def _row(code: str, label: Msg | Phrase, value: object, exact: str | None = None) -> Row:
    return [label, value, exact, code]


def _time(code: str, label: Msg, moment: datetime | None, tz: ZoneInfo) -> Row:
    return _row(code, label, None if moment is None else Cell(local(moment, tz), "datetime"))


def _yes(value: object) -> Cell | None:
    return None if value is None or value == "" else Cell(bool(value), "bool")


async def _building_names(session: AsyncSession, poll: Poll) -> str:
    if not poll.building_ids:
        return ""
    names = await session.exec(
        select(col(Building.name)).where(col(Building.id).in_(poll.building_ids))
    )
    return ", ".join(sorted(names, key=_natural))


async def _tally_rows(
    session: AsyncSession, poll: Poll, result: dict[str, Any], tz: ZoneInfo
) -> list[Row]:
    """One figure a row: its label in the reader's language, the value as a number, a share, a
    time or a word (areas in ㎡, shares as percentages, times local), the exact fraction "n/d"
    where the figure is one (for the legal record), and the figure's code."""
    buildings = await _building_names(session, poll)
    threshold = result.get("threshold")
    rows: list[Row] = [
        _row("poll", N_("Vote number"), Cell(poll.id, "int")),
        _row("title", N_("Title"), poll.title),
        _row("matter", N_("Matter"), MATTER.get(poll.matter, poll.matter)),
        _row("special_item", N_("Art. 278 item"), str(poll.special_item or "")),
        _row("kind", N_("Kind"), KIND.get(poll.kind, poll.kind)),
        _row("buildings", N_("Buildings"), buildings or N_("the whole compound")),
        _time("opens_at", N_("Voting opens"), poll.opens_at, tz),
        _time("closes_at", N_("Voting closes"), poll.closes_at, tz),
        # DOMAIN §9: who was eligible is the snapshot taken when voting opened (owners then).
        _row("eligibility", N_("Who may vote"), N_("the owners when voting opened")),
        _time("snapshot_taken_at", N_("Owners taken at"), poll.opened_at or poll.opens_at, tz),
        _row(
            "count_unreturned_with_majority",
            N_("Unreturned ballots counted with the majority"),
            _yes(poll.count_unreturned_with_majority),
        ),
        _row("quorum", N_("Quorum reached (2/3 of area and owners)"), _yes(result.get("quorum"))),
        _row("passed", N_("Passed"), _yes(result.get("passed"))),
        _row(
            "threshold",
            N_("Share needed to pass"),
            *(_share(threshold, "1") if threshold else (None, None)),
        ),
    ]
    rows += _axis_rows(result)
    for candidate in result.get("candidates", []):
        name = candidate["name"]
        for figure, label, kind in CANDIDATE:
            exact = candidate[figure]
            rows.append(
                _row(
                    f"candidate.{name}.{figure}",
                    Phrase(label, {"name": name}),
                    Cell(_number(exact), kind),
                    exact,
                )
            )
        elected = Phrase(N_("{name}: elected"), {"name": name})
        rows.append(_row(f"candidate.{name}.elected", elected, _yes(candidate["elected"])))
    return rows + await _status_rows(session, poll, tz) + await _published_rows(session, poll, tz)


def _axis_rows(result: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    axes: tuple[tuple[str, Kind], ...] = (("area", "area"), ("headcount", "int"))
    for axis, kind in axes:
        figures = result.get(axis, {})
        if not figures:
            continue
        for name, area_label, head_label in AXIS:
            exact = figures[name]
            label = area_label if axis == "area" else head_label
            rows.append(_row(f"{axis}.{name}", label, Cell(_number(exact), kind), exact))
        for name, top, bottom, area_label, head_label in SHARES:
            label = area_label if axis == "area" else head_label
            rows.append(_row(f"{axis}.{name}", label, *_share(figures[top], figures[bottom])))
    return rows


async def _status_rows(session: AsyncSession, poll: Poll, tz: ZoneInfo) -> list[Row]:
    """The status, and for a withdrawn vote when, by whom and why."""
    rows: list[Row] = [_row("status", N_("Status"), STATUS.get(poll.status, poll.status))]
    if poll.withdrawn_at is not None:
        by = await session.get(Resident, poll.withdrawn_by) if poll.withdrawn_by else None
        rows += [
            _time("withdrawn_at", N_("Withdrawn at"), poll.withdrawn_at, tz),
            _row("withdrawn_by", N_("Withdrawn by"), by.display_name if by else N_("command line")),
            _row("withdrawal_reason", N_("Reason for withdrawing"), poll.withdrawal_reason),
        ]
    return rows


async def _published_rows(session: AsyncSession, poll: Poll, tz: ZoneInfo) -> list[Row]:
    """What was published to owners, and when."""
    area, head = poll.published_area, poll.published_headcount
    objections = await objection_count(session, poll)
    return [
        _time("opening_published_at", N_("Opening published at"), poll.opening_sent_at, tz),
        _row(
            "published_total_area_m2",
            N_("Total area published at the opening (㎡)"),
            None if area is None else Cell(area, "area"),
        ),
        _row(
            "published_total_headcount",
            N_("Owners published at the opening"),
            None if head is None else Cell(head, "int"),
        ),
        _time(
            "preliminary_published_at",
            N_("Preliminary result published at"),
            poll.preliminary_sent_at,
            tz,
        ),
        _time("objection_until", N_("Objections until"), poll.objection_until, tz),
        _row("objections", N_("Objections received"), Cell(objections, "int")),
        _time("final_published_at", N_("Final result published at"), poll.final_sent_at, tz),
    ]


def record_files(poll_id: int, found: dict[str, Table], _: Translator) -> list[tuple[str, bytes]]:
    """The record as the office keeps it: XLSX and CSV (zip) in the reader's language, and JSON
    with machine keys."""
    prefix = f"vote-{poll_id}"
    return [
        (f"{prefix}.xlsx", tables.xlsx(found, _)),
        (f"{prefix}-csv.zip", tables.csv_zip(found, prefix, _)),
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


async def audit_people_read(
    session: AsyncSession,
    actor_id: int | None,
    poll: Poll,
    homes: list[HomeRow],
    *,
    now: datetime,
    sent_to: list[int | None] | None = None,
) -> None:
    """The not-voted list's names and phones were read: one event, one subject row per home
    (`sent_to`: the liaisons a reminder job sent the list to)."""
    await audit.record_read(
        session,
        at=now,
        actor_id=actor_id,
        what="not_voted",
        subject_type="poll",
        subject_id=poll.id,
        compound_id=poll.compound_id,
        households=[h.household_id for h in homes],
        **({"sent_to": sent_to} if sent_to is not None else {}),
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
    await audit_people_read(session, actor.resident_id if actor else None, poll, homes, now=now)
    return NotVoted(poll, homes)
