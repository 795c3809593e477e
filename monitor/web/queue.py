"""The queue page: filters, text search, sorting and keyset pagination over cases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import ColumnElement, Select, and_, bindparam, func, or_, select
from sqlalchemy import case as when
from sqlalchemy.orm import Session

from classifiers import normalize_text
from monitor import models
from monitor.case_actions import CaseActionError, assign_case, move_case
from monitor.learning import CorrectionError, record_correction
from monitor.pipeline.forward import request_forward
from monitor.permissions import WORK, can
from monitor.sla import SlaRules
from monitor.web.auth import current_user, db_session, require_csrf
from monitor.web.pages import render

router = APIRouter()

PAGE_SIZE = 50
FILTERS = ("tag", "unit", "status", "lang", "channel", "priority", "review", "assignee", "sla", "tracking",
           "external", "q", "sort")
DUE_SOON = timedelta(hours=4)


@dataclass(frozen=True)
class QueueRow:
    case: models.Case
    post: models.Post
    posts: int
    age_minutes: int


def scoped(query: Select[Any], user: models.User) -> Select[Any]:
    """Unit members see their own unit's cases only."""
    if user.role == "unit":
        return query.where(models.Case.unit_id == user.unit_id)
    return query


def filtered(query: Select[Any], params: dict[str, str], user: models.User) -> Select[Any]:
    case = models.Case
    status = params.get("status") or "open"
    if status == "open":
        query = query.where(is_open())
    elif status != "all":
        query = query.where(case.status == status)
    simple = {"tag": case.category, "lang": case.language, "priority": case.priority}
    for name, column in simple.items():
        if params.get(name):
            query = query.where(column == params[name])
    if params.get("unit"):
        query = query.where(case.unit_id.in_(select(models.Unit.id).where(models.Unit.slug == params["unit"])))
    if params.get("channel"):
        query = query.where(case.channel_id.in_(select(models.Channel.id).where(models.Channel.name == params["channel"])))
    if params.get("review") == "1":
        query = query.where(case.needs_review)
    assignee = params.get("assignee")
    if assignee == "me":
        query = query.where(case.assignee_id == user.id)
    elif assignee == "none":
        query = query.where(case.assignee_id.is_(None))
    query = _sla_state(query, params.get("sla"), now=datetime.now(UTC))
    query = _forwarded(query, params.get("tracking"), params.get("external"))
    if params.get("q"):
        needle = normalize_text(params["q"])
        query = query.where(case.id.in_(
            select(models.Post.case_id).where(models.Post.search_text.contains(needle, autoescape=True))))
    return scoped(query, user)


def is_open() -> ColumnElement[bool]:
    """Open cases, with the statuses written into the SQL: a bound list hides from SQLite's planner
    (and from PostgreSQL's generic plans) that the open-case indexes (``models.OPEN_CASE``) hold
    every row asked for."""
    statuses = bindparam("open_statuses", list(models.OPEN_STATUSES), expanding=True, literal_execute=True,
                         unique=True)
    return models.Case.status.in_(statuses)


def _forwarded(query: Select[Any], tracking: str | None, external: str | None) -> Select[Any]:
    """Cases by the national system's tracking number, or by its status for them."""
    forward = models.Forward
    if tracking:
        query = query.where(case_id_in(select(forward.case_id).where(forward.external_id == tracking.strip())))
    if external:
        query = query.where(case_id_in(select(forward.case_id).where(forward.external_status == external)))
    return query


def case_id_in(subquery: Select[Any]):  # type: ignore[no-untyped-def]
    return models.Case.id.in_(subquery)


def _sla_state(query: Select[Any], state: str | None, *, now: datetime) -> Select[Any]:
    """overdue: past the due time; soon: due within four hours; ok: due later."""
    due = models.Case.sla_due_at
    if state == "overdue":
        return query.where(due < now)
    if state == "soon":
        return query.where(due >= now, due < now + DUE_SOON)
    if state == "ok":
        return query.where(due >= now + DUE_SOON)
    return query


