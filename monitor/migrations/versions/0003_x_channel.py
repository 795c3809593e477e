"""X channel: per-channel usage accounting, a channel notice, post edits

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 12:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "channel_usage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("posts_read", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["channel_id"], ["channels.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel_id", "day", name="uq_channel_usage_day"),
    )
    with op.batch_alter_table("channels") as batch_op:
        batch_op.add_column(sa.Column("notice", sa.Text(), nullable=True))
    with op.batch_alter_table("posts") as batch_op:
        batch_op.add_column(sa.Column("edit_id", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("posts") as batch_op:
        batch_op.drop_column("edit_id")
    with op.batch_alter_table("channels") as batch_op:
        batch_op.drop_column("notice")
    op.drop_table("channel_usage")
