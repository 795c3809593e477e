"""SQLite's planner statistics: the worker refreshes them, and the queue then reads cases in order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select, text

from monitor import models
from monitor.migrations import upgrade_database
from monitor.services import Services
from monitor.settings import Settings
from monitor.web.queue import filtered, sort_key
from monitor.worker import STATISTICS_SECONDS, build_scheduler, statistics_job

OPEN_AND_CLOSED = ["new", "in_progress", "replied", "resolved"]


def test_the_statistics_job_runs_hourly_alone_and_at_start(tmp_path):
    services = Services(Settings(home=tmp_path, database_url=f"sqlite:///{tmp_path / 'monitor.db'}"))
    job = build_scheduler(services).get_job("statistics")
    assert (job.max_instances, job.coalesce, job.misfire_grace_time) == (1, True, STATISTICS_SECONDS)
    assert job.next_run_time is not None  # a fresh worker analyses at once
    services.engine.dispose()


def test_with_statistics_the_queue_reads_the_newest_cases_without_sorting_them_all(tmp_path):
    services = Services(Settings(home=tmp_path, database_url=f"sqlite:///{tmp_path / 'monitor.db'}"))
    upgrade_database(services.engine)
    with services.sessions() as session:
        channel = models.Channel(name="stats", kind="replay", config={})
        session.add(channel)
        session.flush()
        start = datetime(2026, 1, 1, tzinfo=UTC)
        session.execute(insert(models.Case), [
            {"channel_id": channel.id, "conversation_id": str(n), "status": OPEN_AND_CLOSED[n % 4],
             "category": "complaint", "confidence": 0.9, "needs_review": False, "priority": "normal",
             "language": "ar", "opened_at": start, "first_post_at": start + timedelta(minutes=n),
             "last_post_at": start, "version": 1} for n in range(20_000)])
        session.commit()
        user = models.User(username="planner", password_hash="x", role="agent")
        key, _ = sort_key({})
        query = filtered(select(models.Case.id), {}, user).order_by(key.desc(), models.Case.id.desc()).limit(51)
        statement = str(query.compile(services.engine, compile_kwargs={"literal_binds": True}))

        def plan() -> str:
            return " ".join(row[-1] for row in session.execute(text("EXPLAIN QUERY PLAN " + statement)))

        assert "TEMP B-TREE FOR ORDER BY" in plan()  # no statistics: every open case is sorted
        session.commit()
        statistics_job(services)
        assert session.scalar(text("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'cases'")) > 0
        assert "TEMP B-TREE" not in plan() and "ix_cases_open_first_post" in plan()  # the open cases, in order
    services.engine.dispose()

