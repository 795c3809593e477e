"""replies: when a sender claimed the reply, so a claim left by a crashed worker can be recovered

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 14:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("replies") as batch_op:
        batch_op.add_column(sa.Column("claimed_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("replies") as batch_op:
        batch_op.drop_column("claimed_at")
