"""inbox: every update stored before Telegram is told it arrived, handled by workers

Revision ID: 0016a
Revises: 0015c
Create Date: 2026-12-20 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.base

revision: str = '0016a'
down_revision: str | None = '0015c'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('inbox_update',
    sa.Column('bot_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('update_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('lane', sa.BigInteger(), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('received_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('claim_token', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('lease_until', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('done_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.PrimaryKeyConstraint('bot_id', 'update_id')
    )
    op.create_index('ix_inbox_lane', 'inbox_update', ['bot_id', 'state', 'lane', 'update_id'], unique=False)
    op.create_index(op.f('ix_inbox_update_done_at'), 'inbox_update', ['done_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_inbox_update_done_at'), table_name='inbox_update')
    op.drop_index('ix_inbox_lane', table_name='inbox_update')
    op.drop_table('inbox_update')
