"""compound coordinates: where a compound is on the console's KPI map (WGS-84 degrees)

Revision ID: 0019a
Revises: 0018a
Create Date: 2026-12-08 00:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019a"
down_revision: str | None = "0018a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("compound") as batch:
        batch.add_column(sa.Column("latitude", sa.Float(), nullable=True))
        batch.add_column(sa.Column("longitude", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("compound") as batch:
        batch.drop_column("longitude")
        batch.drop_column("latitude")
