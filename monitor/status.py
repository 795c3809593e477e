"""The true state of the product, read from the database: for `monitor status`, /readyz and /metrics.

Nothing here is a counter kept in memory: every figure is a query, so every web
worker and every scrape sees the same numbers the database holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from monitor import models
from monitor.leader import current_leader
from monitor.migrations import current_revision, head_revision


@dataclass(frozen=True)
class ChannelState:
    name: str
    kind: str
    enabled: bool
    last_polled_at: datetime | None
    last_error: str | None
    paused_until: datetime | None
    posts: int
    posts_read: int


@dataclass
class Status:
    channels: list[ChannelState] = field(default_factory=list)
    queue_depth: dict[str, int] = field(default_factory=dict)
    tags: dict[str, int] = field(default_factory=dict)
    leader: str | None = None
    heartbeat_at: datetime | None = None
    jobs: list[models.JobRun] = field(default_factory=list)
    sla_breaches: int = 0


def read_status(session: Session) -> Status:
    """Channels, queue depth by status, tags assigned, leader and jobs, in a handful of queries."""
    posts = dict(session.execute(select(models.Post.channel_id, func.count()).group_by(models.Post.channel_id)).all())
    reads = dict(session.execute(select(models.ChannelUsage.channel_id, func.sum(models.ChannelUsage.posts_read))
                                 .group_by(models.ChannelUsage.channel_id)).all())
    channels = [
        ChannelState(row.name, row.kind, row.enabled, row.last_polled_at, row.last_error, row.paused_until,
                     posts.get(row.id, 0), int(reads.get(row.id) or 0))
        for row in session.scalars(select(models.Channel).order_by(models.Channel.name))
    ]
    lease = current_leader(session)
    return Status(
        channels=channels,
        queue_depth=dict(session.execute(select(models.Case.status, func.count()).group_by(models.Case.status)).all()),
        tags=dict(session.execute(select(models.Post.category, func.count()).where(models.Post.category.is_not(None))
                                  .group_by(models.Post.category)).all()),
        leader=lease.holder if lease else None,
        heartbeat_at=lease.heartbeat_at if lease else None,
        jobs=list(session.scalars(select(models.JobRun).order_by(models.JobRun.job_id))),
        sla_breaches=session.scalar(select(func.count()).select_from(models.Event)
                                    .where(models.Event.action == "sla_breached")) or 0,
    )


def readiness(session: Session, model_loader) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Each check's verdict: "ok" or what is wrong."""
    checks: dict[str, str] = {}
    try:
        session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except DBAPIError as exc:
        return {"database": f"unreachable: {exc.orig}"}
    revision, head = current_revision(session.connection()), head_revision()
    checks["migrations"] = "ok" if revision == head else f"at {revision}, expected {head}: run `monitor migrate`"
    try:
        checks["model"] = f"ok ({model_loader().version})"
    except Exception as exc:  # any load failure makes the process not ready  # noqa: BLE001
        checks["model"] = f"not loaded: {exc}"
    return checks
