"""Column types shared by all tables: aware UTC datetimes and enums stored as text."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

# Stable constraint names, so migrations read the same on SQLite and PostgreSQL.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Timezone-aware UTC in, aware UTC out, on SQLite (which drops zones) as on PostgreSQL."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def pk(row: Any) -> int:
    """The id of a stored row (SQLModel types it `int | None` until it is flushed)."""
    value = row.id
    if value is None:
        raise ValueError(f"{type(row).__name__} has no id yet (not flushed)")
    return int(value)


def utc_field(*, nullable: bool = True, index: bool = False, default: Any = None) -> Any:
    """A timezone-aware UTC datetime column."""
    return Field(default=default, sa_type=UTCDateTime(), nullable=nullable, index=index)


def enum_field(enum: type[StrEnum], *, default: Any = ..., index: bool = False) -> Any:
    """An enum stored as plain text, so adding a member needs no database type change."""
    length = max(len(member.value) for member in enum)
    return Field(
        default=default,
        sa_type=sa.String(max(length, 16)),
        index=index,
        sa_column_kwargs={"info": {"enum": enum}},  # for code that reads the schema (tests)
    )


def telegram_id_field(*, nullable: bool = True, unique: bool = False) -> Any:
    return Field(
        default=None, sa_type=sa.BigInteger(), nullable=nullable, unique=unique, index=True
    )
