"""vote integrity: ballot flags, withdrawing a vote, the minimum voting window, the 15-day notice floor

Revision ID: 0013d
Revises: 0013c
Create Date: 2026-12-02 18:46:39.976055
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.base

revision: str = '0013d'
down_revision: str | None = '0013c'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('ballot_flag',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.Column('voter_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=16), nullable=False),
    sa.Column('earlier_ballot_id', sa.Integer(), nullable=True),
    sa.Column('ballot_id', sa.Integer(), nullable=True),
    sa.Column('flagged_by', sa.Integer(), nullable=True),
    sa.Column('flagged_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ballot_id'], ['ballot.id'], name=op.f('fk_ballot_flag_ballot_id_ballot')),
    sa.ForeignKeyConstraint(['earlier_ballot_id'], ['ballot.id'], name=op.f('fk_ballot_flag_earlier_ballot_id_ballot')),
    sa.ForeignKeyConstraint(['flagged_by'], ['resident.id'], name=op.f('fk_ballot_flag_flagged_by_resident')),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_ballot_flag_household_id_household')),
    sa.ForeignKeyConstraint(['poll_id'], ['poll.id'], name=op.f('fk_ballot_flag_poll_id_poll')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ballot_flag'))
    )
    with op.batch_alter_table('ballot_flag', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ballot_flag_poll_id'), ['poll_id'], unique=False)

    with op.batch_alter_table('compound', schema=None) as batch_op:
        batch_op.add_column(sa.Column('vote_min_days', sa.Integer(), server_default='7', nullable=False))

    with op.batch_alter_table('poll', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withdrawn_at', models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_by', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('withdrawal_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_poll_withdrawn_by_resident'), 'resident', ['withdrawn_by'], ['id'])

    # The notice period is a floor of 15 days (DOMAIN §9): a compound set lower is raised to it.
    op.execute("UPDATE compound SET vote_notice_days = 15 WHERE vote_notice_days < 15")


def downgrade() -> None:
    with op.batch_alter_table('poll', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_poll_withdrawn_by_resident'), type_='foreignkey')
        batch_op.drop_column('withdrawal_reason')
        batch_op.drop_column('withdrawn_by')
        batch_op.drop_column('withdrawn_at')

    with op.batch_alter_table('compound', schema=None) as batch_op:
        batch_op.drop_column('vote_min_days')

    with op.batch_alter_table('ballot_flag', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ballot_flag_poll_id'))

    op.drop_table('ballot_flag')
