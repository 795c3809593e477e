"""review queue: case versions, user language, search text, login throttling, API tokens, saved views, presence

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 13:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    op.create_index("ix_cases_first_post", "cases", ["first_post_at", "id"])
    op.create_index("ix_cases_due", "cases", ["sla_due_at", "id"])
    op.create_index("ix_cases_status_category", "cases", ["status", "category"])
    op.create_index("ix_posts_case", "posts", ["case_id", "posted_at"])
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=2), nullable=False, server_default="ar"))
    with op.batch_alter_table("posts") as batch_op:
        batch_op.add_column(sa.Column("search_text", sa.Text(), nullable=True))
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("remote", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_login_failures_user", "login_failures", ["username", "created_at"])
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_table(
        "saved_views",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "name", name="uq_saved_views_user_name"),
    )
    op.create_table(
        "case_views",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("seen_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("case_id", "user_id"),
    )


def downgrade() -> None:
    op.drop_table("case_views")
    op.drop_table("saved_views")
    op.drop_table("api_tokens")
    op.drop_index("ix_login_failures_user", table_name="login_failures")
    op.drop_table("login_failures")
    with op.batch_alter_table("posts") as batch_op:
        batch_op.drop_column("search_text")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("language")
    op.drop_index("ix_posts_case", table_name="posts")
    op.drop_index("ix_cases_status_category", table_name="cases")
    op.drop_index("ix_cases_due", table_name="cases")
    op.drop_index("ix_cases_first_post", table_name="cases")
    with op.batch_alter_table("cases") as batch_op:
        batch_op.drop_column("version")
