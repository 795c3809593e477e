"""Ingest: stored raw pages → posts, deduplicated by channel and platform id."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from classifiers import normalize_text
from monitor import models
from monitor.bulk import insert_rows
from monitor.channels import channel_class
from monitor.channels.x_payload import PostRecord

log = logging.getLogger(__name__)


def ingest_pages(session: Session, *, now: datetime, limit: int = 20) -> bool:
    """Map up to ``limit`` un-ingested pages to posts; return whether pages remain."""
    pages = session.scalars(
        select(models.RawPage).where(models.RawPage.ingested_at.is_(None)).order_by(models.RawPage.id)
        .limit(limit + 1)
    ).all()
    _ingest(session, pages[:limit], now)
    session.commit()
    return len(pages) > limit


def ingest_page(session: Session, page: models.RawPage, *, now: datetime) -> int:
    """Insert the page's posts that are not stored yet; return how many were new."""
    return _ingest(session, [page], now)


def _ingest(session: Session, pages: Sequence[models.RawPage], now: datetime) -> int:
    """Insert the posts of ``pages`` not stored yet, in one statement; return how many were new.

    The posts of all the pages are taken oldest first (by platform id), so an edit finds
    its original even when the two arrived on different pages of the batch.
    """
    found: list[tuple[models.Channel, models.RawPage, PostRecord]] = []
    for page in pages:
        channel = session.get_one(models.Channel, page.channel_id)
        contents = channel_class(channel.kind).posts_from_page(
            page.payload, account_handle=channel.config.get("account_handle"))
        for error in contents.errors:
            log.warning("channel %s page %d: %s", channel.name, page.id, error)
        found.extend((channel, page, record) for record in contents.posts)
        page.ingested_at = now
        page.ingest_errors = contents.errors or None
    rows: dict[tuple[int, str], dict] = {}  # by channel and platform id
    for channel, page, record in sorted(found, key=lambda item: int(item[2].external_id)):
        original = (channel.id, record.edit_of)
        if original in rows:
            rows[original].update(text=record.text, edit_id=record.external_id)
        elif (channel.id, record.external_id) not in rows and not _apply_edit(session, channel, record, now):
            rows[channel.id, record.external_id] = {**_columns(record), "channel_id": channel.id,
                                                    "raw_page_id": page.id, "ingested_at": now, "stage": "new"}
    return _insert_new(session, list(rows.values()))


def _columns(record: PostRecord) -> dict:
    columns = dict(vars(record))
    columns.pop("edit_of")
    return {**columns, "edit_id": None}


def _apply_edit(session: Session, channel: models.Channel, record: PostRecord, now: datetime) -> bool:
    """An edit of a stored post updates that post (and says so in an event), it is not a new post."""
    if record.edit_of is None:
        return False
    original = session.scalar(select(models.Post).where(
        models.Post.channel_id == channel.id, models.Post.external_id == record.edit_of))
    if original is None:
        return False
    if original.edit_id is None or int(record.external_id) > int(original.edit_id):
        session.add(models.Event(case_id=original.case_id, post_id=original.id, action="post_edited",
                                 before={"text": original.text}, after={"text": record.text,
                                                                         "edit_id": record.external_id},
                                 created_at=now))
        original.text, original.edit_id = record.text, record.external_id
        if original.search_text is not None:  # routing reads it as the normalised text
            original.search_text = normalize_text(record.text)
    return True


def _insert_new(session: Session, rows: list[dict]) -> int:
    """Insert the rows not stored yet, in one statement; return how many that was."""
    # RETURNING counts what was inserted: psycopg reports no row count for a batch of parameter sets
    return len(insert_rows(session, models.Post.__table__, rows, returning=("id",),
                           skip_conflicts_on=("channel_id", "external_id")))
