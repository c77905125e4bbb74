"""Bots: the Telegram bots of a city on one database, and the places each one serves."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import utc_field


class BotAccount(SQLModel, table=True):
    """One Telegram bot of the deployment (e.g. one per district). Its token is never stored:
    `token_env` names the environment variable that holds it. The username is the one getMe
    returned when the bot last started, never typed. A deployment without rows here has one
    bot, TELEGRAM_TOKEN's (the default bot)."""

    __tablename__ = "bot"
    # The number before the token's colon: Telegram's id of the bot.
    id: int = Field(sa_column=sa.Column(sa.BigInteger(), primary_key=True, autoincrement=False))
    token_env: str = Field(max_length=100, unique=True)
    title: str = Field(default="", max_length=100)
    username: str | None = Field(default=None, max_length=64)
    username_at: datetime | None = utc_field()
    created_at: datetime = utc_field(nullable=False)
    # Emergency notices go out with allow_paid_broadcast (up to 1000/s, 0.1 Stars a message
    # from the bot's balance); `admin bot paid NAME on|off`.
    paid_broadcast: bool = Field(
        default=False, sa_column_kwargs={"server_default": sa.false()}, nullable=False
    )


class BotPlace(SQLModel, table=True):
    """A place a bot serves: a district, a sub-district or a compound (`kind` is a ScopeKind).
    The most specific place wins: a compound's own bot, then its sub-district's, its district's."""

    __tablename__ = "bot_place"
    __table_args__ = (sa.UniqueConstraint("kind", "place_id"),)  # one bot per place
    id: int | None = Field(default=None, primary_key=True)
    bot_id: int = Field(sa_type=sa.BigInteger(), foreign_key="bot.id", index=True)
    kind: str = Field(max_length=16)
    place_id: int
