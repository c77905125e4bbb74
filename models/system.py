"""Bot plumbing kept in the database: conversation states and processed update ids."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import utc_field


class ConversationState(SQLModel, table=True):
    """State of one multi-step conversation, written at every change so a restart loses nothing."""

    __tablename__ = "conversation_state"
    name: str = Field(primary_key=True, max_length=64)
    key: str = Field(primary_key=True, max_length=64)
    state: Any = Field(default=None, sa_type=sa.JSON())
    updated_at: datetime = utc_field(nullable=False)


class ProcessedUpdate(SQLModel, table=True):
    """Telegram delivers at least once; a recorded update id is not applied twice."""

    __tablename__ = "processed_update"
    bot_id: int = Field(sa_column=sa.Column(sa.BigInteger(), primary_key=True, autoincrement=False))
    update_id: int = Field(
        sa_column=sa.Column(sa.BigInteger(), primary_key=True, autoincrement=False)
    )
    processed_at: datetime = utc_field(nullable=False, index=True)


class Draft(SQLModel, table=True):
    """A multi-step input in progress (a report, a notice, a fee, a paper ballot…): one row per
    person and flow, with the step it is at and the answers so far, typed by the flow's model
    in services.drafts. Kept in the database, so a restart in between loses nothing."""

    resident_id: int = Field(foreign_key="resident.id", primary_key=True)
    flow: str = Field(primary_key=True, max_length=32)
    step: str = Field(max_length=48)
    data: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON())
    updated_at: datetime = utc_field(nullable=False)


class Media(SQLModel, table=True):
    """A file the bot made (a chart, a spreadsheet) to send to many chats: uploaded once, then
    re-sent by Telegram's file id, which is stored here on the first successful upload."""

    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(max_length=64, unique=True)
    filename: str = Field(max_length=200)
    content: bytes = Field(sa_type=sa.LargeBinary())
    telegram_file_id: str | None = Field(default=None, max_length=200)
    created_at: datetime = utc_field(nullable=False)


class SystemValue(SQLModel, table=True):
    """A value the running bot records for other processes, e.g. its username from getMe
    (`bot_username`), which the command line puts into the invite links it prints."""

    __tablename__ = "system_value"
    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=256)
    updated_at: datetime = utc_field(nullable=False)
