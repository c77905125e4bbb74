"""paid broadcast: a per-bot switch, and the outbox rows sent with allow_paid_broadcast

Revision ID: 0017a
Revises: 0016b
Create Date: 2026-12-03 20:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017a"
down_revision: str | None = "0016b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("bot") as batch:
        batch.add_column(
            sa.Column("paid_broadcast", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("outbox_message") as batch:
        batch.add_column(
            sa.Column("paid_broadcast", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox_message") as batch:
        batch.drop_column("paid_broadcast")
    with op.batch_alter_table("bot") as batch:
        batch.drop_column("paid_broadcast")
