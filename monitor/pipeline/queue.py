"""Queue: routed posts become cases. Posts of one conversation belong to one open case.

A batch is read and written in bulk, in one transaction: one query finds the open cases
of all the batch's conversations; the new cases go in with one INSERT that returns their
ids, then the events with one INSERT, and the posts move to ``queued`` with one UPDATE by
primary key (Core statements: the ORM's per-row bookkeeping cost as much again). A case
opened earlier in the same batch is found in memory, so the posts of a new conversation
that arrive together still make one case.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from monitor import models
from monitor.bulk import insert_rows, recordset, update_rows

if TYPE_CHECKING:  # monitor.sla imports monitor.case_actions, which imports this package
    from monitor.sla import SlaRules

PRIORITY_RANK = {"low": 0, "normal": 1, "high": 2, "urgent": 3}
# What queueing reads of a post: rows of these columns, not Post objects, which cost more.
POST_COLUMNS = (
    models.Post.id, models.Post.channel_id, models.Post.conversation_id, models.Post.external_id,
    models.Post.category, models.Post.confidence, models.Post.unit_id, models.Post.priority,
    models.Post.language, models.Post.posted_at,
)

Conversation = tuple[int, str]  # channel id, conversation id
PendingEvent = tuple[Conversation, Row, str, dict]


def enqueue_cases(
    session: Session, *, review_threshold: float, now: datetime, sla_rules: SlaRules | None = None,
    limit: int = 2000,
) -> bool:
    """Attach up to ``limit`` routed posts to cases; return whether more remain.

    A new case's due time comes from `sla_rules` (``data/sla.yaml`` on the business
    calendar), as the SLA sweep computes it; without rules it is left to the sweep.
    """
    posts = session.execute(
        select(*POST_COLUMNS).where(models.Post.stage == "routed").order_by(models.Post.posted_at, models.Post.id)
        .limit(limit + 1)
    ).all()
    batch = posts[:limit]
    slugs = dict(session.execute(select(models.Unit.id, models.Unit.slug)).all())
    existing = _open_cases(session, batch)
    opened: dict[Conversation, dict] = {}  # new cases, as rows to insert, in the order they open
    events: list[PendingEvent] = []
    for post in batch:
        key = _conversation(post)
        if key in existing:
            events.extend(_join_case(existing[key], post))
        elif key in opened:
            events.append(_join_opened(opened[key], post))
        else:
            opened[key] = _new_case(post, review_threshold, now)
            events.append((key, post, "case_opened", _case_state(opened[key])))
    if sla_rules is not None:
        _set_due(opened.values(), sla_rules, slugs)
    case_ids = {key: case.id for key, case in existing.items()} | _insert_cases(session, opened)
    _insert_events(session, events, case_ids, now)
    update_rows(session, models.Post.__table__, [
        {"id": post.id, "case_id": case_ids[_conversation(post)], "stage": "queued"} for post in batch])
    session.commit()
    return len(posts) > limit


def _conversation(post: Row) -> Conversation:
    return post.channel_id, post.conversation_id


def _open_cases(session: Session, posts: Sequence[Row]) -> dict[Conversation, models.Case]:
    """The newest open case of each of the posts' conversations, in one query."""
    if not posts:
        return {}
    wanted = {_conversation(post) for post in posts}
    query = select(models.Case).where(models.Case.status.not_in(models.CLOSED_STATUSES)).order_by(models.Case.id)
    if session.get_bind().dialect.name == "postgresql":
        # Joined to the batch's conversations as rows, which PostgreSQL looks up in the index one by
        # one; "= ANY(array)" was planned as a filter over every case of the channel (16 ms a batch
        # at 8,000 cases, growing with the table).
        keys = recordset(session, models.Case.__table__, [
            {"channel_id": channel_id, "conversation_id": conversation_id}
            for channel_id, conversation_id in wanted])
        query = query.join(keys, (models.Case.channel_id == keys.c.channel_id)
                           & (models.Case.conversation_id == keys.c.conversation_id))
    else:  # SQLite looks each one up in the index as it is
        query = query.where(models.Case.conversation_id.in_({conversation for _, conversation in wanted}),
                            models.Case.channel_id.in_({channel for channel, _ in wanted}))
    candidates = session.scalars(query).all()
    return {key: case for case in candidates if (key := (case.channel_id, case.conversation_id)) in wanted}


