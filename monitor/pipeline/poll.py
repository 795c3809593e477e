"""Poll: fetch raw pages after a channel's checkpoint and store them verbatim.

Pages are committed as they arrive; the new checkpoint (the first page's
``newest_id``) is committed with the last page. A crash part-way leaves the
checkpoint where it was, so the next poll reads those pages again and ingest
drops the duplicates: nothing is skipped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from monitor import models
from monitor.channels import Channel, ChannelError
from monitor.pipeline.usage import pause_for_budget, record_usage

log = logging.getLogger(__name__)

# Pagination runs to the end; this bound (a million posts at 100 a page) only guards against a
# platform that never stops handing out next tokens.
MAX_PAGES = 10_000


@dataclass(frozen=True)
class PollOutcome:
    pages: int
    posts: int
    error: str | None = None
    skipped: bool = False


def poll_channel(session: Session, row: models.Channel, channel: Channel, *, now: datetime) -> PollOutcome:
    """Fetch every page newer than ``row.checkpoint``; store pages, then move the checkpoint."""
    if row.paused_until is not None and row.paused_until > now:
        return PollOutcome(0, 0, skipped=True)
    if pause_for_budget(session, row, now):
        log.warning("channel %s: %s", row.name, row.notice)
        return PollOutcome(0, 0, skipped=True)
    pages = posts = 0
    token: str | None = None
    newest: str | None = None
    session.commit()  # hold no transaction across the network call (SQLite: no stale read snapshot)
    try:
        for _ in range(MAX_PAGES):
            page = channel.fetch_page(row.checkpoint, token)
            session.add(_raw_page(row, page, now))
            record_usage(session, row.id, now.date(), page.result_count)
            row.notice = page.extra.get("notice") or row.notice
            pages, posts = pages + 1, posts + page.result_count
            newest = newest or page.newest_id
            token = page.next_token
            if token is None:
                break
            session.commit()
        else:
            log.error("channel %s: still more after %d pages; checkpoint kept, pages stored", row.name, MAX_PAGES)
    except ChannelError as exc:
        return _record_failure(session, row, exc, now, pages, posts)
    if token is None and newest is not None:
        row.checkpoint = newest
    row.last_polled_at, row.last_error, row.paused_until = now, None, None
    session.commit()
    return PollOutcome(pages, posts)


def _raw_page(row: models.Channel, page, now: datetime) -> models.RawPage:  # type: ignore[no-untyped-def]
    return models.RawPage(
        channel_id=row.id,
        request=page.request,
        payload=page.payload,
        adapter_version=page.adapter_version,
        fetched_at=now,
    )


def _record_failure(
    session: Session, row: models.Channel, exc: ChannelError, now: datetime, pages: int, posts: int
) -> PollOutcome:
    session.commit()  # keep the pages fetched before the failure
    row.last_polled_at, row.last_error = now, str(exc)
    row.paused_until = exc.retry_at
    if exc.permanent:
        row.enabled = False
    session.commit()
    log.warning("channel %s: poll failed: %s", row.name, exc)
    return PollOutcome(pages, posts, error=str(exc))
