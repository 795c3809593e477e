"""The record of each scheduled job's runs, in our own table, fed by APScheduler's events.

The scheduler's own job store stays in memory (jobs are defined in code with fixed
ids); what operators need after a restart — when each job last ran, how long it
took, whether it failed — lives here, where `monitor status` and `/metrics` read it.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, EVENT_JOB_SUBMITTED, JobEvent
from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from monitor import models

log = logging.getLogger(__name__)

MASK = EVENT_JOB_SUBMITTED | EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED


def record_job_runs(scheduler: BaseScheduler, engine: Engine) -> None:
    """Keep ``job_runs`` current for every job of ``scheduler``."""

    def listener(event: JobEvent) -> None:
        try:
            with Session(engine) as session:
                row = session.get(models.JobRun, event.job_id) or models.JobRun(job_id=event.job_id)
                _apply(row, event)
                session.add(row)
                session.commit()
        except Exception:  # a bookkeeping failure must never stop the scheduler  # noqa: BLE001
            log.exception("could not record a run of job %s", event.job_id)

    scheduler.add_listener(listener, MASK)


def _apply(row: models.JobRun, event: JobEvent) -> None:
    now = datetime.now(UTC)
    if event.code == EVENT_JOB_SUBMITTED:
        row.last_started_at = now
        return
    if event.code == EVENT_JOB_MISSED:
        row.last_outcome, row.last_error = "missed", "run was later than its misfire grace time"
        return
    row.runs = (row.runs or 0) + 1
    row.last_finished_at = now
    if row.last_started_at is not None:
        row.last_duration_seconds = (now - row.last_started_at).total_seconds()
    if event.code == EVENT_JOB_ERROR:
        row.failures = (row.failures or 0) + 1
        row.last_outcome, row.last_error = "error", f"{type(event.exception).__name__}: {event.exception}"[:2000]
    else:
        row.last_outcome, row.last_error = "ok", None
