"""Tickets (报事报修): a resident's report about one of the five basic services, and its history."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import enum_field, utc_field


class TicketCategory(StrEnum):
    """The five basic services (五保), plus other / complaint."""

    CLEANING = "cleaning"  # 清扫保洁
    GREENING = "greening"  # 绿化养护
    ORDER = "order"  # 秩序维护
    REPAIR = "repair"  # 公共部位日常维修
    FACILITY = "facility"  # 设施设备运行
    OTHER = "other"  # 其他 / 投诉


class TicketStatus(StrEnum):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CONFIRMED = "confirmed"
    REOPENED = "reopened"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


OPEN_STATUSES = (
    TicketStatus.NEW,
    TicketStatus.ACKNOWLEDGED,
    TicketStatus.IN_PROGRESS,
    TicketStatus.REOPENED,
)


class Ticket(SQLModel, table=True):
    __table_args__ = (
        sa.Index("ix_ticket_compound_status", "compound_id", "status"),
        sa.Index("ix_ticket_duplicates", "building_id", "category", "status", "created_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    compound_id: int = Field(foreign_key="compound.id")
    building_id: int | None = Field(default=None, foreign_key="building.id")
    household_id: int | None = Field(default=None, foreign_key="household.id", index=True)
    floor: int | None = None
    latitude: float | None = None
    longitude: float | None = None
    category: str = enum_field(TicketCategory)
    urgent: bool = False
    description: str = Field(default="", sa_type=sa.Text())
    status: str = enum_field(TicketStatus, default=TicketStatus.NEW, index=True)
    reporter_id: int = Field(foreign_key="resident.id", index=True)
    filed_by_id: int | None = Field(default=None, foreign_key="resident.id")  # liaison filing 代办
    assignee_id: int | None = Field(default=None, foreign_key="resident.id", index=True)
    created_at: datetime = utc_field(nullable=False, index=True)
    acknowledged_at: datetime | None = utc_field()
    done_at: datetime | None = utc_field()
    closed_at: datetime | None = utc_field()
    rating: int | None = None
    rating_comment: str | None = Field(default=None, max_length=500)
    reject_reason: str | None = Field(default=None, max_length=500)
    escalation_level: int = 0  # 1: liaison told, 2: quality supervisor told


class TicketPhoto(SQLModel, table=True):
    __tablename__ = "ticket_photo"
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    file_id: str = Field(max_length=200)
    after: bool = False  # the staff's photo of the fixed state
    added_by: int | None = Field(default=None, foreign_key="resident.id")
    at: datetime = utc_field(nullable=False)


class TicketEvent(SQLModel, table=True):
    """Every change, note and escalation, with actor and time."""

    __tablename__ = "ticket_event"
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    at: datetime = utc_field(nullable=False)
    actor_id: int | None = Field(default=None, foreign_key="resident.id")
    kind: str = Field(max_length=32)  # a TicketAction, "note", "assign", "photo", "escalate"
    from_status: str | None = Field(default=None, max_length=16)
    to_status: str | None = Field(default=None, max_length=16)
    note: str | None = Field(default=None, sa_type=sa.Text())
    visible: bool = True  # shown to the resident (internal notes are not)
    data: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON())


class TicketFollower(SQLModel, table=True):
    """ "Me too": residents who follow another's ticket instead of filing a duplicate."""

    __tablename__ = "ticket_follower"
    __table_args__ = (sa.UniqueConstraint("ticket_id", "resident_id"),)
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    resident_id: int = Field(foreign_key="resident.id", index=True)
    at: datetime = utc_field(nullable=False)


class TicketTemplate(SQLModel, table=True):
    """A compound's ready-made note for residents (a response template); `…` marks the part the
    staff member completes by typing."""

    __tablename__ = "ticket_template"
    __table_args__ = (sa.UniqueConstraint("compound_id", "text"),)
    id: int | None = Field(default=None, primary_key=True)
    compound_id: int = Field(foreign_key="compound.id", index=True)
    text: str = Field(max_length=300)
    created_at: datetime = utc_field(nullable=False)
