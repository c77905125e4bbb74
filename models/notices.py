"""Notices (宣传员): what a liaison or staff member broadcasts, to whom, and who acknowledged it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import enum_field, utc_field


class NoticeCategory(StrEnum):
    POLICY = "policy"  # 政策通知
    SERVICE = "service"  # 服务通知 (water cut, lift maintenance, ...)
    EMERGENCY = "emergency"  # 紧急通知: ignores quiet hours


class NoticeStatus(StrEnum):
    SCHEDULED = "scheduled"
    QUEUED = "queued"  # handed to the outbox
    CANCELLED = "cancelled"


class TargetKind(StrEnum):
    COMPOUND = "compound"  # every registered resident of the compound
    OWNERS = "owners"  # owners and co-owners only
    BUILDINGS = "buildings"
    GRIDS = "grids"
    ROLE = "role"  # holders of one role over the compound
    UNPAID = "unpaid"  # homes with an overdue fee bill (owners; tenants where owners allow)


class Notice(SQLModel, table=True):
    __table_args__ = (sa.Index("ix_notice_due", "status", "send_at"),)
    id: int | None = Field(default=None, primary_key=True)
    compound_id: int = Field(foreign_key="compound.id", index=True)
    sender_id: int = Field(foreign_key="resident.id", index=True)
    category: str = enum_field(NoticeCategory, default=NoticeCategory.SERVICE)
    status: str = enum_field(NoticeStatus, default=NoticeStatus.SCHEDULED)
    text: str = Field(default="", sa_type=sa.Text())  # Telegram HTML, as the sender formatted it
    photo_file_id: str | None = Field(default=None, max_length=200)
    document_file_id: str | None = Field(default=None, max_length=200)
    target_kind: str = enum_field(TargetKind, default=TargetKind.COMPOUND)
    target_ids: list[int] = Field(default_factory=list, sa_type=sa.JSON())
    target_role: str | None = Field(default=None, max_length=16)
    ask_ack: bool = False
    send_at: datetime | None = utc_field()
    created_at: datetime = utc_field(nullable=False)
    queued_at: datetime | None = utc_field()
    recipients: int = 0  # residents the notice was queued for
    reminders: int = 0  # how many "please read" reminders went out
    last_reminded_at: datetime | None = utc_field()  # the last one (the cool-down starts there)


class NoticeAck(SQLModel, table=True):
    """ "I have read it": one per resident and notice."""

    __tablename__ = "notice_ack"
    __table_args__ = (sa.UniqueConstraint("notice_id", "resident_id"),)
    id: int | None = Field(default=None, primary_key=True)
    notice_id: int = Field(foreign_key="notice.id", index=True)
    resident_id: int = Field(foreign_key="resident.id", index=True)
    household_id: int | None = Field(default=None, foreign_key="household.id", index=True)
    at: datetime = utc_field(nullable=False)
