"""notice reminder cool-down: when the last "please read" reminder of a notice went out

Revision ID: 0015a
Revises: 0014d
Create Date: 2026-12-21 10:00:00.000000

Added in place (a nullable column: no batch copy of `notice`).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = '0015a'
down_revision: str | None = '0014d'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        'notice', sa.Column('last_reminded_at', models.base.UTCDateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    op.execute("ALTER TABLE notice DROP COLUMN last_reminded_at")
