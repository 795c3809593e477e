"""The queue page: cases newest first with tag, confidence, unit, language and age."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor import models
from monitor.web.auth import current_user, db_session
from monitor.web.pages import render

router = APIRouter()

PAGE_SIZE = 100


@dataclass(frozen=True)
class QueueRow:
    case: models.Case
    post: models.Post
    posts: int
    age_minutes: int


def queue_rows(session: Session, *, now: datetime, limit: int = PAGE_SIZE) -> list[QueueRow]:
    """The newest cases with their first post, in two queries whatever the page size."""
    cases = session.scalars(
        select(models.Case).order_by(models.Case.first_post_at.desc(), models.Case.id.desc()).limit(limit)
    ).all()
    posts = session.scalars(
        select(models.Post).where(models.Post.case_id.in_([case.id for case in cases]))
        .order_by(models.Post.posted_at, models.Post.id)
    ).all()
    by_case: dict[int, list[models.Post]] = {}
    for post in posts:
        by_case.setdefault(post.case_id or 0, []).append(post)
    return [
        QueueRow(case, by_case[case.id][0], len(by_case[case.id]),
                 int((now - case.first_post_at).total_seconds() // 60))
        for case in cases if case.id in by_case
    ]


@router.get("/", response_class=HTMLResponse)
def queue_page(
    request: Request, user: models.User = Depends(current_user), session: Session = Depends(db_session)
) -> HTMLResponse:
    services = request.app.state.services
    rows = queue_rows(session, now=datetime.now(UTC))
    return render(request, "queue.html", {"rows": rows, "tz": services.settings.tz})
