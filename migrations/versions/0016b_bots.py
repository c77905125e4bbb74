"""bots: several Telegram bots on one database, the places each serves, outbox rows per bot

Revision ID: 0016b
Revises: 0016a
Create Date: 2026-12-03 17:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.base

revision: str = '0016b'
down_revision: str | None = '0016a'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('bot',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('token_env', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('username_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bot')),
    sa.UniqueConstraint('token_env', name=op.f('uq_bot_token_env'))
    )
    op.create_table('bot_place',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bot_id', sa.BigInteger(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('place_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['bot_id'], ['bot.id'], name=op.f('fk_bot_place_bot_id_bot')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bot_place')),
    sa.UniqueConstraint('kind', 'place_id', name=op.f('uq_bot_place_kind_place_id'))
    )
    op.create_index(op.f('ix_bot_place_bot_id'), 'bot_place', ['bot_id'], unique=False)
    with op.batch_alter_table('outbox_message') as batch:
        batch.add_column(sa.Column('bot_id', sa.BigInteger(), nullable=True))
        batch.create_index(batch.f('ix_outbox_message_bot_id'), ['bot_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('outbox_message') as batch:
        batch.drop_index(batch.f('ix_outbox_message_bot_id'))
        batch.drop_column('bot_id')
    op.drop_index(op.f('ix_bot_place_bot_id'), table_name='bot_place')
    op.drop_table('bot_place')
    op.drop_table('bot')
