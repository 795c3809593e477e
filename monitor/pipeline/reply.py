"""Reply: a human-approved reply goes out through a sink exactly once, and is logged.

A reply is an outbox row first (``draft``), then ``approved`` by a person. The
sender claims it with a conditional update (``approved`` → ``sending``) and
commits before calling the sink, so two senders never both post it. A crash
after the claim leaves it ``sending``: it is never retried blindly; an
operator or the channel's own lookup settles it.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from monitor import models
from monitor.errors import MonitorError
from monitor.sinks import OutboundReply, Sink, SinkError

log = logging.getLogger(__name__)

REPLIED_FROM = ("new", "triaged", "in_progress", "escalated")


class ReplyError(MonitorError):
    """A reply cannot move to the requested state."""


def draft_reply(
    session: Session, case: models.Case, text: str, *, author: models.User | None, now: datetime
) -> models.Reply:
    """Write a draft reply to the case's latest post."""
    text = text.strip()
    if not text:
        raise ReplyError("a reply needs text")
    target = session.scalars(
        select(models.Post).where(models.Post.case_id == case.id).order_by(models.Post.posted_at.desc()).limit(1)
    ).one()
    reply = models.Reply(
        case_id=case.id, in_reply_to_post_id=target.id, text=text, state="draft",
        idempotency_key=uuid.uuid4().hex, author_id=author.id if author else None, created_at=now,
    )
    session.add(reply)
    session.flush()
    _log(session, reply, "reply_drafted", author, now, after={"text": text})
    return reply


def approve_reply(session: Session, reply: models.Reply, *, approver: models.User | None, now: datetime) -> None:
    """Record the human decision that lets the reply go out."""
    if reply.state != "draft":
        raise ReplyError(f"reply {reply.id} is {reply.state}, not a draft")
    reply.state, reply.approved_at = "approved", now
    reply.approved_by_id = approver.id if approver else None
    _log(session, reply, "reply_approved", approver, now, after={"state": "approved"})


def send_replies(session: Session, sink: Sink, *, now: datetime, limit: int = 20) -> bool:
    """Send up to ``limit`` approved replies; return whether more remain."""
    ids = session.scalars(
        select(models.Reply.id).where(models.Reply.state == "approved").order_by(models.Reply.id).limit(limit + 1)
    ).all()
    session.commit()
    for reply_id in ids[:limit]:
        if _claim(session, reply_id):
            _send(session, session.get_one(models.Reply, reply_id), sink, now)
    return len(ids) > limit


def _claim(session: Session, reply_id: int) -> bool:
    claimed = session.execute(
        update(models.Reply).where(models.Reply.id == reply_id, models.Reply.state == "approved")
        .values(state="sending", attempts=models.Reply.attempts + 1)
    ).rowcount
    session.commit()
    return claimed == 1


def _send(session: Session, reply: models.Reply, sink: Sink, now: datetime) -> None:
    post = session.get_one(models.Post, reply.in_reply_to_post_id)
    case = session.get_one(models.Case, reply.case_id)
    outbound = OutboundReply(reply.idempotency_key, reply.text, post.external_id, case.channel.kind)
    try:
        receipt = sink.send(outbound)
    except SinkError as exc:
        reply.state, reply.error = ("failed" if exc.permanent else "approved"), str(exc)
        _log(session, reply, "reply_failed", None, now, after={"error": str(exc), "permanent": exc.permanent})
        session.commit()
        log.warning("reply %d not sent: %s", reply.id, exc)
        return
    reply.state, reply.platform_id, reply.sent_at, reply.sink = "sent", receipt.platform_id, now, sink.kind
    before = case.status
    if case.status in REPLIED_FROM:
        case.status = "replied"
    _log(session, reply, "reply_sent", None, now, after={"platform_id": receipt.platform_id},
         before={"status": before})
    session.commit()


def _log(
    session: Session, reply: models.Reply, action: str, actor: models.User | None, now: datetime,
    *, after: dict, before: dict | None = None,
) -> None:
    session.add(models.Event(
        case_id=reply.case_id, reply_id=reply.id, actor_id=actor.id if actor else None,
        action=action, before=before, after=after, created_at=now,
    ))
