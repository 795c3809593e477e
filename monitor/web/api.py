"""The JSON API under /api/: the queue's actions for the ministry's own systems.

Authenticated by per-user API tokens (``monitor token create USER``), sent as
``Authorization: Bearer <token>``; the same permission checks as the pages.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from monitor import models
from monitor.accounts import token_in_use, token_used_stale
from monitor.case_actions import CaseActionError, assign_case, move_case
from monitor.learning import CorrectionError, record_correction
from monitor.permissions import APPROVE, REPLY, VIEW, WORK, can
from monitor.pipeline.forward import request_forward
from monitor.pipeline.reply import ReplyError, approve_reply, draft_reply
from monitor.web.auth import db_session, write_session
from monitor.web.cases import load_case
from monitor.web.queue import FILTERS, queue_rows

router = APIRouter(prefix="/api", tags=["queue"])
bearer = HTTPBearer(auto_error=False)


class PostOut(BaseModel):
    id: int
    text: str
    author_handle: str | None
    posted_at: datetime
    language: str | None


class CaseOut(BaseModel):
    id: int
    reference: str
    status: str
    category: str
    confidence: float
    needs_review: bool
    unit: str | None
    priority: str
    language: str
    sla_due_at: datetime | None
    version: int
    posts: list[PostOut] = []


class CasePage(BaseModel):
    cases: list[CaseOut]
    next_cursor: str | None


class Correction(BaseModel):
    label: str | None = Field(default=None, description="complaint, praise, inquiry or other")
    unit: str | None = Field(default=None, description="unit slug")


class Assignment(BaseModel):
    username: str | None = Field(default=None, description="null to unassign")
    version: int | None = None


class ForwardOut(BaseModel):
    case_id: int
    state: str
    tracking_number: str | None
    external_status: str | None


class ReplyIn(BaseModel):
    text: str


class ReplyOut(BaseModel):
    id: int
    state: str
    text: str


def api_user(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
             session: Session = Depends(db_session)) -> models.User:
    found = token_in_use(session, credentials.credentials) if credentials else None
    if found is None:
        raise HTTPException(status_code=401, detail="a valid API token is required",
                            headers={"WWW-Authenticate": "Bearer"})
    token, user = found
    now = datetime.now(UTC)
    if token_used_stale(token, now=now):
        with write_session(request, session) as writer:
            writer.execute(update(models.ApiToken).where(models.ApiToken.id == token.id).values(last_used_at=now))
            writer.commit()
    return user


def case_out(case: models.Case, *, with_posts: bool = False) -> CaseOut:
    posts = [PostOut(id=p.id, text=p.text, author_handle=p.author_handle, posted_at=p.posted_at,
                     language=p.language) for p in case.posts] if with_posts else []
    return CaseOut(id=case.id, reference=case.reference, status=case.status, category=case.category,
                   confidence=case.confidence, needs_review=case.needs_review,
                   unit=case.unit.slug if case.unit else None, priority=case.priority, language=case.language,
                   sla_due_at=case.sla_due_at, version=case.version, posts=posts)


def conflict(exc: Exception) -> HTTPException:
    return HTTPException(status_code=409, detail=str(exc))


@router.get("/cases", response_model=CasePage)
def list_cases(request: Request, user: models.User = Depends(api_user),
               session: Session = Depends(db_session)) -> CasePage:
    """Cases with the queue page's filters (tag, unit, status, lang, channel, priority, review, assignee, q, sort, after)."""
    if not can(user, VIEW):
        raise HTTPException(status_code=403, detail="not allowed")
    params = {k: v for k, v in request.query_params.items() if k in FILTERS + ("after",) and v}
    rows, cursor = queue_rows(session, user, params, now=datetime.now(UTC))
    return CasePage(cases=[case_out(row.case) for row in rows], next_cursor=cursor)


@router.get("/cases/{case_id}", response_model=CaseOut)
def get_case(case_id: int, user: models.User = Depends(api_user), session: Session = Depends(db_session)) -> CaseOut:
    return case_out(load_case(case_id, session, user, VIEW), with_posts=True)


