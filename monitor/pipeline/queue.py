"""Queue: routed posts become cases. Posts of one conversation belong to one open case."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor import models
from monitor.pipeline.route import Catalogue

CLOSED_STATUSES = ("resolved", "dismissed")
PRIORITY_RANK = {"low": 0, "normal": 1, "high": 2, "urgent": 3}


def enqueue_cases(
    session: Session, catalogue: Catalogue, *, review_threshold: float, now: datetime, limit: int = 500
) -> bool:
    """Attach up to ``limit`` routed posts to cases; return whether more remain."""
    posts = session.scalars(
        select(models.Post).where(models.Post.stage == "routed").order_by(models.Post.posted_at, models.Post.id)
        .limit(limit + 1)
    ).all()
    slugs = dict(session.execute(select(models.Unit.id, models.Unit.slug)).all())
    for post in posts[:limit]:
        case = _open_case(session, post)
        if case is None:
            case = _new_case(post, catalogue, slugs, review_threshold, now)
            session.add(case)
            session.flush()
            _event(session, case, post, "case_opened", now, after=_case_state(case))
        else:
            _add_to_case(case, post, now)
            _event(session, case, post, "post_added", now, after={"post": post.external_id})
            if case.waiting_on == "citizen":  # the citizen answered: the SLA clocks run again
                case.waiting_on = None
                _event(session, case, post, "waiting_changed", now, after={"waiting_on": ""})
        post.case_id = case.id
        post.stage = "queued"
    session.commit()
    return len(posts) > limit


def _open_case(session: Session, post: models.Post) -> models.Case | None:
    return session.scalars(
        select(models.Case).where(
            models.Case.channel_id == post.channel_id,
            models.Case.conversation_id == post.conversation_id,
            models.Case.status.not_in(CLOSED_STATUSES),
        ).order_by(models.Case.id.desc()).limit(1)
    ).first()


def _new_case(
    post: models.Post, catalogue: Catalogue, slugs: dict[int, str], threshold: float, now: datetime
) -> models.Case:
    category = post.category or "other"
    confidence = post.confidence or 0.0
    return models.Case(
        channel_id=post.channel_id,
        conversation_id=post.conversation_id,
        status="new",
        category=category,
        confidence=confidence,
        needs_review=confidence < threshold,
        unit_id=post.unit_id,
        priority=post.priority or "normal",
        language=post.language or "ar",
        sla_due_at=sla_due(post.posted_at, category, slugs.get(post.unit_id or -1), catalogue),
        opened_at=now,
        first_post_at=post.posted_at,
        last_post_at=post.posted_at,
    )


def sla_due(posted_at: datetime, category: str, unit_slug: str | None, catalogue: Catalogue) -> datetime | None:
    """Wall-clock SLA due time from the unit's hours for the tag (business hours come later)."""
    hours = catalogue.default_sla_hours.get(category)
    if unit_slug is not None and unit_slug in {unit.slug for unit in catalogue.units}:
        hours = catalogue.unit(unit_slug).sla_hours.get(category, hours)
    return None if hours is None else posted_at + timedelta(hours=float(hours))


def _add_to_case(case: models.Case, post: models.Post, now: datetime) -> None:
    case.last_post_at = max(case.last_post_at, post.posted_at)
    if PRIORITY_RANK.get(post.priority or "", 0) > PRIORITY_RANK.get(case.priority, 0):
        case.priority = post.priority or case.priority


def _case_state(case: models.Case) -> dict:
    return {
        "status": case.status, "category": case.category, "confidence": round(case.confidence, 4),
        "unit_id": case.unit_id, "priority": case.priority, "needs_review": case.needs_review,
    }


def _event(
    session: Session, case: models.Case, post: models.Post, action: str, now: datetime, *, after: dict
) -> None:
    session.add(models.Event(case_id=case.id, post_id=post.id, action=action, after=after, created_at=now))
