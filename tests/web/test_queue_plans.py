"""The open queue reads the open cases only, however long the closed history behind them."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, insert, select, text

from monitor import models
from monitor.accounts import add_user
from monitor.web.queue import queue_rows, sla_counts
from tests.factories import replay_channel_row

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def officer(session, tmp_path):
    """2,000 closed cases, then the 30 newest still open (a post each), as in a team that keeps up."""
    channel = replay_channel_row(session, tmp_path / "posts.jsonl")
    start = NOW - timedelta(minutes=3 * 2030)
    session.execute(insert(models.Case), [
        {"channel_id": channel.id, "conversation_id": str(n), "status": "resolved" if n < 2000 else "new",
         "category": "complaint", "confidence": 0.9, "needs_review": False, "priority": "normal", "language": "ar",
         "sla_due_at": start + timedelta(minutes=3 * n, hours=48), "opened_at": start + timedelta(minutes=3 * n),
         "first_post_at": start + timedelta(minutes=3 * n), "last_post_at": start + timedelta(minutes=3 * n)}
        for n in range(2030)])
    open_cases = session.execute(select(models.Case.id, models.Case.conversation_id, models.Case.first_post_at)
                                 .where(models.Case.status == "new")).all()
    session.execute(insert(models.Post), [
        {"channel_id": channel.id, "external_id": conversation, "conversation_id": conversation, "text": "حفرة",
         "posted_at": posted, "ingested_at": posted, "stage": "queued", "case_id": case_id}
        for case_id, conversation, posted in open_cases])
    session.execute(text("ANALYZE"))
    return add_user(session, "officer", "agent", "officer-password")


def plan_of_first_select(session, run) -> str:
    """The query plan of the first SELECT on cases that ``run`` sends, as the engine explains it."""
    sent = []
    connection = session.connection()
    listener = lambda _conn, _cursor, statement, parameters, *_: sent.append((statement, parameters))  # noqa: E731
    event.listen(connection, "before_cursor_execute", listener)
    try:
        run()
    finally:
        event.remove(connection, "before_cursor_execute", listener)
    statement, parameters = next((s, p) for s, p in sent if s.lstrip().startswith("SELECT") and "FROM cases" in s)
    explain = "EXPLAIN QUERY PLAN " if session.get_bind().dialect.name == "sqlite" else "EXPLAIN "
    return "\n".join(str(row[-1]) for row in connection.exec_driver_sql(explain + statement, parameters))


@pytest.mark.parametrize("params", [{}, {"tag": "complaint", "sort": "due"}], ids=["newest first", "due first"])
def test_the_open_queue_reads_an_open_case_index_in_either_order(session, officer, params):
    rows = []
    plan = plan_of_first_select(session, lambda: rows.extend(queue_rows(session, officer, params, now=NOW)[0]))
    assert "ix_cases_open_" in plan  # PostgreSQL may take either one and sort the few rows it holds
    assert [row.case.conversation_id for row in rows] == [str(n) for n in (
        range(2029, 1999, -1) if not params else range(2000, 2030))]


def test_the_sla_counts_read_the_open_cases_only(session, officer):
    assert "ix_cases_open_due" in plan_of_first_select(session, lambda: sla_counts(session, officer, now=NOW))
    assert sla_counts(session, officer, now=NOW) == (0, 0)  # the open ones are due in two days


def test_the_open_case_indexes_hold_exactly_the_open_statuses(session):
    if session.get_bind().dialect.name == "sqlite":
        definitions = session.execute(text("SELECT sql FROM sqlite_master WHERE name LIKE 'ix_cases_open_%'")).scalars()
    else:
        definitions = session.execute(text("SELECT indexdef FROM pg_indexes WHERE indexname LIKE 'ix_cases_open_%'")
                                      ).scalars()
    definitions = list(definitions)
    assert len(definitions) == 2
    for definition in definitions:
        assert all(f"'{status}'" in definition for status in models.OPEN_STATUSES)
        assert not any(f"'{status}'" in definition for status in models.CLOSED_STATUSES)
