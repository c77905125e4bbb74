"""several owner phones: a roster cell may hold several phones ("138…/139…")

Revision ID: 0014a
Revises: 0013e
Create Date: 2026-12-20 10:00:00.000000

`household.owner_phone` widens from 30 to 100 characters; the phones are joined by "/".
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0014a'
down_revision: str | None = '0013e'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _widen(old: int, new: int) -> None:
    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.alter_column(
            'owner_phone',
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=old),
            type_=sqlmodel.sql.sqltypes.AutoString(length=new),
            existing_nullable=True,
        )


def upgrade() -> None:
    _widen(30, 100)


def downgrade() -> None:
    # a phone list longer than 30 characters is cut to 30 (its first phone stays whole)
    household = sa.table('household', sa.column('owner_phone', sa.String))
    op.execute(
        household.update()
        .where(sa.func.length(household.c.owner_phone) > 30)
        .values(owner_phone=sa.func.substr(household.c.owner_phone, 1, 30))
    )
    _widen(100, 30)
