"""The pipeline, one module per stage, read top to bottom:

poll → ingest → classify → route → queue → reply, then metrics.

Each stage takes its session and collaborators, processes one batch, commits,
and returns whether more work remains.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from monitor.pipeline.classify import Tagger, classify_posts
from monitor.pipeline.ingest import ingest_pages
from monitor.pipeline.queue import enqueue_cases
from monitor.pipeline.route import Catalogue, route_posts


def process_inbound(
    session: Session, tagger: Tagger, catalogue: Catalogue, *, review_threshold: float, now: datetime,
    max_batches: int = 1000,
) -> None:
    """Run every inbound stage after polling until nothing is left (bounded)."""
    stages = (
        lambda: ingest_pages(session, now=now),
        lambda: classify_posts(session, tagger),
        lambda: route_posts(session, catalogue),
        lambda: enqueue_cases(session, catalogue, review_threshold=review_threshold, now=now),
    )
    for stage in stages:
        for _ in range(max_batches):
            if not stage():
                break
