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


class UrgentKind(StrEnum):
    """What makes a report urgent (DOMAIN §3, §9): these alert at once, day or night."""

    LIFT = "lift"  # 电梯困人 lift entrapment
    FIRE = "fire"  # 火情/消防设施 fire or fire equipment
    WATER = "water"  # 漏水/爆管 water leak, burst pipe
    FACADE = "facade"  # 外墙/高空坠物危险 façade danger, falling objects
    GAS = "gas"  # 燃气泄漏 gas leak
    OTHER = "other"  # another emergency


class PlaceKind(StrEnum):
    """Where a report is, as the resident described it."""

    HOME = "household"  # the home the report is for (building, unit and room of the roster)
    BUILDING = "building"  # in a building: stairs, lift, corridor; maybe a unit and a floor
    AREA = "area"  # a common area (大堂, 南门, 地下车库), picked from the list or typed
    LOCATION = "location"  # a location shared from the phone


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
    # whose report it is (the reporter's home, or the one filed for); the place is only that
    # home when place_kind is "household"
    household_id: int | None = Field(default=None, foreign_key="household.id", index=True)
    place_kind: str = enum_field(PlaceKind, default=PlaceKind.HOME)
    unit: str | None = Field(default=None, max_length=20)  # in a building: its 单元
    floor: int | None = None
    area: str | None = Field(default=None, max_length=100)  # a common area, as picked or typed
    latitude: float | None = None
    longitude: float | None = None
    category: str = enum_field(TicketCategory)
    urgent: bool = False  # urgent_kind is not None
    urgent_kind: str | None = enum_field(UrgentKind, default=None)
    urgent_repeats: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
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


class TicketDispatchRule(SQLModel, table=True):
    """Auto-assignment (派单) per compound: a new ticket of this category and/or building goes to
    this staff member; the most specific rule wins (category and building, then one of them)."""

    __tablename__ = "ticket_dispatch_rule"
    id: int | None = Field(default=None, primary_key=True)
    compound_id: int = Field(foreign_key="compound.id", index=True)
    category: str | None = enum_field(TicketCategory, default=None)
    building_id: int | None = Field(default=None, foreign_key="building.id")
    assignee_id: int = Field(foreign_key="resident.id")


class DutyShift(SQLModel, table=True):
    """The duty rota (值班表): who is on duty from when to when; while a shift covers the moment,
    urgent alerts go to the staff on duty instead of every staff member."""

    __tablename__ = "duty_shift"
    __table_args__ = (sa.Index("ix_duty_shift_compound_ends", "compound_id", "ends_at"),)
    id: int | None = Field(default=None, primary_key=True)
    compound_id: int = Field(foreign_key="compound.id")
    resident_id: int = Field(foreign_key="resident.id", index=True)
    starts_at: datetime = utc_field(nullable=False)
    ends_at: datetime = utc_field(nullable=False)


class TicketTemplate(SQLModel, table=True):
    """A compound's ready-made note for residents (a response template); `…` marks the part the
    staff member completes by typing."""

    __tablename__ = "ticket_template"
    __table_args__ = (sa.UniqueConstraint("compound_id", "text"),)
    id: int | None = Field(default=None, primary_key=True)
    compound_id: int = Field(foreign_key="compound.id", index=True)
    text: str = Field(max_length=300)
    created_at: datetime = utc_field(nullable=False)
