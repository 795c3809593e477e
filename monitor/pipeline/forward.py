"""Forward: a case goes to the national complaints system exactly once.

A person asks for it (``request_forward``): a ``forwards`` outbox row, ``pending``,
with an idempotency key, committed before anything is sent. The worker
(``forward_complaints``) claims it with a conditional update (``pending`` →
``sending``), commits, and only then calls the sink:

- accepted → ``sent`` with the service_request_id (or a token, resolved to an id
  by a later run); the case becomes ``forwarded``;
- refused for good (4xx, no service code) → ``failed`` with a reason an agent can
  read on the case; never retried;
- anything else (timeout, 5xx, garbled answer) may hide a request the system
  took → ``unknown``, with capped exponential backoff. Before any retry the
  next run looks for the request (its description carries the key): found →
  ``sent``, not found → ``pending`` and sent again.

A crash between claim and outcome leaves ``sending`` (or ``checking``); after
``STALE_SENDING`` it is treated as ``unknown`` and looked up, never resent blindly.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from monitor import models
from monitor.case_actions import CaseActionError, check_version, record
from monitor.sinks.base import SinkError
from monitor.sinks.complaints import Complaint, ComplaintReceipt, ComplaintsSink, marker

log = logging.getLogger(__name__)

FORWARDABLE = ("new", "triaged", "in_progress", "replied", "escalated")
IN_FLIGHT = ("pending", "sending", "checking", "unknown")
BACKOFF_FIRST, BACKOFF_CAP = timedelta(seconds=30), timedelta(hours=1)
STALE_SENDING = timedelta(minutes=10)
POST_LINK = "https://x.com/i/web/status/{}"


class ForwardError(CaseActionError):
    """The case cannot be forwarded as it is now."""


def latest_forward(session: Session, case: models.Case) -> models.Forward | None:
    return session.scalars(select(models.Forward).where(models.Forward.case_id == case.id)
                           .order_by(models.Forward.id.desc()).limit(1)).first()


def request_forward(
    session: Session, case: models.Case, *, by: models.User | None, now: datetime, version: int | None = None
) -> models.Forward:
    """Queue the case for the national system; the worker sends it after this commits."""
    check_version(case, version)
    if case.status not in FORWARDABLE:
        raise ForwardError(f"a {case.status} case cannot be forwarded")
    previous = latest_forward(session, case)
    if previous is not None and previous.state in IN_FLIGHT:
        raise ForwardError(f"case {case.reference} is already being forwarded")
    forward = models.Forward(case_id=case.id, idempotency_key=uuid.uuid4().hex, state="pending",
                             requested_by_id=by.id if by else None, created_at=now, updated_at=now)
    session.add(forward)
    record(session, case, "forward_requested", by, now, before=None, after={"key": forward.idempotency_key})
    session.commit()
    return forward


def forward_complaints(session: Session, sink: ComplaintsSink, *, now: datetime, limit: int = 20) -> bool:
    """Settle forwards in doubt, then send up to ``limit`` pending ones; return whether more remain."""
    settle_forwards(session, sink, now=now)
    ids = session.scalars(
        select(models.Forward.id).where(models.Forward.state == "pending", _due(now))
        .order_by(models.Forward.id).limit(limit + 1)
    ).all()
    session.commit()
    for forward_id in ids[:limit]:
        if _claim(session, forward_id, "pending", "sending", now, attempt=True):
            _send(session, session.get_one(models.Forward, forward_id), sink, now)
    return len(ids) > limit


def settle_forwards(session: Session, sink: ComplaintsSink, *, now: datetime) -> None:
    """Stale claims become unknown; unknown ones are looked up; tokens are resolved to ids."""
    session.execute(update(models.Forward).where(models.Forward.state.in_(("sending", "checking")),
                                                 models.Forward.updated_at < now - STALE_SENDING)
                    .values(state="unknown", updated_at=now))
    session.commit()
    ids = session.scalars(select(models.Forward.id).where(models.Forward.state == "unknown", _due(now))
                          .order_by(models.Forward.id)).all()
    for forward_id in ids:
        if _claim(session, forward_id, "unknown", "checking", now):
            _settle(session, session.get_one(models.Forward, forward_id), sink, now)
    resolve_tokens(session, sink, now=now)


def resolve_tokens(session: Session, sink: ComplaintsSink, *, now: datetime) -> None:
    waiting = session.scalars(select(models.Forward).where(
        models.Forward.state == "sent", models.Forward.external_id.is_(None), models.Forward.token.is_not(None))).all()
    for forward in waiting:
        try:
            external_id = sink.resolve_token(forward.token or "")
        except SinkError as exc:
            log.warning("forward %d: token %s not resolved: %s", forward.id, forward.token, exc)
            continue
        if external_id:
            forward.external_id, forward.updated_at = external_id, now
            record(session, _case(session, forward), "forward_tracking_number", None, now,
                   before={"token": forward.token}, after={"tracking_number": external_id})
            session.commit()


def _due(now: datetime):  # type: ignore[no-untyped-def]
    return or_(models.Forward.next_attempt_at.is_(None), models.Forward.next_attempt_at <= now)


def _claim(session: Session, forward_id: int, current: str, claimed: str, now: datetime, *,
           attempt: bool = False) -> bool:
    values: dict = {"state": claimed, "updated_at": now}
    if attempt:
        values["attempts"] = models.Forward.attempts + 1
    done = session.execute(update(models.Forward).where(models.Forward.id == forward_id,
                                                        models.Forward.state == current).values(**values)).rowcount
    session.commit()
    return done == 1


def _send(session: Session, forward: models.Forward, sink: ComplaintsSink, now: datetime) -> None:
    case = _case(session, forward)
    try:
        forward.service_code = sink.service_code(case.unit.slug if case.unit else None, case.category)
        session.commit()
        receipt = sink.send(build_complaint(session, forward, case))
    except SinkError as exc:
        _fail(session, forward, case, exc, now)
        return
    _mark_sent(session, forward, case, receipt, now)


def _settle(session: Session, forward: models.Forward, sink: ComplaintsSink, now: datetime) -> None:
    case = _case(session, forward)
    try:
        receipt = sink.find(build_complaint(session, forward, case)) if forward.service_code else None
    except SinkError as exc:
        forward.state, forward.updated_at = "unknown", now
        forward.error = f"still unknown whether the complaints system received it: {exc}"
        forward.next_attempt_at = now + backoff(forward.attempts)
        session.commit()
        return
    if receipt is not None:
        _mark_sent(session, forward, case, receipt, now)
        return
    forward.state, forward.next_attempt_at, forward.updated_at = "pending", now, now
    record(session, case, "forward_not_received", None, now, before=None, after={"state": "pending"})
    session.commit()


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min ... capped at one hour."""
    return min(BACKOFF_FIRST * 2 ** max(attempts - 1, 0), BACKOFF_CAP)


