"""Owners'-assembly votes (业主大会表决): the poll, who was eligible, and every ballot version."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import enum_field, utc_field


class PollKind(StrEnum):
    RESOLUTION = "resolution"  # agree / disagree / abstain
    ELECTION = "election"  # candidates, up to `seats` choices


class PollStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"  # notice given, not open yet
    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class BallotChannel(StrEnum):
    BOT = "bot"
    PAPER = "paper"


class Poll(SQLModel, table=True):
    __table_args__ = (sa.Index("ix_poll_due", "status", "opens_at", "closes_at"),)
    id: int | None = Field(default=None, primary_key=True)
    compound_id: int = Field(foreign_key="compound.id", index=True)
    title: str = Field(max_length=200)
    body: str = Field(default="", sa_type=sa.Text())
    kind: str = enum_field(PollKind, default=PollKind.RESOLUTION)
    matter: str = Field(default="ordinary", max_length=16)  # services.tally.MatterType
    special_item: int | None = None  # Art. 278 item 6, 7 or 8 for special matters
    seats: int = 1
    candidates: list[str] = Field(default_factory=list, sa_type=sa.JSON())
    building_ids: list[int] = Field(
        default_factory=list, sa_type=sa.JSON()
    )  # empty: whole compound
    count_unreturned_with_majority: bool = False
    notice_at: datetime = utc_field(nullable=False)
    opens_at: datetime = utc_field(nullable=False)
    closes_at: datetime = utc_field(nullable=False)
    status: str = enum_field(PollStatus, default=PollStatus.DRAFT)
    created_by: int | None = Field(default=None, foreign_key="resident.id")
    created_at: datetime = utc_field(nullable=False)
    opened_at: datetime | None = utc_field()
    closed_at: datetime | None = utc_field()
    result: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON())  # every figure, as text
    notice_sent_at: datetime | None = utc_field()  # owners were told (at notice_at)
    reminders_sent: list[int] = Field(
        default_factory=list, sa_type=sa.JSON(), sa_column_kwargs={"server_default": "[]"}
    )  # hours before close, done
    # A vote withdrawn before its close (status cancelled): when, by whom, and the reason every
    # owner who had the notice was sent; it stays in the record.
    withdrawn_at: datetime | None = utc_field()
    withdrawn_by: int | None = Field(default=None, foreign_key="resident.id")
    withdrawal_reason: str | None = Field(default=None, max_length=500)
    # The publication (DOMAIN §9): the denominators told to owners when voting opened, the
    # preliminary result at the close (初步结果), owners' objections until `objection_until`,
    # then the final result (最终结果). Each time marks its step done.
    preliminary_sent_at: datetime | None = utc_field()
    opening_sent_at: datetime | None = utc_field()
    published_area: Decimal | None = Field(default=None, max_digits=14, decimal_places=2)
    published_headcount: int | None = None
    objection_until: datetime | None = utc_field()
    final_sent_at: datetime | None = utc_field()
    # The key that signs the codes printed on this vote's paper ballots (services/ballot_codes),
    # made when they are first printed: a code of one vote never passes for another.
    paper_key: str | None = Field(default=None, max_length=64)


class EligibleVoter(SQLModel, table=True):
    """The eligibility snapshot taken when voting opens: one row per headcount unit."""

    __tablename__ = "eligible_voter"
    __table_args__ = (sa.UniqueConstraint("poll_id", "voter_key"),)
    id: int | None = Field(default=None, primary_key=True)
    poll_id: int = Field(foreign_key="poll.id", index=True)
    voter_key: str = Field(max_length=200)
    area: Decimal = Field(max_digits=12, decimal_places=2)
    household_ids: list[int] = Field(default_factory=list, sa_type=sa.JSON())
    developer: bool = False


class EligibleHome(SQLModel, table=True):
    """Which headcount unit each home of the snapshot belongs to: the voter of a home in one
    indexed lookup (a compound has thousands of homes)."""

    __tablename__ = "eligible_home"
    poll_id: int = Field(foreign_key="poll.id", primary_key=True)
    household_id: int = Field(foreign_key="household.id", primary_key=True)
    voter_key: str = Field(max_length=200)
    # The residents who held an owner or co-owner membership of the home at the opening: they
    # vote for it in this vote even if they sell it before the close.
    owner_ids: list[int] = Field(
        default_factory=list, sa_type=sa.JSON(), sa_column_kwargs={"server_default": "[]"}
    )


class Ballot(SQLModel, table=True):
    """Every ballot and every change of it, kept with its time; the highest version counts."""

    __table_args__ = (sa.UniqueConstraint("poll_id", "voter_key", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    poll_id: int = Field(foreign_key="poll.id", index=True)
    voter_key: str = Field(max_length=200, index=True)
    version: int = 1
    choice: list[str] = Field(default_factory=list, sa_type=sa.JSON())  # ["agree"] or candidates
    channel: str = enum_field(BallotChannel, default=BallotChannel.BOT)
    cast_by: int | None = Field(default=None, foreign_key="resident.id")
    cast_at: datetime = utc_field(nullable=False)
    receipt_hash: str = Field(max_length=64, index=True)
    flagged: bool = False  # voted both on paper and in the bot


class BallotFlagReason(StrEnum):
    PAPER_REFUSED = "paper_refused"  # a second paper ballot for the home, refused
    PAPER_REPLACED = "paper_replaced"  # … accepted as the confirmed replacement of an earlier one
    PAPER_AND_BOT = "paper_and_bot"  # a paper ballot for a home that had voted in the bot


class BallotFlag(SQLModel, table=True):
    """A home caught voting twice (DOMAIN §5): why, when, who entered it, the ballots involved."""

    __tablename__ = "ballot_flag"
    id: int | None = Field(default=None, primary_key=True)
    poll_id: int = Field(foreign_key="poll.id", index=True)
    voter_key: str = Field(max_length=200)
    household_id: int = Field(foreign_key="household.id")
    reason: str = enum_field(BallotFlagReason)
    earlier_ballot_id: int | None = Field(default=None, foreign_key="ballot.id")
    ballot_id: int | None = Field(default=None, foreign_key="ballot.id")  # None: refused
    flagged_by: int | None = Field(default=None, foreign_key="resident.id")
    flagged_at: datetime = utc_field(nullable=False)


class VoteObjection(SQLModel, table=True):
    """An owner's objection (异议) to a preliminary result, raised in the objection period; one
    person may raise several. Part of the vote's record."""

    __tablename__ = "vote_objection"
    id: int | None = Field(default=None, primary_key=True)
    poll_id: int = Field(foreign_key="poll.id", index=True)
    resident_id: int = Field(foreign_key="resident.id")
    household_id: int = Field(foreign_key="household.id")  # the home they were eligible for
    text: str = Field(sa_type=sa.Text())
    created_at: datetime = utc_field(nullable=False)
