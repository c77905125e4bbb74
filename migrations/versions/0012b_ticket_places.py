"""ticket places as residents describe them

Revision ID: 0012b
Revises: 0012a
Create Date: 2026-12-02 10:00:00.000000

A ticket says what kind of place it is (the home, a building with its unit and floor, a common
area, a shared location); a building knows its floors; a compound lists its common areas.
Existing tickets are read as well as they can be: a location when they have coordinates, a
building when they have a floor or no home, else the home. Existing buildings take the floors of
their homes where the roster gave them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0012b'
down_revision: str | None = '0012a'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.add_column(sa.Column('place_kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False, server_default='household'))
        batch_op.add_column(sa.Column('unit', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
        batch_op.add_column(sa.Column('area', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))
    op.execute("UPDATE ticket SET place_kind = 'location' WHERE latitude IS NOT NULL")
    op.execute(
        "UPDATE ticket SET place_kind = 'building' "
        "WHERE latitude IS NULL AND (floor IS NOT NULL OR household_id IS NULL)"
    )
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.alter_column('place_kind', server_default=None)
    with op.batch_alter_table('building', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lowest_floor', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('floors', sa.Integer(), nullable=True))
    op.execute(
        "UPDATE building SET "
        "lowest_floor = (SELECT min(floor) FROM household WHERE household.building_id = building.id), "
        "floors = (SELECT max(floor) FROM household WHERE household.building_id = building.id)"
    )
    with op.batch_alter_table('compound', schema=None) as batch_op:
        batch_op.add_column(sa.Column('common_areas', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('compound', schema=None) as batch_op:
        batch_op.drop_column('common_areas')
    with op.batch_alter_table('building', schema=None) as batch_op:
        batch_op.drop_column('floors')
        batch_op.drop_column('lowest_floor')
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_column('area')
        batch_op.drop_column('unit')
        batch_op.drop_column('place_kind')
