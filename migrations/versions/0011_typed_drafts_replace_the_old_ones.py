"""typed drafts replace pending_input, ticket_draft and notice drafts

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 23:45:27.001503

Multi-step input now lives in the `draft` table (0010). What the old mechanisms held is dropped:
answers half given at the moment of the upgrade are lost (the person starts the flow again), and
so are the conversations' states, whose names changed from numbers to the steps' names.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("DELETE FROM notice WHERE status = 'draft'")
    op.execute("DELETE FROM conversation_state")
    op.drop_table('pending_input')
    op.drop_table('ticket_draft')
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_notice_editor_id_resident'), type_='foreignkey')
        batch_op.drop_column('editor_id')


def downgrade() -> None:
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('editor_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_notice_editor_id_resident'), 'resident', ['editor_id'], ['id'])
    op.create_table('ticket_draft',
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=True),
    sa.Column('compound_id', sa.Integer(), nullable=True),
    sa.Column('category', sa.String(length=16), nullable=True),
    sa.Column('urgent', sa.Boolean(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('photos', sa.JSON(), nullable=False),
    sa.Column('where', sa.JSON(), nullable=False),
    sa.Column('updated_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['compound_id'], ['compound.id'], name=op.f('fk_ticket_draft_compound_id_compound')),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_ticket_draft_household_id_household')),
    sa.ForeignKeyConstraint(['resident_id'], ['resident.id'], name=op.f('fk_ticket_draft_resident_id_resident')),
    sa.PrimaryKeyConstraint('resident_id', name=op.f('pk_ticket_draft'))
    )
    op.create_table('pending_input',
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=32), nullable=False),
    sa.Column('ref_id', sa.Integer(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('updated_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['resident_id'], ['resident.id'], name=op.f('fk_pending_input_resident_id_resident')),
    sa.PrimaryKeyConstraint('resident_id', name=op.f('pk_pending_input'))
    )
