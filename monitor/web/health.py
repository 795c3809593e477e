"""Liveness, readiness and Prometheus metrics, for the operators' monitoring."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.core import CollectorRegistry, GaugeMetricFamily
from prometheus_client.registry import Collector

from monitor.status import read_status, readiness

router = APIRouter()


@router.get("/healthz", response_class=PlainTextResponse)
def healthz() -> str:
    """Alive: the process answers."""
    return "ok"


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    """Ready: the database answers, its schema is current, and the model loads."""
    services = request.app.state.services
    with services.sessions() as session:
        checks = readiness(session, lambda: services.tagger)
    ready = all(value.startswith("ok") for value in checks.values())
    return JSONResponse(checks, status_code=200 if ready else 503)


class DatabaseCollector(Collector):
    """Reads every figure from the database at scrape time (no in-process counters to drift)."""

    def __init__(self, sessions):  # type: ignore[no-untyped-def]
        self.sessions = sessions

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with self.sessions() as session:
            status = read_status(session)
        yield _family("monitor_posts_ingested", "Posts stored, per channel.", "channel",
                      {c.name: c.posts for c in status.channels})
        yield _family("monitor_x_reads", "Posts read from the platform (billed), per channel.", "channel",
                      {c.name: c.posts_read for c in status.channels})
        yield _family("monitor_poll_failing", "1 when the channel's last poll failed.", "channel",
                      {c.name: int(bool(c.last_error)) for c in status.channels})
        yield _family("monitor_tags_assigned", "Posts per assigned tag.", "tag", status.tags)
        yield _family("monitor_queue_depth", "Cases per status.", "status", status.queue_depth)
        yield _family("monitor_sla_breaches", "sla_breached events written.", None, {"": status.sla_breaches})
        yield _family("monitor_job_last_duration_seconds", "Duration of each job's last run.", "job",
                      {j.job_id: j.last_duration_seconds or 0.0 for j in status.jobs})
        yield _family("monitor_job_failures", "Failed runs of each job.", "job", {j.job_id: j.failures for j in status.jobs})


def _family(name: str, documentation: str, label: str | None, values: dict) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=[label] if label else [])
    for key, value in values.items():
        family.add_metric([str(key)] if label else [], float(value))
    return family


@router.get("/metrics")
def metrics(request: Request) -> Response:
    registry = CollectorRegistry()
    registry.register(DatabaseCollector(request.app.state.services.sessions))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
