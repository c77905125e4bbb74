"""paper ballot codes: the key that signs the codes printed on a vote's paper ballots

Revision ID: 0014d
Revises: 0014b
Create Date: 2026-12-14 10:00:00.000000

Added in place (no batch copy of `poll`, which ballots and homes refer to).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0014d'
down_revision: str | None = '0014b'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('poll', sa.Column('paper_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE poll DROP COLUMN paper_key")
