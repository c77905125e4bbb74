"""ticket response templates per compound

Revision ID: 0012d
Revises: 0012b
Create Date: 2026-12-05 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.base

revision: str = '0012d'
down_revision: str | None = '0012b'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('ticket_template',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('compound_id', sa.Integer(), nullable=False),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['compound_id'], ['compound.id'], name=op.f('fk_ticket_template_compound_id_compound')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_template')),
    sa.UniqueConstraint('compound_id', 'text', name=op.f('uq_ticket_template_compound_id_text'))
    )
    with op.batch_alter_table('ticket_template', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ticket_template_compound_id'), ['compound_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('ticket_template', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ticket_template_compound_id'))
    op.drop_table('ticket_template')