def _fail(session: Session, forward: models.Forward, case: models.Case, exc: SinkError, now: datetime) -> None:
    forward.error, forward.updated_at = str(exc), now
    if exc.permanent:
        forward.state, forward.next_attempt_at = "failed", None
    else:
        forward.state, forward.next_attempt_at = "unknown", now + backoff(forward.attempts)
    record(session, case, "forward_failed", None, now, before=None,
           after={"error": str(exc), "permanent": exc.permanent, "state": forward.state})
    session.commit()
    log.warning("forward %d of case %s: %s (%s)", forward.id, case.reference, exc, forward.state)


def _mark_sent(session: Session, forward: models.Forward, case: models.Case, receipt: ComplaintReceipt,
               now: datetime) -> None:
    forward.state, forward.external_id, forward.token = "sent", receipt.external_id, receipt.token
    forward.sent_at, forward.updated_at, forward.error, forward.next_attempt_at = now, now, None, None
    before = case.status
    if case.status in FORWARDABLE:
        case.status = "forwarded"
    record(session, case, "forwarded", None, now, before={"status": before},
           after={"status": case.status, "tracking_number": receipt.external_id, "token": receipt.token})
    session.commit()


def _case(session: Session, forward: models.Forward) -> models.Case:
    return session.get_one(models.Case, forward.case_id)


def build_complaint(session: Session, forward: models.Forward, case: models.Case) -> Complaint:
    post = case.posts[0]
    description = (f"{post.text}\n\n{case.reference} · {POST_LINK.format(post.external_id)}\n"
                   f"{marker(forward.idempotency_key)}")
    location = post_location(session, post)
    return Complaint(forward.idempotency_key, forward.service_code or "", description,
                     lat=location[0] if location else None, long=location[1] if location else None,
                     since=forward.created_at - timedelta(minutes=5))


def post_location(session: Session, post: models.Post) -> tuple[float, float] | None:
    """(lat, long) from the stored raw page, when the post carries exact coordinates (X ``geo``)."""
    page = session.get(models.RawPage, post.raw_page_id) if post.raw_page_id else None
    if page is None:
        return None
    try:
        data = json.loads(page.payload).get("data")
    except (ValueError, AttributeError):
        return None
    for item in data if isinstance(data, list) else [data]:
        if isinstance(item, dict) and str(item.get("id")) == post.external_id:
            point = ((item.get("geo") or {}).get("coordinates") or {}).get("coordinates")
            if isinstance(point, list) and len(point) == 2:
                return float(point[1]), float(point[0])  # GeoJSON order is [long, lat]
    return None