def sort_key(params: dict[str, str]):  # type: ignore[no-untyped-def]
    """Newest first, or SLA due time soonest first (cases without an SLA are left out of that view)."""
    if params.get("sort") == "due":
        return models.Case.sla_due_at, True
    return models.Case.first_post_at, False


def queue_rows(
    session: Session, user: models.User, params: dict[str, str], *, now: datetime, limit: int = PAGE_SIZE
) -> tuple[list[QueueRow], str | None]:
    """One page of cases with their first post, in two queries; returns the rows and the next cursor."""
    key, ascending = sort_key(params)
    query = filtered(select(models.Case, key.label("sort_value")), params, user).where(key.is_not(None))
    cursor = params.get("after")
    if cursor:
        value, case_id = _parse_cursor(cursor)
        if ascending:
            query = query.where(or_(key > value, and_(key == value, models.Case.id > case_id)))
        else:
            query = query.where(or_(key < value, and_(key == value, models.Case.id < case_id)))
    order = (key.asc(), models.Case.id.asc()) if ascending else (key.desc(), models.Case.id.desc())
    found = session.execute(query.order_by(*order).limit(limit + 1)).all()
    cases = [row[0] for row in found[:limit]]
    next_cursor = None
    if len(found) > limit:
        last = found[limit - 1]
        next_cursor = f"{_as_utc(last[1]).isoformat()}|{last[0].id}"
    posts = session.scalars(
        select(models.Post).where(models.Post.case_id.in_([case.id for case in cases]))
        .order_by(models.Post.posted_at, models.Post.id)
    ).all()
    by_case: dict[int, list[models.Post]] = {}
    for post in posts:
        by_case.setdefault(post.case_id or 0, []).append(post)
    rows = [QueueRow(case, by_case[case.id][0], len(by_case[case.id]),
                     int((now - case.first_post_at).total_seconds() // 60))
            for case in cases if case.id in by_case]
    return rows, next_cursor


def _as_utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _parse_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        value, case_id = cursor.rsplit("|", 1)
        return datetime.fromisoformat(value), int(case_id)
    except ValueError:
        return datetime.max.replace(tzinfo=UTC), 0


def tag_counts(session: Session, user: models.User, params: dict[str, str]) -> dict[str, int]:
    """How many cases each tag has under the other filters."""
    others = {name: value for name, value in params.items() if name != "tag"}
    query = filtered(select(models.Case.category, func.count()), others, user).group_by(models.Case.category)
    return dict(session.execute(query).all())


def channel_alerts(session: Session, *, now: datetime) -> list[models.Channel]:
    """Channels an operator must know about: paused (rate limit, usage cap, budget), failing, or with a notice."""
    rows = session.scalars(select(models.Channel).order_by(models.Channel.name)).all()
    return [row for row in rows
            if (row.paused_until and row.paused_until > now) or row.last_error or row.notice]


def sla_counts(session: Session, user: models.User, *, now: datetime) -> tuple[int, int]:
    """Open cases in the user's scope past their due time, and due within the next four hours."""
    due = models.Case.sla_due_at
    overdue = func.sum(when((due < now, 1), else_=0))
    # Only open cases due before the window's end are read (the open cases' due-time index).
    query = scoped(select(overdue, func.count()).where(is_open(),
                                                       due < now + DUE_SOON), user)
    late, within_window = session.execute(query).one()
    return int(late or 0), int(within_window or 0) - int(late or 0)


@router.get("/", response_class=HTMLResponse)
def queue_page(
    request: Request, user: models.User = Depends(current_user), session: Session = Depends(db_session)
) -> HTMLResponse:
    params = {name: value for name, value in request.query_params.items() if name in FILTERS + ("after",) and value}
    now = datetime.now(UTC)
    rows, next_cursor = queue_rows(session, user, params, now=now)
    context = {
        "rows": rows, "next_cursor": next_cursor, "params": params, "counts": tag_counts(session, user, params),
        "tz": request.app.state.services.settings.tz,
        "units": session.scalars(select(models.Unit).where(models.Unit.active).order_by(models.Unit.id)).all(),
        "channels": session.scalars(select(models.Channel.name).order_by(models.Channel.name)).all(),
        "views": session.scalars(select(models.SavedView).where(models.SavedView.user_id == user.id)
                                 .order_by(models.SavedView.name)).all(),
        "query": request.url.query, "flash": request.session.pop("flash", None), "can_work": can(user, WORK),
        "alerts": channel_alerts(session, now=now) if can(user, WORK) else [],
        "sla_counts": sla_counts(session, user, now=now), "now": now,
    }
    return render(request, "queue.html", context)


BULK_ACTIONS = ("tag", "unit", "assign", "dismiss", "forward")


@router.post("/bulk", dependencies=[Depends(require_csrf)])
async def bulk(request: Request, user: models.User = Depends(current_user),
               session: Session = Depends(db_session)) -> RedirectResponse:
    """Apply one action to the selected cases; each case is checked and applied on its own."""
    form = await request.form()
    action, value = str(form.get("action", "")).partition(":")[::2]
    ids = [int(raw) for raw in form.getlist("case") if str(raw).isdigit()]
    if action not in BULK_ACTIONS or not ids:
        request.session["flash"] = "choose cases and an action"
        return RedirectResponse("/", status_code=303)
    if action == "forward" and not request.app.state.services.settings.complaints_url:
        request.session["flash"] = "forwarding to the national system is off"
        return RedirectResponse("/", status_code=303)
    done, refused = 0, 0
    for case in session.scalars(select(models.Case).where(models.Case.id.in_(ids))).all():
        if not can(user, WORK, case):
            refused += 1
            continue
        try:
            _apply(session, case, action, value, user, request.app.state.services.sla_rules)
            done += 1
        except (CaseActionError, CorrectionError):
            session.rollback()
            refused += 1
    request.session["flash"] = f"{done} updated, {refused} refused"
    return RedirectResponse(str(form.get("back") or "/"), status_code=303)


def _apply(session: Session, case: models.Case, action: str, value: str, user: models.User,
           sla_rules: SlaRules) -> None:
    now = datetime.now(UTC)
    if action == "tag":  # a new tag or unit may change the case's SLA: its due time moves at once
        record_correction(session, case.posts[0], label=value, user=user, now=now, sla_rules=sla_rules)
    elif action == "unit":
        record_correction(session, case.posts[0], unit=value, user=user, now=now, sla_rules=sla_rules)
    elif action == "assign":
        assign_case(session, case, user if value == "me" else None, by=user, now=now, version=None)
    elif action == "forward":
        request_forward(session, case, by=user, now=now)
    else:
        move_case(session, case, "dismiss", by=user, now=now, version=None)


@router.post("/views", dependencies=[Depends(require_csrf)])
def save_view(request: Request, name: str = Form(...), query: str = Form(""),
              user: models.User = Depends(current_user), session: Session = Depends(db_session)) -> RedirectResponse:
    """Save the current filters under a name (saving again under the same name replaces them)."""
    name = name.strip()[:80] or "view"
    view = session.scalar(select(models.SavedView).where(models.SavedView.user_id == user.id,
                                                         models.SavedView.name == name))
    if view is None:
        view = models.SavedView(user_id=user.id, name=name)
        session.add(view)
    view.query = query.lstrip("?")
    session.commit()
    return RedirectResponse(f"/?{view.query}", status_code=303)


@router.post("/views/{view_id}/delete", dependencies=[Depends(require_csrf)])
def delete_view(view_id: int, user: models.User = Depends(current_user),
                session: Session = Depends(db_session)) -> RedirectResponse:
    view = session.get(models.SavedView, view_id)
    if view is not None and view.user_id == user.id:
        session.delete(view)
        session.commit()
    return RedirectResponse("/", status_code=303)
