"""forwarding to the national complaints system: the forwards outbox

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 13:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "forwards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("service_code", sa.String(length=80), nullable=True),
        sa.Column("external_id", sa.String(length=100), nullable=True),
        sa.Column("token", sa.String(length=100), nullable=True),
        sa.Column("external_status", sa.String(length=40), nullable=True),
        sa.Column("status_notes", sa.Text(), nullable=True),
        sa.Column("agency_responsible", sa.String(length=200), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("synced_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.ForeignKeyConstraint(["requested_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
    )
    op.create_index("ix_forwards_state", "forwards", ["state", "next_attempt_at"])
    op.create_index("ix_forwards_case", "forwards", ["case_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_forwards_case", table_name="forwards")
    op.drop_index("ix_forwards_state", table_name="forwards")
    op.drop_table("forwards")
