"""cases: partial indexes over the open cases, by first post and by SLA due time

With most cases closed, the queue's newest-first and due-first scans walked every closed case
on the way to the open ones (27 ms at 100,000 cases on PostgreSQL, growing with the history).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 00:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# Written out, not imported: a migration keeps the schema of its day when models.py moves on.
OPEN_CASE = sa.text("status IN ('new', 'triaged', 'in_progress', 'replied', 'escalated', 'forwarded')")


def upgrade() -> None:
    for name, column in (("ix_cases_open_first_post", "first_post_at"), ("ix_cases_open_due", "sla_due_at")):
        op.create_index(name, "cases", [column, "id"], postgresql_where=OPEN_CASE, sqlite_where=OPEN_CASE)


def downgrade() -> None:
    for name in ("ix_cases_open_due", "ix_cases_open_first_post"):
        op.drop_index(name, table_name="cases")
