"""SLAs: what a case waits on (the citizen), and an index to read the event log by action

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 13:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch_op:
        batch_op.add_column(sa.Column("waiting_on", sa.String(length=20), nullable=True))
    op.create_index("ix_events_action", "events", ["action", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_events_action", table_name="events")
    with op.batch_alter_table("cases") as batch_op:
        batch_op.drop_column("waiting_on")
