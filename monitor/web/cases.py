"""The case page and the actions on it. Views check permissions, then call one domain function."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from monitor import models
from monitor.case_actions import TRANSITIONS, CaseActionError, assign_case, check_version, claim_case, move_case
from monitor.learning import CorrectionError, record_correction
from monitor.permissions import APPROVE, REPLY, VIEW, WORK, can
from monitor.pipeline.forward import FORWARDABLE, IN_FLIGHT, ForwardError, latest_forward, request_forward
from monitor.pipeline.reply import ReplyError, approve_reply, draft_reply, record_posted_by_hand, reject_reply
from monitor.reply_templates import suggest
from monitor.sla import set_waiting
from monitor.web.auth import current_user, db_session, require_csrf, write_session
from monitor.web.pages import render

router = APIRouter(prefix="/cases")


def load_case(case_id: int, session: Session, user: models.User, permission: str = VIEW) -> models.Case:
    case = session.get(models.Case, case_id)
    if case is None:
        raise HTTPException(status_code=404, detail="no such case")
    if not can(user, permission, case):
        raise HTTPException(status_code=403, detail="not allowed")
    return case


@router.get("/{case_id}", response_class=HTMLResponse)
def case_page(
    case_id: int, request: Request, user: models.User = Depends(current_user), session: Session = Depends(db_session),
) -> HTMLResponse:
    case = load_case(case_id, session, user)
    mark_viewing(request, session, case, user, now=datetime.now(UTC))
    return render(request, "case.html", case_context(request, session, case, user))


PRESENCE_WINDOW = timedelta(minutes=2)


def mark_viewing(request: Request, session: Session, case: models.Case, user: models.User, *,
                 now: datetime) -> None:
    """Record that `user` has the case open (see `write_session` for where the write goes)."""
    with write_session(request, session) as writer:
        view = writer.get(models.CaseView, (case.id, user.id))
        if view is None:
            writer.add(models.CaseView(case_id=case.id, user_id=user.id, seen_at=now))
        else:
            view.seen_at = now
        try:
            writer.commit()
        except IntegrityError:  # the same user in two tabs at once: either write will do
            writer.rollback()


def others_viewing(session: Session, case: models.Case, user: models.User, *, now: datetime) -> list[str]:
    return list(session.scalars(
        select(models.User.username).join(models.CaseView, models.CaseView.user_id == models.User.id)
        .where(models.CaseView.case_id == case.id, models.CaseView.user_id != user.id,
               models.CaseView.seen_at > now - PRESENCE_WINDOW).order_by(models.User.username)
    ))


@router.get("/{case_id}/presence")
def presence(case_id: int, request: Request, user: models.User = Depends(current_user),
             session: Session = Depends(db_session)) -> dict:
    """Polled by the open case page: who else is here, who holds it, and its version."""
    case = load_case(case_id, session, user)
    now = datetime.now(UTC)
    mark_viewing(request, session, case, user, now=now)
    holder = session.get(models.User, case.assignee_id) if case.assignee_id else None
    return {"viewers": others_viewing(session, case, user, now=now), "version": case.version,
            "assignee": holder.username if holder else None}


def case_context(request: Request, session: Session, case: models.Case, user: models.User, **extra: object) -> dict:
    services = request.app.state.services
    events = session.scalars(select(models.Event).where(models.Event.case_id == case.id)
                             .order_by(models.Event.created_at, models.Event.id)).all()
    replies = session.scalars(select(models.Reply).where(models.Reply.case_id == case.id)
                              .order_by(models.Reply.id)).all()
    people = {u.id: u for u in session.scalars(select(models.User))}
    first = case.posts[0]
    lang = first.language or "ar"
    unit_name = (case.unit.name_en if lang == "en" else case.unit.name_ar) if case.unit else ""
    suggestions = [
        (template, template.fill(case_ref=case.reference, unit_name=unit_name, handle=f"@{first.author_handle or ''}"))
        for template in suggest(services.reply_templates, tag=case.category,
                                unit=case.unit.slug if case.unit else None, lang=lang)
    ]
    return {
        "case": case, "events": events, "replies": replies, "people": people, "suggestions": suggestions,
        "units": session.scalars(select(models.Unit).where(models.Unit.active).order_by(models.Unit.id)).all(),
        "tags": ("complaint", "praise", "inquiry", "other"), "tz": services.settings.tz,
        "now": datetime.now(UTC), "can_work": can(user, WORK, case), "can_reply": can(user, REPLY, case),
        "can_approve": can(user, APPROVE, case), "transitions": TRANSITIONS,
        "needs_approval": services.settings.needs_approval(case.category),
        "last_reply_id": replies[-1].id if replies else 0, "message": None,
        "viewers": others_viewing(session, case, user, now=datetime.now(UTC)),
        **forward_context(session, case, user, forwarding_on=bool(services.settings.complaints_url)), **extra,
    }


def forward_context(session: Session, case: models.Case, user: models.User, *, forwarding_on: bool) -> dict:
    """The case's latest forward to the national system, and whether this user may forward it now."""
    forward = latest_forward(session, case)
    in_flight = forward is not None and forward.state in IN_FLIGHT
    return {"forward": forward, "can_forward": forwarding_on and can(user, WORK, case)
            and case.status in FORWARDABLE and not in_flight}


