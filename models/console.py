"""The office console's sign-in: single-use links sent by the bot, and browser sessions."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from models.base import utc_field


class ConsoleLink(SQLModel, table=True):
    """A sign-in link the bot sent on /console: valid for a few minutes and once. Only the
    SHA-256 of its secret is kept, so a copy of the database opens no console."""

    __tablename__ = "console_link"
    id: int | None = Field(default=None, primary_key=True)
    secret_hash: str = Field(max_length=64, unique=True)
    resident_id: int = Field(foreign_key="resident.id", index=True)
    created_at: datetime = utc_field(nullable=False)
    expires_at: datetime = utc_field(nullable=False)
    used_at: datetime | None = utc_field()


class ConsoleSession(SQLModel, table=True):
    """A browser signed in through a link: the person's own roles, read again on every page.
    Ends when it expires, at "sign out" in the browser or "sign out everywhere" in the bot."""

    __tablename__ = "console_session"
    id: int | None = Field(default=None, primary_key=True)
    secret_hash: str = Field(max_length=64, unique=True)
    resident_id: int = Field(foreign_key="resident.id", index=True)
    # The token every form of this session carries (cross-site request protection).
    form_token: str = Field(max_length=64)
    created_at: datetime = utc_field(nullable=False)
    expires_at: datetime = utc_field(nullable=False)
    last_seen_at: datetime = utc_field(nullable=False)
    ended_at: datetime | None = utc_field()
