"""Ingest: stored raw pages → posts, deduplicated by channel and platform id."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from monitor import models
from monitor.channels import channel_class

log = logging.getLogger(__name__)


def ingest_pages(session: Session, *, now: datetime, limit: int = 20) -> bool:
    """Map up to ``limit`` un-ingested pages to posts; return whether pages remain."""
    pages = session.scalars(
        select(models.RawPage).where(models.RawPage.ingested_at.is_(None)).order_by(models.RawPage.id)
        .limit(limit + 1)
    ).all()
    for page in pages[:limit]:
        ingest_page(session, page, now=now)
    session.commit()
    return len(pages) > limit


def ingest_page(session: Session, page: models.RawPage, *, now: datetime) -> int:
    """Insert the page's posts that are not stored yet; return how many were new."""
    channel = session.get_one(models.Channel, page.channel_id)
    mapping = channel_class(channel.kind).posts_from_page
    contents = mapping(page.payload, account_handle=channel.config.get("account_handle"))
    for error in contents.errors:
        log.warning("channel %s page %d: %s", channel.name, page.id, error)
    rows = [
        {**vars(record), "channel_id": channel.id, "raw_page_id": page.id, "ingested_at": now, "stage": "new"}
        for record in contents.posts
    ]
    inserted = _insert_new(session, rows)
    page.ingested_at = now
    page.ingest_errors = contents.errors or None
    return inserted


def _insert_new(session: Session, rows: list[dict]) -> int:
    if not rows:
        return 0
    table = models.Post.__table__
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).values(rows).on_conflict_do_nothing(
        index_elements=["channel_id", "external_id"]
    )
    return session.execute(statement).rowcount or 0
