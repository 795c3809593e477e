"""The pipeline, one module per stage, read top to bottom:

poll → ingest → classify → route → queue → reply, then metrics.

Each stage takes its session and collaborators, processes one batch, commits,
and returns whether more work remains.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from monitor.pipeline.classify import Tagger, classify_posts
from monitor.pipeline.ingest import ingest_pages
from monitor.pipeline.queue import enqueue_cases
from monitor.pipeline.route import Catalogue, route_posts

if TYPE_CHECKING:  # monitor.sla imports monitor.case_actions, which imports this package
    from monitor.sla import SlaRules


def process_inbound(
    session: Session, tagger: Tagger, catalogue: Catalogue, *, review_threshold: float, now: datetime,
    sla_rules: SlaRules | None = None, max_batches: int = 1000,
) -> dict[str, float]:
    """Run every inbound stage after polling until nothing is left (bounded); return each stage's seconds.

    `sla_rules` give new cases their due time at once; without them the SLA sweep sets it.
    """
    stages = {
        "ingest": lambda: ingest_pages(session, now=now),
        "classify": lambda: classify_posts(session, tagger),
        "route": lambda: route_posts(session, catalogue),
        "queue": lambda: enqueue_cases(session, review_threshold=review_threshold, now=now, sla_rules=sla_rules),
    }
    seconds = {}
    for name, stage in stages.items():
        began = time.perf_counter()
        for _ in range(max_batches):
            if not stage():
                break
        seconds[name] = time.perf_counter() - began
    return seconds