def back(case: models.Case) -> RedirectResponse:
    return RedirectResponse(f"/cases/{case.id}", status_code=303)


def refuse(request: Request, session: Session, case: models.Case, user: models.User, error: Exception) -> HTMLResponse:
    session.rollback()
    session.refresh(case)
    return render(request, "case.html", case_context(request, session, case, user, message=str(error)),
                  status_code=409)


@router.post("/{case_id}/claim", dependencies=[Depends(require_csrf)])
def claim(case_id: int, request: Request, user: models.User = Depends(current_user),
          session: Session = Depends(db_session)):  # type: ignore[no-untyped-def]
    case = load_case(case_id, session, user, WORK)
    try:
        claim_case(session, case, user, now=datetime.now(UTC))
    except CaseActionError as exc:
        return refuse(request, session, case, user, exc)
    return back(case)


@router.post("/{case_id}/assign", dependencies=[Depends(require_csrf)])
def assign(case_id: int, request: Request, assignee: str = Form(""), version: int = Form(...),
           user: models.User = Depends(current_user), session: Session = Depends(db_session)):  # type: ignore[no-untyped-def]
    case = load_case(case_id, session, user, WORK)
    target = session.get(models.User, int(assignee)) if assignee.isdigit() else None
    try:
        assign_case(session, case, target, by=user, now=datetime.now(UTC), version=version)
    except CaseActionError as exc:
        return refuse(request, session, case, user, exc)
    return back(case)


@router.post("/{case_id}/move/{action}", dependencies=[Depends(require_csrf)])
def move(case_id: int, action: str, request: Request, version: int = Form(...),
         user: models.User = Depends(current_user), session: Session = Depends(db_session)):  # type: ignore[no-untyped-def]
    if action not in TRANSITIONS:
        raise HTTPException(status_code=404, detail="no such action")
    case = load_case(case_id, session, user, WORK)
    try:
        move_case(session, case, action, by=user, now=datetime.now(UTC), version=version)
    except CaseActionError as exc:
        return refuse(request, session, case, user, exc)
    return back(case)


@router.post("/{case_id}/forward", dependencies=[Depends(require_csrf)])
def forward(case_id: int, request: Request, version: int = Form(...), user: models.User = Depends(current_user),
            session: Session = Depends(db_session)):  # type: ignore[no-untyped-def]
    """Queue the case for the national complaints system; the worker sends it."""
    case = load_case(case_id, session, user, WORK)
    try:
        if not request.app.state.services.settings.complaints_url:
            raise ForwardError("forwarding to the national system is off (MONITOR_COMPLAINTS_URL is not set)")
        request_forward(session, case, by=user, now=datetime.now(UTC), version=version)
    except CaseActionError as exc:
        return refuse(request, session, case, user, exc)
    return back(case)


