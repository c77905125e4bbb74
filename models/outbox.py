"""The outbox: every message that is not a direct reply waits here until the sender delivers it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import enum_field, utc_field


class OutboxStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"  # claimed by a sender; reclaimed if the sender dies
    SENT = "sent"
    FAILED = "failed"  # gave up after retries, or Telegram refused the message
    UNREACHABLE = "unreachable"  # 403: the resident blocked the bot
    CANCELLED = "cancelled"


class OutboxMessage(SQLModel, table=True):
    """One message to one chat. `dedupe_key` (purpose + recipient) makes producers idempotent."""

    __tablename__ = "outbox_message"
    __table_args__ = (sa.Index("ix_outbox_due", "status", "not_before", "priority"),)
    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(max_length=160, unique=True)
    purpose: str = Field(max_length=100, index=True)
    resident_id: int | None = Field(default=None, foreign_key="resident.id", index=True)
    household_id: int | None = Field(default=None, foreign_key="household.id", index=True)
    chat_id: int = Field(sa_type=sa.BigInteger())
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON())
    priority: int = 5  # 0 = emergency first
    status: str = enum_field(OutboxStatus, default=OutboxStatus.QUEUED)
    not_before: datetime = utc_field(nullable=False)
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=300)
    claimed_at: datetime | None = utc_field()
    claim_token: str | None = Field(default=None, max_length=32, index=True)
    sent_at: datetime | None = utc_field()
    telegram_message_id: int | None = Field(default=None, sa_type=sa.BigInteger())
    created_at: datetime = utc_field(nullable=False)
    # The bot that sends it (models.bots, from the recipient's compound); None: the default bot.
    bot_id: int | None = Field(default=None, sa_type=sa.BigInteger(), index=True)
    # Sent with allow_paid_broadcast (an emergency notice through a bot whose switch is on).
    paid_broadcast: bool = Field(
        default=False, sa_column_kwargs={"server_default": sa.false()}, nullable=False
    )
