"""office console: single-use sign-in links and browser sessions

Revision ID: 0018a
Revises: 0017a
Create Date: 2026-12-04 19:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0018a"
down_revision: str | None = "0017a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "console_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["resident.id"], name="fk_console_link_resident_id_resident"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_console_link"),
        sa.UniqueConstraint("secret_hash", name="uq_console_link_secret_hash"),
    )
    op.create_index("ix_console_link_resident_id", "console_link", ["resident_id"])
    op.create_table(
        "console_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("form_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["resident.id"], name="fk_console_session_resident_id_resident"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_console_session"),
        sa.UniqueConstraint("secret_hash", name="uq_console_session_secret_hash"),
    )
    op.create_index("ix_console_session_resident_id", "console_session", ["resident_id"])


def downgrade() -> None:
    op.drop_index("ix_console_session_resident_id", table_name="console_session")
    op.drop_table("console_session")
    op.drop_index("ix_console_link_resident_id", table_name="console_link")
    op.drop_table("console_link")