@router.post("/{case_id}/reply", dependencies=[Depends(require_csrf)])
def reply(case_id: int, request: Request, text: str = Form(""), seen_reply: int = Form(0),
          confirm: str = Form(""), user: models.User = Depends(current_user),
          session: Session = Depends(db_session)):  # type: ignore[no-untyped-def]
    case = load_case(case_id, session, user, REPLY)
    newer = session.scalars(select(models.Reply).where(models.Reply.case_id == case.id,
                                                       models.Reply.id > seen_reply,
                                                       models.Reply.author_id != user.id)).first()
    if newer is not None and not confirm:
        context = case_context(request, session, case, user, draft_text=text, confirm_needed=True,
                               message="someone else replied to this case since you opened it")
        return render(request, "case.html", context, status_code=409)
    now = datetime.now(UTC)
    try:
        draft = draft_reply(session, case, text, author=user, now=now)
        if not request.app.state.services.settings.needs_approval(case.category):
            approve_reply(session, draft, approver=user, now=now)
    except ReplyError as exc:
        return refuse(request, session, case, user, exc)
    session.commit()
    return back(case)


@router.post("/{case_id}/by-hand/{reply_id}", dependencies=[Depends(require_csrf)])
def posted_by_hand(case_id: int, reply_id: int, request: Request, link: str = Form(""),
                   user: models.User = Depends(current_user), session: Session = Depends(db_session)):  # type: ignore[no-untyped-def]
    """X would not take a reply from us, so someone posted it by hand: record it, with its link."""
    case = load_case(case_id, session, user, REPLY)
    reply = session.get(models.Reply, reply_id)
    if reply is None or reply.case_id != case.id:
        raise HTTPException(status_code=404, detail="no such reply")
    try:
        record_posted_by_hand(session, reply, actor=user, link=link, now=datetime.now(UTC))
    except ReplyError as exc:
        return refuse(request, session, case, user, exc)
    return back(case)


@router.post("/{case_id}/replies/{reply_id}/{decision}", dependencies=[Depends(require_csrf)])
def decide(case_id: int, reply_id: int, decision: str, request: Request, reason: str = Form(""),
           text: str = Form(""),
           user: models.User = Depends(current_user), session: Session = Depends(db_session)):  # type: ignore[no-untyped-def]
    case = load_case(case_id, session, user, APPROVE)
    draft = session.get(models.Reply, reply_id)
    if draft is None or draft.case_id != case.id or decision not in ("approve", "reject"):
        raise HTTPException(status_code=404, detail="no such reply")
    try:
        if decision == "approve":
            approve_reply(session, draft, approver=user, now=datetime.now(UTC), text=text or None)
        else:
            reject_reply(session, draft, approver=user, reason=reason, now=datetime.now(UTC))
    except ReplyError as exc:
        return refuse(request, session, case, user, exc)
    session.commit()
    return back(case)


@router.post("/{case_id}/correct", dependencies=[Depends(require_csrf)])
def correct(case_id: int, request: Request, label: str = Form(""), unit: str = Form(""), version: int = Form(...),
            user: models.User = Depends(current_user), session: Session = Depends(db_session)):  # type: ignore[no-untyped-def]
    """A reviewer's tag or unit for the case's first post: applied, logged, and kept as training data."""
    case = load_case(case_id, session, user, WORK)
    try:
        check_version(case, version)
        record_correction(session, case.posts[0], label=label or None, unit=unit or None, user=user,
                          now=datetime.now(UTC), sla_rules=request.app.state.services.sla_rules)
    except (CaseActionError, CorrectionError) as exc:
        return refuse(request, session, case, user, exc)
    return back(case)


@router.post("/{case_id}/wait", dependencies=[Depends(require_csrf)])
def wait(case_id: int, request: Request, waiting: str = Form(""), version: int = Form(...),
         user: models.User = Depends(current_user), session: Session = Depends(db_session)):  # type: ignore[no-untyped-def]
    """Mark the case as waiting on the citizen (its SLA clocks pause until they write again), or not."""
    case = load_case(case_id, session, user, WORK)
    if waiting not in ("", "citizen"):
        raise HTTPException(status_code=422, detail="waiting must be 'citizen' or empty")
    try:
        check_version(case, version)
    except CaseActionError as exc:
        return refuse(request, session, case, user, exc)
    set_waiting(session, case, waiting or None, by=user, now=datetime.now(UTC))
    return back(case)
