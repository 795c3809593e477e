"""The scheduler process (APScheduler 3.x). Each job calls pipeline functions; no logic lives here.

It runs in its own process, never inside web workers: APScheduler 3 cannot
coordinate processes, so every web worker would run every job. Jobs have fixed
ids and explicit ``max_instances``, ``coalesce`` and ``misfire_grace_time``
(the default grace of one second silently skips late runs).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import select

from monitor import models
from monitor.channels import build_channel
from monitor.pipeline import process_inbound
from monitor.pipeline.poll import poll_channel
from monitor.pipeline.reply import send_replies
from monitor.services import Services

log = logging.getLogger(__name__)

INBOUND_SECONDS = 5
REPLIES_SECONDS = 10
CHANNEL_SYNC_SECONDS = 60


def poll_job(services: Services, channel_id: int) -> None:
    with services.sessions() as session:
        row = session.get(models.Channel, channel_id)
        if row is None or not row.enabled:
            return
        channel = build_channel(row.kind, row.config, data_dir=services.settings.data_dir)
        outcome = poll_channel(session, row, channel, now=datetime.now(UTC))
        log.info("poll %s: %d pages, %d posts%s", row.name, outcome.pages, outcome.posts,
                 f", error: {outcome.error}" if outcome.error else "")


def inbound_job(services: Services) -> None:
    with services.sessions() as session:
        process_inbound(session, services.tagger, services.catalogue,
                        review_threshold=services.settings.review_threshold, now=datetime.now(UTC))


def replies_job(services: Services) -> None:
    with services.sessions() as session:
        while send_replies(session, services.reply_sink, now=datetime.now(UTC)):
            pass


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
    scheduler = BlockingScheduler(timezone=UTC)
    now = datetime.now(UTC)
    fixed = (
        ("inbound", inbound_job, INBOUND_SECONDS, (services,)),
        ("replies", replies_job, REPLIES_SECONDS, (services,)),
        ("channels", sync_channel_jobs, CHANNEL_SYNC_SECONDS, (services, scheduler)),
    )
    for job_id, func, seconds, args in fixed:
        scheduler.add_job(func, "interval", seconds=seconds, args=args, id=job_id, max_instances=1,
                          coalesce=True, misfire_grace_time=seconds, next_run_time=now)
    return scheduler
