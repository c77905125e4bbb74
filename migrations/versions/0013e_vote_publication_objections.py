"""vote publication: the denominators told at the opening, the preliminary result, owners'
objections in the compound's objection period, the final result

Revision ID: 0013e
Revises: 0013d
Create Date: 2026-12-10 10:00:00.000000

`poll.result_sent_at` becomes `preliminary_sent_at`. Votes whose result was published before
this revision were published once, as final: they get the same time as `final_sent_at` and no
objection period. Closed or cancelled votes count as announced at their opening; votes open now
are announced (with their denominators) at the next tick.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = '0013e'
down_revision: str | None = '0013d'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('vote_objection',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_vote_objection_household_id_household')),
    sa.ForeignKeyConstraint(['poll_id'], ['poll.id'], name=op.f('fk_vote_objection_poll_id_poll')),
    sa.ForeignKeyConstraint(['resident_id'], ['resident.id'], name=op.f('fk_vote_objection_resident_id_resident')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vote_objection'))
    )
    with op.batch_alter_table('vote_objection', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vote_objection_poll_id'), ['poll_id'], unique=False)

    with op.batch_alter_table('compound', schema=None) as batch_op:
        batch_op.add_column(sa.Column('vote_objection_days', sa.Integer(), server_default='3', nullable=False))

    # Renamed and dropped in place (SQLite ≥ 3.35 and PostgreSQL alike): copying `poll` or
    # `compound` into a new table, as batch mode would, fails on SQLite once ballots, homes
    # or buildings refer to their rows.
    op.execute("ALTER TABLE poll RENAME COLUMN result_sent_at TO preliminary_sent_at")
    with op.batch_alter_table('poll', schema=None) as batch_op:
        batch_op.add_column(sa.Column('opening_sent_at', models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('published_area', sa.Numeric(precision=14, scale=2), nullable=True))
        batch_op.add_column(sa.Column('published_headcount', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('objection_until', models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('final_sent_at', models.base.UTCDateTime(timezone=True), nullable=True))

    op.execute(
        "UPDATE poll SET final_sent_at = preliminary_sent_at WHERE preliminary_sent_at IS NOT NULL"
    )
    op.execute(
        "UPDATE poll SET opening_sent_at = opened_at "
        "WHERE status IN ('closed', 'cancelled') AND opened_at IS NOT NULL"
    )


def downgrade() -> None:
    for column in (
        'final_sent_at',
        'objection_until',
        'published_headcount',
        'published_area',
        'opening_sent_at',
    ):
        op.execute(f"ALTER TABLE poll DROP COLUMN {column}")
    op.execute("ALTER TABLE poll RENAME COLUMN preliminary_sent_at TO result_sent_at")
    op.execute("ALTER TABLE compound DROP COLUMN vote_objection_days")

    with op.batch_alter_table('vote_objection', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vote_objection_poll_id'))
    op.drop_table('vote_objection')
