"""The scheduler process (APScheduler 3.x). Each job calls pipeline functions; no logic lives here.

It runs in its own process, never inside web workers: APScheduler 3 cannot
coordinate processes, so every web worker would run every job. Jobs have fixed
ids and explicit ``max_instances``, ``coalesce`` and ``misfire_grace_time``
(the default grace of one second silently skips late runs).
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import select

from classifiers import retrain
from monitor import models
from monitor.channels import build_channel
from monitor.db import refresh_statistics
from monitor.job_log import record_job_runs
from monitor.leader import Leadership
from monitor.learning import load_corrections, training_corpus
from monitor.pipeline import process_inbound
from monitor.pipeline.forward import forward_complaints
from monitor.pipeline.forward_sync import sync_forwarded
from monitor.pipeline.poll import poll_channel
from monitor.pipeline.reply import send_replies
from monitor.report import publish_monthly_report, publish_weekly_report
from monitor.services import Services
from monitor.sla import sweep_slas

log = logging.getLogger(__name__)

INBOUND_SECONDS = 5
REPLIES_SECONDS = 10
CHANNEL_SYNC_SECONDS = 60
RETRAIN_HOUR = 2  # nightly, in MONITOR_TIMEZONE
RETRAIN_GRACE_SECONDS = 3600  # a worker down at 02:00 still retrains if back within the hour
FORWARD_SECONDS = 30
FORWARD_SYNC_SECONDS = 300
STATISTICS_SECONDS = 3600  # ANALYZE takes about 0.1 s per 100,000 cases on SQLite
RECONCILE_HOUR = 3  # nightly full reconcile with the national complaints system, in MONITOR_TIMEZONE


def poll_job(services: Services, channel_id: int) -> None:
    with services.sessions() as session:
        row = session.get(models.Channel, channel_id)
        if row is None or not row.enabled:
            return
        channel = build_channel(row.kind, row.config, data_dir=services.settings.data_dir,
                                settings=services.settings)
        outcome = poll_channel(session, row, channel, now=datetime.now(UTC))
        # an empty poll every few seconds is routine: only debug shows it
        log.log(logging.INFO if outcome.posts or outcome.error else logging.DEBUG, "poll %s: %d pages, %d posts%s",
                row.name, outcome.pages, outcome.posts, f", error: {outcome.error}" if outcome.error else "")


def inbound_job(services: Services) -> None:
    services.refresh_models()  # a rollback or a promotion elsewhere takes effect here
    with services.sessions() as session:
        seconds = process_inbound(session, services.tagger, services.routing, sla_rules=services.sla_rules,
                                  review_threshold=services.settings.review_threshold, now=datetime.now(UTC))
    log.debug("inbound stages: %s", ", ".join(f"{stage} {spent:.3f} s" for stage, spent in seconds.items()))


def replies_job(services: Services) -> None:
    with services.sessions() as session:
        stalled_after = timedelta(seconds=services.settings.reply_stalled_seconds)
        while send_replies(session, services.reply_sink, now=datetime.now(UTC), stalled_after=stalled_after):
            pass


def forward_job(services: Services) -> None:
    """Send pending forwards to the national complaints system (nothing when forwarding is off)."""
    sink = services.complaints_sink
    if sink is None:
        return
    with services.sessions() as session:
        while forward_complaints(session, sink, now=datetime.now(UTC)):
            pass


def forward_sync_job(services: Services, full: bool = False) -> None:
    """Bring the national system's status changes back to the cases; ``full``: the nightly reconcile."""
    sink = services.complaints_sink
    if sink is None:
        return
    with services.sessions() as session:
        changed = sync_forwarded(session, sink, now=datetime.now(UTC), templates=services.reply_templates,
                                 full=full)
    log.info("forward %s: %d case(s) changed", "reconcile" if full else "sync", changed)


def retrain_job(services: Services) -> None:
    """Train a candidate on the shipped corpus and the corrections; promote it if not worse."""
    with services.sessions() as session:
        corpus = training_corpus(services.settings.data_dir / "labeled", load_corrections(session))
    decision = retrain(services.settings.models_dir, corpus)
    log.info("retrain: model %s %s: %s", decision["version"],
             "promoted" if decision["promoted"] else "not promoted", decision["reason"])
    services.refresh_models()


def sla_job(services: Services) -> None:
    """Warn before and flag after SLA due times; keep the queue's due times current."""
    with services.sessions() as session:
        written = sweep_slas(session, services.sla_rules, warning_minutes=services.settings.sla_warning_minutes,
                             now=datetime.now(UTC))
    if written:
        log.info("sla sweep: %d warnings or breaches", written)


def statistics_job(services: Services) -> None:
    """Keep the database's query-planner statistics current (SQLite; PostgreSQL does its own)."""
    refresh_statistics(services.engine)


def report_job(services: Services) -> None:
    """Publish last month's public report into MONITOR_HOME/reports/<period>/."""
    period = publish_monthly_report(services, now=datetime.now(UTC))
    log.info("report %s published", period)


def weekly_report_job(services: Services) -> None:
    """Publish last week's public report into MONITOR_HOME/reports/week-<sunday>/ (MONITOR_REPORT_WEEKLY)."""
    log.info("report %s published", publish_weekly_report(services, now=datetime.now(UTC)))