def _join_case(case: models.Case, post: Row) -> list[PendingEvent]:
    """A stored open case takes the post (and stops waiting on the citizen, who answered)."""
    case.last_post_at, case.priority = _joined(case.last_post_at, case.priority, post)
    events = [((case.channel_id, case.conversation_id), post, "post_added", {"post": post.external_id})]
    if case.waiting_on == "citizen":  # the citizen answered: the SLA clocks run again
        case.waiting_on = None
        events.append((events[0][0], post, "waiting_changed", {"waiting_on": ""}))
    return events


def _join_opened(row: dict, post: Row) -> PendingEvent:
    """A case opened earlier in this batch (not stored yet, never waiting) takes the post."""
    row["last_post_at"], row["priority"] = _joined(row["last_post_at"], row["priority"], post)
    return (row["channel_id"], row["conversation_id"]), post, "post_added", {"post": post.external_id}


def _joined(last_post_at: datetime, priority: str, post: Row) -> tuple[datetime, str]:
    """A case's last post time and priority once ``post`` joins it: priority only goes up."""
    if PRIORITY_RANK.get(post.priority or "", 0) > PRIORITY_RANK.get(priority, 0):
        priority = post.priority or priority
    return max(last_post_at, post.posted_at), priority


def _insert_cases(session: Session, opened: dict[Conversation, dict]) -> dict[Conversation, int]:
    """Insert the new cases in one statement; each returned id comes with its conversation.

    Asking for the ids in parameter order instead would make SQLite insert row by row.
    """
    rows = insert_rows(session, models.Case.__table__, list(opened.values()),
                       returning=("id", "channel_id", "conversation_id"))
    return {(row.channel_id, row.conversation_id): row.id for row in rows}


def _insert_events(
    session: Session, events: list[PendingEvent], case_ids: dict[Conversation, int], now: datetime
) -> None:
    insert_rows(session, models.Event.__table__, [
        {"case_id": case_ids[key], "post_id": post.id, "action": action, "after": after, "created_at": now}
        for key, post, action, after in events
    ])


def _new_case(post: Row, threshold: float, now: datetime) -> dict:
    """The row of a case opened by ``post``."""
    category, priority = post.category or "other", post.priority or "normal"
    confidence = post.confidence or 0.0
    return {
        "channel_id": post.channel_id,
        "conversation_id": post.conversation_id,
        "status": "new",
        "category": category,
        "confidence": confidence,
        "needs_review": confidence < threshold,
        "unit_id": post.unit_id,
        "priority": priority,
        "language": post.language or "ar",
        "sla_due_at": None,
        "opened_at": now,
        "first_post_at": post.posted_at,
        "last_post_at": post.posted_at,
    }


def _set_due(cases: Iterable[dict], sla_rules: SlaRules, slugs: dict[int, str]) -> None:
    """Each new case's due time, with the priority the batch's later posts may have raised."""
    rows = list(cases)
    openings = [(row["first_post_at"], row["category"], row["priority"], slugs.get(row["unit_id"] or -1))
                for row in rows]
    for row, due in zip(rows, sla_rules.due_at_opening_each(openings), strict=True):
        row["sla_due_at"] = due


def _case_state(case: Mapping) -> dict:
    """A new case's state as its ``case_opened`` event records it."""
    return {
        "status": case["status"], "category": case["category"], "confidence": round(case["confidence"], 4),
        "unit_id": case["unit_id"], "priority": case["priority"], "needs_review": case["needs_review"],
    }
