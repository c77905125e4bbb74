"""People: residents (Telegram users), their household memberships, scoped roles and invites."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import enum_field, telegram_id_field, utc_field


class MembershipKind(StrEnum):
    OWNER = "owner"  # 业主
    CO_OWNER = "co_owner"  # 共有人
    TENANT = "tenant"  # 租户
    FAMILY = "family"  # 家庭成员


class Role(StrEnum):
    LIAISON = "liaison"  # 党员联络员
    STAFF = "staff"  # 物业服务人员
    SUPERVISOR = "supervisor"  # 义务质量总监
    COMMITTEE = "committee"  # 业委会委员
    OFFICER = "officer"  # 社区/街道/区/市 officer
    ADMIN = "admin"  # 管理员


class InviteKind(StrEnum):
    HOUSEHOLD = "household"
    ROLE = "role"


class Resident(SQLModel, table=True):
    """A person who talks to the bot; personal data is minimal and deletable (PIPL)."""

    id: int | None = Field(default=None, primary_key=True)
    telegram_id: int | None = telegram_id_field(unique=True)
    display_name: str = Field(default="", max_length=200)
    phone: str | None = Field(default=None, max_length=30)
    language: str | None = Field(default=None, max_length=10)
    consent_at: datetime | None = utc_field()
    created_at: datetime = utc_field(nullable=False)
    unreachable_at: datetime | None = utc_field()
    forgotten_at: datetime | None = utc_field()


class Membership(SQLModel, table=True):
    """A resident's tie to a household: owner, co-owner, tenant or family member."""

    __table_args__ = (sa.UniqueConstraint("resident_id", "household_id"),)
    id: int | None = Field(default=None, primary_key=True)
    resident_id: int = Field(foreign_key="resident.id", index=True)
    household_id: int = Field(foreign_key="household.id", index=True)
    kind: str = enum_field(MembershipKind)
    created_at: datetime = utc_field(nullable=False)


class RoleGrant(SQLModel, table=True):
    """A role held over one place: a liaison of compound A is nobody in compound B."""

    __tablename__ = "role_grant"
    __table_args__ = (sa.UniqueConstraint("resident_id", "role", "scope_kind", "scope_id"),)
    id: int | None = Field(default=None, primary_key=True)
    resident_id: int = Field(foreign_key="resident.id", index=True)
    role: str = enum_field(Role)
    scope_kind: str = Field(max_length=16)
    scope_id: int
    granted_at: datetime = utc_field(nullable=False)
    granted_by: int | None = Field(default=None, foreign_key="resident.id")


class Invite(SQLModel, table=True):
    """A single-use onboarding code; only its SHA-256 is stored."""

    id: int | None = Field(default=None, primary_key=True)
    code_hash: str = Field(max_length=64, unique=True)
    kind: str = enum_field(InviteKind)
    household_id: int | None = Field(default=None, foreign_key="household.id", index=True)
    membership: str | None = Field(default=None, max_length=16)
    role: str | None = Field(default=None, max_length=16)
    scope_kind: str | None = Field(default=None, max_length=16)
    scope_id: int | None = None
    created_at: datetime = utc_field(nullable=False)
    expires_at: datetime = utc_field(nullable=False)
    used_at: datetime | None = utc_field()
    used_by: int | None = Field(default=None, foreign_key="resident.id")
    revoked_at: datetime | None = utc_field()
    # A buyer's invite, issued when a sale is recorded ahead of its date, opens on that date.
    valid_from: datetime | None = utc_field()


class StartAttempt(SQLModel, table=True):
    """Failed invite redemptions per Telegram user, to rate-limit guessing."""

    __tablename__ = "start_attempt"
    id: int | None = Field(default=None, primary_key=True)
    telegram_id: int = Field(sa_type=sa.BigInteger(), index=True)
    at: datetime = utc_field(nullable=False, index=True)


class EndReason(StrEnum):
    """Why a membership or a role ended (kept in its history row)."""

    MOVED_OUT = "moved_out"  # the resident said so in the bot
    REMOVED = "removed"  # an owner removed a tenant or family member of their home
    OFFICE = "office"  # the property office ended it (`admin end-membership`, `admin revoke`)
    SOLD = "sold"  # the home was transferred to a new owner
    FORGOTTEN = "forgotten"  # the person deleted their data (/forgetme)


class MembershipHistory(SQLModel, table=True):
    """A membership that has ended: who lived in or owned which home, from when to when (the
    membership table keeps only the current ones)."""

    __tablename__ = "membership_history"
    id: int | None = Field(default=None, primary_key=True)
    resident_id: int = Field(foreign_key="resident.id", index=True)
    household_id: int = Field(foreign_key="household.id", index=True)
    kind: str = enum_field(MembershipKind)
    started_at: datetime = utc_field(nullable=False)
    ended_at: datetime = utc_field(nullable=False)
    ended_by: int | None = Field(default=None, foreign_key="resident.id")
    reason: str = enum_field(EndReason)

    @classmethod
    def of(
        cls, membership: Membership, *, ended_at: datetime, by: int | None, reason: EndReason
    ) -> MembershipHistory:
        """The history row of a membership ending (never before it began)."""
        return cls(
            resident_id=membership.resident_id,
            household_id=membership.household_id,
            kind=membership.kind,
            started_at=membership.created_at,
            ended_at=max(ended_at, membership.created_at),
            ended_by=by,
            reason=reason,
        )


class RoleGrantHistory(SQLModel, table=True):
    """A role grant that has ended: who held which role over which place, from when to when."""

    __tablename__ = "role_grant_history"
    id: int | None = Field(default=None, primary_key=True)
    resident_id: int = Field(foreign_key="resident.id", index=True)
    role: str = enum_field(Role)
    scope_kind: str = Field(max_length=16)
    scope_id: int
    started_at: datetime = utc_field(nullable=False)
    granted_by: int | None = Field(default=None, foreign_key="resident.id")
    ended_at: datetime = utc_field(nullable=False)
    ended_by: int | None = Field(default=None, foreign_key="resident.id")
    reason: str = enum_field(EndReason)

    @classmethod
    def of(
        cls, grant: RoleGrant, *, ended_at: datetime, by: int | None, reason: EndReason
    ) -> RoleGrantHistory:
        """The history row of a role grant ending."""
        return cls(
            resident_id=grant.resident_id,
            role=grant.role,
            scope_kind=grant.scope_kind,
            scope_id=grant.scope_id,
            started_at=grant.granted_at,
            granted_by=grant.granted_by,
            ended_at=ended_at,
            ended_by=by,
            reason=reason,
        )


class HouseholdTransfer(SQLModel, table=True):
    """A home sold (过户): on `effective_at` the seller's side leaves and the buyer joins with a
    fresh owner invite. Recorded ahead of time, it is applied once by the people job."""

    __tablename__ = "household_transfer"
    __table_args__ = (sa.Index("ix_household_transfer_due", "applied_at", "effective_at"),)
    id: int | None = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="household.id", index=True)
    effective_at: datetime = utc_field(nullable=False)  # 00:00 of the transfer date, local time
    recorded_at: datetime = utc_field(nullable=False)
    recorded_by: int | None = Field(default=None, foreign_key="resident.id")
    from_owner_name: str | None = Field(default=None, max_length=100)  # the roster's, before
    to_owner_name: str | None = Field(default=None, max_length=100)
    to_owner_phone: str | None = Field(default=None, max_length=30)
    from_residents: list[int] = Field(default_factory=list, sa_type=sa.JSON())  # who left
    applied_at: datetime | None = utc_field()
