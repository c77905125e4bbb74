"""The monthly satisfaction survey (满意度测评) and the monthly KPI report's subscriptions."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import utc_field

SERVICES = ("cleaning", "greening", "order", "repair", "facility")  # the five basic services


class SurveyAnswer(SQLModel, table=True):
    """One household's answer for one month (YYYY-MM): each service and the overall service
    scored 1–5; any resident of the household may change it until the month closes."""

    __tablename__ = "survey_answer"
    __table_args__ = (
        sa.UniqueConstraint("household_id", "month"),
        sa.Index("ix_survey_answer_month", "month", "compound_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="household.id", index=True)
    compound_id: int = Field(foreign_key="compound.id")
    month: str = Field(max_length=7)
    cleaning: int | None = None
    greening: int | None = None
    order: int | None = None
    repair: int | None = None
    facility: int | None = None
    overall: int | None = None
    comment: str | None = Field(default=None, max_length=500)
    resident_id: int | None = Field(default=None, foreign_key="resident.id")  # who answered last
    answered_at: datetime = utc_field(nullable=False)


class SurveyRound(SQLModel, table=True):
    """The survey of one compound and month: invited once, reminded once."""

    __tablename__ = "survey_round"
    compound_id: int = Field(foreign_key="compound.id", primary_key=True)
    month: str = Field(max_length=7, primary_key=True)
    invited_at: datetime | None = utc_field()
    reminded_at: datetime | None = utc_field()


class KpiSubscription(SQLModel, table=True):
    """An officer who receives the monthly report of a scope on the 1st at 08:00."""

    __tablename__ = "kpi_subscription"
    resident_id: int = Field(foreign_key="resident.id", primary_key=True)
    scope_kind: str = Field(max_length=20, primary_key=True)
    scope_id: int = Field(primary_key=True)
    created_at: datetime = utc_field(nullable=False)


class KpiDelivery(SQLModel, table=True):
    """The monthly report sent to one subscriber for one month and scope: exactly once."""

    __tablename__ = "kpi_delivery"
    resident_id: int = Field(foreign_key="resident.id", primary_key=True)
    scope_kind: str = Field(max_length=20, primary_key=True)
    scope_id: int = Field(primary_key=True)
    month: str = Field(max_length=7, primary_key=True)
    queued_at: datetime = utc_field(nullable=False)
