"""The logs as DataFrames: cases, posts, replies and status changes, read through SQLAlchemy.

SLA clocks (``monitor.sla``) and metrics (``monitor.metrics``) are pure functions of these
frames. Timestamps are UTC. A reply is *human* when a person wrote it or approved it;
a reply with neither (an automatic acknowledgement) never stops a response clock.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from monitor import models

OPEN_CASES = select(models.Case.id).where(models.Case.status.not_in(("resolved", "dismissed")))

CASE_COLUMNS = ["case_id", "category", "priority", "unit", "channel", "language", "status", "first_post_at"]


@dataclass(frozen=True)
class Logs:
    cases: pd.DataFrame
    posts: pd.DataFrame
    replies: pd.DataFrame
    events: pd.DataFrame


def read_logs(session: Session, case_ids: Select | None = None) -> Logs:
    return Logs(read_cases(session, case_ids), read_posts(session, case_ids), read_replies(session, case_ids),
                read_status_events(session, case_ids))


def read_cases(session: Session, case_ids: Select | None = None) -> pd.DataFrame:
    query = (
        select(models.Case.id, models.Case.category, models.Case.priority, models.Unit.slug, models.Channel.name,
               models.Case.language, models.Case.status, models.Case.first_post_at)
        .join(models.Unit, models.Unit.id == models.Case.unit_id, isouter=True)
        .join(models.Channel, models.Channel.id == models.Case.channel_id)
    )
    if case_ids is not None:
        query = query.where(models.Case.id.in_(case_ids))
    return _frame(session.execute(query).all(), CASE_COLUMNS)


def read_posts(session: Session, case_ids: Select | None = None) -> pd.DataFrame:
    query = select(models.Post.case_id, models.Post.posted_at).where(models.Post.case_id.is_not(None))
    if case_ids is not None:
        query = query.where(models.Post.case_id.in_(case_ids))
    return _frame(session.execute(query).all(), ["case_id", "posted_at"])


def read_replies(session: Session, case_ids: Select | None = None) -> pd.DataFrame:
    reply = models.Reply
    query = select(reply.case_id, reply.state, reply.created_at, reply.approved_at, reply.sent_at,
                   reply.author_id.is_not(None) | reply.approved_at.is_not(None))
    if case_ids is not None:
        query = query.where(reply.case_id.in_(case_ids))
    frame = _frame(session.execute(query).all(), ["case_id", "state", "created_at", "approved_at", "sent_at", "human"])
    frame["human"] = frame["human"].astype(bool)
    return frame


def read_status_events(session: Session, case_ids: Select | None = None) -> pd.DataFrame:
    """Events that changed a case's status or what it waits on ("" = waits on nothing)."""
    query = select(models.Event.case_id, models.Event.created_at, models.Event.after).where(
        models.Event.case_id.is_not(None), models.Event.after.is_not(None))
    if case_ids is not None:
        query = query.where(models.Event.case_id.in_(case_ids))
    rows = [
        (case_id, created_at, after.get("status"), _waiting(after))
        for case_id, created_at, after in session.execute(query)
        if isinstance(after, dict) and ("status" in after or "waiting_on" in after)
    ]
    return _frame(rows, ["case_id", "created_at", "status", "waiting_on"])


def _waiting(after: dict) -> str | None:
    if "waiting_on" not in after:
        return None
    return after["waiting_on"] or ""


def _frame(rows: list, columns: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame([tuple(row) for row in rows], columns=columns)
    for column in columns:
        if column.endswith("_at"):
            frame[column] = pd.to_datetime(frame[column], utc=True)
    frame["case_id"] = frame["case_id"].astype("int64")
    for column in ("status", "waiting_on"):
        if column in frame:
            frame[column] = frame[column].astype(object)
    return frame
