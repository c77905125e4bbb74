"""The audit log: who did what to which record, and when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import utc_field


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = utc_field(nullable=False, index=True)
    actor_id: int | None = Field(default=None, foreign_key="resident.id", index=True)
    action: str = Field(max_length=64, index=True)
    subject_type: str = Field(max_length=32)
    subject_id: str | None = Field(default=None, max_length=64)
    details: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON())


class AuditSubject(SQLModel, table=True):
    """Whose personal data one `people.read` event showed: a resident (a name, a phone the bot
    holds) or a home (the roster's owner name and phone). One event per read, one narrow indexed
    row per person read, so a 5,000-row sheet is one event and a bulk insert, and "who read my
    data" is an index lookup rather than a scan of every event's JSON."""

    __tablename__ = "audit_subject"
    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="audit_event.id", index=True)
    compound_id: int | None = Field(default=None, foreign_key="compound.id", index=True)
    resident_id: int | None = Field(default=None, foreign_key="resident.id", index=True)
    household_id: int | None = Field(default=None, foreign_key="household.id", index=True)
