"""The inbox: every update Telegram delivers is stored here before Telegram is told it arrived,
then handled by a worker. A killed receiver or worker loses nothing."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import enum_field, utc_field


class InboxState(StrEnum):
    PENDING = "pending"  # waiting for a worker, or claimed by one (claim_token, lease_until)
    DONE = "done"  # handled; marked in the same transaction as the update's effects
    FAILED = "failed"  # gave up (the handler raised, or it never finished); kept for the operator


class InboxUpdate(SQLModel, table=True):
    """One update from Telegram. `lane` is the user it belongs to (the chat when there is no
    user): one lane's updates are handled strictly in update_id order, lanes in parallel."""

    __tablename__ = "inbox_update"
    __table_args__ = (sa.Index("ix_inbox_lane", "bot_id", "state", "lane", "update_id"),)
    bot_id: int = Field(sa_column=sa.Column(sa.BigInteger(), primary_key=True, autoincrement=False))
    update_id: int = Field(
        sa_column=sa.Column(sa.BigInteger(), primary_key=True, autoincrement=False)
    )
    lane: int = Field(sa_type=sa.BigInteger())
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON(), nullable=False)
    received_at: datetime = utc_field(nullable=False)
    state: str = enum_field(InboxState, default=InboxState.PENDING)
    claim_token: str | None = Field(default=None, max_length=32)
    lease_until: datetime | None = utc_field()
    attempts: int = 0
    done_at: datetime | None = utc_field(index=True)
    last_error: str | None = Field(default=None, max_length=300)
