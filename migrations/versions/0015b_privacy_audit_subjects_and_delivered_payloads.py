"""privacy: whose data each read showed (audit_subject); delivered messages' texts cleared

Revision ID: 0015b
Revises: 0015a
Create Date: 2026-12-03 11:00:00.000000

The sender now blanks a message's rendered payload once it is delivered (the delivery report
keeps status, recipient, purpose and times); this clears the payloads delivered before.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0015b'
down_revision: str | None = '0015a'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('audit_subject',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('compound_id', sa.Integer(), nullable=True),
    sa.Column('resident_id', sa.Integer(), nullable=True),
    sa.Column('household_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['compound_id'], ['compound.id'], name=op.f('fk_audit_subject_compound_id_compound')),
    sa.ForeignKeyConstraint(['event_id'], ['audit_event.id'], name=op.f('fk_audit_subject_event_id_audit_event')),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_audit_subject_household_id_household')),
    sa.ForeignKeyConstraint(['resident_id'], ['resident.id'], name=op.f('fk_audit_subject_resident_id_resident')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_subject'))
    )
    with op.batch_alter_table('audit_subject', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_subject_compound_id'), ['compound_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_subject_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_subject_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_subject_resident_id'), ['resident_id'], unique=False)
    op.execute("UPDATE outbox_message SET payload = '{}' WHERE status = 'sent'")


def downgrade() -> None:
    with op.batch_alter_table('audit_subject', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_subject_resident_id'))
        batch_op.drop_index(batch_op.f('ix_audit_subject_household_id'))
        batch_op.drop_index(batch_op.f('ix_audit_subject_event_id'))
        batch_op.drop_index(batch_op.f('ix_audit_subject_compound_id'))
    op.drop_table('audit_subject')