def sync_channel_jobs(services: Services, scheduler: BlockingScheduler) -> None:
    """One poll job per enabled channel, at its own interval; removed when disabled."""
    with services.sessions() as session:
        channels = session.execute(
            select(models.Channel.id, models.Channel.poll_interval_seconds).where(models.Channel.enabled)
        ).all()
    wanted = {f"poll:{channel_id}": interval for channel_id, interval in channels}
    for job in scheduler.get_jobs():
        if job.id.startswith("poll:") and job.id not in wanted:
            job.remove()
    for job_id, interval in wanted.items():
        if scheduler.get_job(job_id) is None:
            scheduler.add_job(
                poll_job, "interval", seconds=interval, args=(services, int(job_id[5:])), id=job_id,
                max_instances=1, coalesce=True, misfire_grace_time=interval, next_run_time=datetime.now(UTC),
            )


def build_scheduler(services: Services) -> BlockingScheduler:
    services.complaints_sink  # a bad MONITOR_COMPLAINTS_URL (e.g. a private address) stops start-up here
    scheduler = BlockingScheduler(timezone=UTC)
    now = datetime.now(UTC)
    fixed = (
        ("inbound", inbound_job, INBOUND_SECONDS, (services,)),
        ("replies", replies_job, REPLIES_SECONDS, (services,)),
        ("channels", sync_channel_jobs, CHANNEL_SYNC_SECONDS, (services, scheduler)),
        ("forward", forward_job, FORWARD_SECONDS, (services,)),
        ("forward-sync", forward_sync_job, FORWARD_SYNC_SECONDS, (services,)),
        ("statistics", statistics_job, STATISTICS_SECONDS, (services,)),
    )
    for job_id, func, seconds, args in fixed:
        scheduler.add_job(func, "interval", seconds=seconds, args=args, id=job_id, max_instances=1,
                          coalesce=True, misfire_grace_time=seconds, next_run_time=now)
    seconds = services.settings.sla_sweep_seconds
    scheduler.add_job(sla_job, "interval", seconds=seconds, args=(services,), id="sla-sweep", max_instances=1,
                      coalesce=True, misfire_grace_time=seconds, next_run_time=now)
    scheduler.add_job(report_job, CronTrigger(day=1, hour=6, minute=0, timezone=services.settings.tz),
                      args=(services,), id="report", max_instances=1, coalesce=True,
                      misfire_grace_time=RETRAIN_GRACE_SECONDS)
    if services.settings.report_weekly:
        scheduler.add_job(weekly_report_job, CronTrigger(day_of_week="sun", hour=6, minute=0,
                                                         timezone=services.settings.tz),
                          args=(services,), id="report-weekly", max_instances=1, coalesce=True,
                          misfire_grace_time=RETRAIN_GRACE_SECONDS)
    scheduler.add_job(retrain_job, CronTrigger(hour=RETRAIN_HOUR, minute=0, timezone=services.settings.tz),
                      args=(services,), id="retrain", max_instances=1, coalesce=True,
                      misfire_grace_time=RETRAIN_GRACE_SECONDS)
    scheduler.add_job(forward_sync_job, CronTrigger(hour=RECONCILE_HOUR, minute=0, timezone=services.settings.tz),
                      args=(services, True), id="forward-reconcile", max_instances=1, coalesce=True,
                      misfire_grace_time=RETRAIN_GRACE_SECONDS)
    return scheduler


HEARTBEAT_SECONDS = 5


def run_as_leader(services: Services, leadership: Leadership, stopping: threading.Event) -> int:
    """Wait as a standby until this worker holds the lease, then run the jobs while it keeps it.

    Returns the process exit status: 0 after a requested stop, 3 when the lease was lost
    (the supervisor restarts the process, which then waits as a standby).
    """
    while not leadership.try_acquire(datetime.now(UTC)):
        if stopping.wait(HEARTBEAT_SECONDS):
            return 0
    scheduler = build_scheduler(services)
    record_job_runs(scheduler, services.engine)
    lost = threading.Event()

    def heartbeat() -> None:
        if not leadership.renew(datetime.now(UTC)):
            log.error("worker %s lost the leader lease; stopping its jobs", leadership.holder)
            lost.set()
            scheduler.shutdown(wait=False)

    scheduler.add_job(heartbeat, "interval", seconds=HEARTBEAT_SECONDS, id="heartbeat", max_instances=1,
                      coalesce=True, misfire_grace_time=HEARTBEAT_SECONDS)
    # On stop: no new runs. shutdown(wait=True) would deadlock with a running job that calls the
    # scheduler (the channel sync does), so don't wait here: the interpreter joins the job threads
    # at exit, and the lease is released only after that, by the atexit hook.
    atexit.register(lambda: None if lost.is_set() else leadership.release())
    def stop_when_asked() -> None:
        stopping.wait()
        while not scheduler.running:  # a stop that came before start() waits for it
            time.sleep(0.05)
        scheduler.shutdown(wait=False)

    threading.Thread(target=stop_when_asked, daemon=True).start()
    scheduler.start()
    return 3 if lost.is_set() else 0
