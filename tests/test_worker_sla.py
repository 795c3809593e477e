"""The worker's SLA sweep and monthly report jobs."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from apscheduler.triggers.cron import CronTrigger

from monitor.migrations import upgrade_database
from monitor.report import publish_monthly_report, publish_weekly_report
from monitor.services import Services
from monitor.settings import Settings
from monitor.worker import build_scheduler, sla_job


@pytest.fixture
def services(tmp_path):
    services = Services(Settings(home=tmp_path, database_url=f"sqlite:///{tmp_path / 'monitor.db'}"))
    upgrade_database(services.engine)
    yield services
    services.engine.dispose()


def test_the_sla_sweep_runs_alone_and_catches_up_once(services):
    job = build_scheduler(services).get_job("sla-sweep")
    seconds = services.settings.sla_sweep_seconds
    assert (job.max_instances, job.coalesce, job.misfire_grace_time) == (1, True, seconds)
    sla_job(services)  # an empty database: nothing to do, nothing fails


def test_the_report_is_published_on_the_first_of_the_month_at_six_local_time(services):
    job = build_scheduler(services).get_job("report")
    assert isinstance(job.trigger, CronTrigger) and str(job.trigger.timezone) == services.settings.timezone
    fields = {field.name: str(field) for field in job.trigger.fields}
    assert (fields["day"], fields["hour"], fields["minute"]) == ("1", "6", "0")
    assert (job.max_instances, job.coalesce) == (1, True)


def test_the_monthly_report_goes_into_the_reports_folder_for_last_month(services):
    assert publish_monthly_report(services, now=datetime(2026, 12, 1, 3, 0, tzinfo=UTC)) == "2026-11"
    folder = services.settings.home / "reports" / "2026-11"
    assert sorted(path.name for path in folder.iterdir()) == ["report.csv", "report.html", "report.json"]
    assert json.loads((folder / "report.json").read_text(encoding="utf-8"))["period"]["start"] == "2026-11-01"


def test_the_weekly_report_is_scheduled_only_when_configured(tmp_path, services):
    assert build_scheduler(services).get_job("report-weekly") is None
    weekly = Services(Settings(home=tmp_path, database_url=services.settings.database_url, report_weekly="true"))
    job = build_scheduler(weekly).get_job("report-weekly")
    fields = {field.name: str(field) for field in job.trigger.fields}
    assert (fields["day_of_week"], fields["hour"]) == ("sun", "6")
    weekly.engine.dispose()


def test_the_weekly_report_covers_last_sunday_to_saturday(services):
    # Sunday 2026-11-29 at 06:00 in Bahrain: the week of 22 to 28 November
    label = publish_weekly_report(services, now=datetime(2026, 11, 29, 3, 0, tzinfo=UTC))
    assert label == "week-2026-11-22"
    period = json.loads((services.settings.home / "reports" / label / "report.json").read_text())["period"]
    assert (period["start"], period["end"]) == ("2026-11-22", "2026-11-28")