@router.post("/cases/{case_id}/correct", response_model=CaseOut)
def correct_case(case_id: int, body: Correction, request: Request, user: models.User = Depends(api_user),
                 session: Session = Depends(db_session)) -> CaseOut:
    case = load_case(case_id, session, user, WORK)
    try:
        record_correction(session, case.posts[0], label=body.label, unit=body.unit, user=user, now=datetime.now(UTC),
                          sla_rules=request.app.state.services.sla_rules)
    except CorrectionError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    session.refresh(case)
    return case_out(case)


@router.post("/cases/{case_id}/assign", response_model=CaseOut)
def assign(case_id: int, body: Assignment, user: models.User = Depends(api_user),
           session: Session = Depends(db_session)) -> CaseOut:
    case = load_case(case_id, session, user, WORK)
    target = None
    if body.username:
        target = session.scalar(select(models.User).where(models.User.username == body.username))
        if target is None:
            raise HTTPException(status_code=422, detail=f"no user {body.username!r}")
    try:
        assign_case(session, case, target, by=user, now=datetime.now(UTC), version=body.version)
    except CaseActionError as exc:
        raise conflict(exc) from None
    return case_out(case)


@router.post("/cases/{case_id}/resolve", response_model=CaseOut)
def resolve(case_id: int, version: int | None = None, user: models.User = Depends(api_user),
            session: Session = Depends(db_session)) -> CaseOut:
    case = load_case(case_id, session, user, WORK)
    try:
        move_case(session, case, "resolve", by=user, now=datetime.now(UTC), version=version)
    except CaseActionError as exc:
        raise conflict(exc) from None
    return case_out(case)


@router.post("/cases/{case_id}/replies", response_model=ReplyOut, status_code=201)
def reply(case_id: int, body: ReplyIn, request: Request, user: models.User = Depends(api_user),
          session: Session = Depends(db_session)) -> ReplyOut:
    """A draft reply; sent at once when the case's tag needs no approval, else waits for a supervisor."""
    case = load_case(case_id, session, user, REPLY)
    now = datetime.now(UTC)
    try:
        draft = draft_reply(session, case, body.text, author=user, now=now)
        if not request.app.state.services.settings.needs_approval(case.category):
            approve_reply(session, draft, approver=user, now=now)
    except ReplyError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    session.commit()
    return ReplyOut(id=draft.id, state=draft.state, text=draft.text)


@router.post("/replies/{reply_id}/approve", response_model=ReplyOut)
def approve(reply_id: int, user: models.User = Depends(api_user), session: Session = Depends(db_session)) -> ReplyOut:
    draft = session.get(models.Reply, reply_id)
    if draft is None:
        raise HTTPException(status_code=404, detail="no such reply")
    load_case(draft.case_id, session, user, APPROVE)
    try:
        approve_reply(session, draft, approver=user, now=datetime.now(UTC))
    except ReplyError as exc:
        raise conflict(exc) from None
    session.commit()
    return ReplyOut(id=draft.id, state=draft.state, text=draft.text)


@router.post("/cases/{case_id}/forward", response_model=ForwardOut, status_code=202)
def forward(case_id: int, request: Request, version: int | None = None, user: models.User = Depends(api_user),
            session: Session = Depends(db_session)) -> ForwardOut:
    """Queue the case for the national complaints system; the worker sends it (202: accepted, not yet sent)."""
    case = load_case(case_id, session, user, WORK)
    if not request.app.state.services.settings.complaints_url:
        raise HTTPException(status_code=409, detail="forwarding to the national system is off")
    try:
        row = request_forward(session, case, by=user, now=datetime.now(UTC), version=version)
    except CaseActionError as exc:
        raise conflict(exc) from None
    return ForwardOut(case_id=case.id, state=row.state, tracking_number=row.external_id,
                      external_status=row.external_status)
