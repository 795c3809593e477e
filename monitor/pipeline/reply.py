"""Reply: a human-approved reply goes out through a sink exactly once, and is logged.

A reply is an outbox row first (``draft``), then ``approved`` by a person. The
sender claims it with a conditional update (``approved`` → ``sending``) and
commits before calling the sink, so two senders never both post it. A crash
after the claim leaves it ``sending``: it is never retried blindly; an
operator or the channel's own lookup settles it.

A transient failure (timeout, 5xx) may hide a post that went out: with a sink
that can look (``find_sent``) the reply goes ``unknown``, and the next run
looks among the account's posts before anything is retried (found → ``sent``,
not found → ``approved``). A reply the platform will not take from us (X
self-serve: the post did not mention or quote the account) goes ``manual``:
"reply on the platform by hand", never retried.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from monitor import models
from monitor.errors import MonitorError
from monitor.sinks import ManualReplyRequired, OutboundReply, Receipt, Sink, SinkError

log = logging.getLogger(__name__)

REPLIED_FROM = ("new", "triaged", "in_progress", "escalated")
SinkFor = Callable[[str], Sink]


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


def approve_reply(
    session: Session, reply: models.Reply, *, approver: models.User | None, now: datetime, text: str | None = None
) -> None:
    """Record the human decision that lets the reply go out; the approver may edit the text first."""
    if reply.state != "draft":
        raise ReplyError(f"reply {reply.id} is {reply.state}, not a draft")
    after: dict = {"state": "approved"}
    before = None
    if text is not None and text.strip() and text.strip() != reply.text:
        before = {"text": reply.text}
        reply.text = after["text"] = text.strip()
    reply.state, reply.approved_at = "approved", now
    reply.approved_by_id = approver.id if approver else None
    _log(session, reply, "reply_approved", approver, now, after=after, before=before)


def reject_reply(
    session: Session, reply: models.Reply, *, approver: models.User | None, reason: str, now: datetime
) -> None:
    """A supervisor turns a draft down, with a reason the author can read."""
    if reply.state != "draft":
        raise ReplyError(f"reply {reply.id} is {reply.state}, not a draft")
    if not reason.strip():
        raise ReplyError("a rejection needs a reason")
    reply.state, reply.error = "rejected", reason.strip()
    reply.approved_by_id = approver.id if approver else None
    _log(session, reply, "reply_rejected", approver, now, after={"state": "rejected", "reason": reason.strip()})


POSTED_ID = re.compile(r"^(?:https?://(?:www\.|mobile\.)?(?:x|twitter)\.com/[^/\s]+/status(?:es)?/)?(\d{1,25})(?:[/?#]\S*)?$")


def record_posted_by_hand(
    session: Session, reply: models.Reply, *, actor: models.User, link: str, now: datetime
) -> None:
    """The team posted a ``manual`` reply on the platform themselves: it counts as sent from now.

    ``link`` is the post's address or id (``https://x.com/<account>/status/<id>``, or just the
    id), or empty when nobody has it; anything else is refused rather than stored.
    """
    if reply.state != "manual":
        raise ReplyError(f"reply {reply.id} is {reply.state}; only a reply to post by hand can be marked posted")
    link = link.strip()
    match = POSTED_ID.match(link) if link else None
    if link and match is None:
        raise ReplyError("give the link to the post on X (…/status/<number>) or its number, or leave it empty")
    case = session.get_one(models.Case, reply.case_id)
    reply.error = None
    _mark_sent(session, reply, case, Receipt(platform_id=match.group(1) if match else ""), "by_hand", now,
               actor=actor)


STALLED_AFTER = timedelta(minutes=2)


def send_replies(
    session: Session, sinks: Sink | SinkFor, *, now: datetime, limit: int = 20, stalled_after: timedelta = STALLED_AFTER
) -> bool:
    """Settle replies in doubt, then send up to ``limit`` approved ones; return whether more remain.

    ``sinks`` is one sink, or a function from channel kind to the sink that posts there.
    """
    sink_for: SinkFor = (lambda _kind: sinks) if hasattr(sinks, "send") else sinks  # type: ignore[assignment,return-value]
    recover_stalled(session, now=now, stalled_after=stalled_after)
    settle_unknown(session, sink_for, now=now)
    ids = session.scalars(
        select(models.Reply.id).where(models.Reply.state == "approved").order_by(models.Reply.id).limit(limit + 1)
    ).all()
    session.commit()
    for reply_id in ids[:limit]:
        if _claim(session, reply_id, "approved", "sending", now=now):
            _send(session, session.get_one(models.Reply, reply_id), sink_for, now)
    return len(ids) > limit


def recover_stalled(session: Session, *, now: datetime, stalled_after: timedelta = STALLED_AFTER) -> int:
    """A claim older than ``stalled_after`` was left by a sender that died mid-send: the reply may or
    may not be on the platform, so it becomes ``unknown`` and is looked up before any retry."""
    stalled = session.execute(
        update(models.Reply)
        .where(models.Reply.state.in_(("sending", "checking")),
               or_(models.Reply.claimed_at.is_(None), models.Reply.claimed_at < now - stalled_after))
        .values(state="unknown", error="the sender stopped while posting; looking it up before any retry")
    ).rowcount
    session.commit()
    if stalled:
        log.warning("%d reply claim(s) left by a stopped sender are looked up again", stalled)
    return stalled or 0


def settle_unknown(session: Session, sink_for: SinkFor, *, now: datetime) -> None:
    """A reply whose send timed out may be posted: look for it on the platform before any retry."""
    ids = session.scalars(select(models.Reply.id).where(models.Reply.state == "unknown").order_by(models.Reply.id))
    for reply_id in ids.all():
        if _claim(session, reply_id, "unknown", "checking", now=now, attempt=False):
            _settle(session, session.get_one(models.Reply, reply_id), sink_for, now)


def _settle(session: Session, reply: models.Reply, sink_for: SinkFor, now: datetime) -> None:
    outbound, case = _outbound(session, reply)
    sink = sink_for(case.channel.kind)
    try:
        receipt = sink.find_sent(outbound)  # type: ignore[attr-defined]
    except SinkError as exc:
        reply.state, reply.error = "unknown", f"still unknown whether it was posted: {exc}"
        session.commit()
        return
    if receipt is not None:
        _mark_sent(session, reply, case, receipt, sink.kind, now)
        return
    reply.state = "approved"
    _log(session, reply, "reply_not_posted", None, now, after={"state": "approved"})
    session.commit()


def _claim(
    session: Session, reply_id: int, current: str, claimed_state: str, *, now: datetime, attempt: bool = True
) -> bool:
    values: dict = {"state": claimed_state, "claimed_at": now}
    if attempt:
        values["attempts"] = models.Reply.attempts + 1
    claimed = session.execute(
        update(models.Reply).where(models.Reply.id == reply_id, models.Reply.state == current).values(**values)
    ).rowcount
    session.commit()
    return claimed == 1


def _outbound(session: Session, reply: models.Reply) -> tuple[OutboundReply, models.Case]:
    post = session.get_one(models.Post, reply.in_reply_to_post_id)
    case = session.get_one(models.Case, reply.case_id)
    outbound = OutboundReply(reply.idempotency_key, reply.text, post.external_id, case.channel.kind,
                             summoned=post.mentions_account)
    return outbound, case


def _send(session: Session, reply: models.Reply, sink_for: SinkFor, now: datetime) -> None:
    outbound, case = _outbound(session, reply)
    sink = sink_for(case.channel.kind)
    try:
        receipt = sink.send(outbound)
    except SinkError as exc:
        reply.state, reply.error = _failed_state(exc, sink), str(exc)
        _log(session, reply, "reply_failed", None, now,
             after={"error": str(exc), "permanent": exc.permanent, "state": reply.state})
        session.commit()
        log.warning("reply %d not sent (%s): %s", reply.id, reply.state, exc)
        return
    _mark_sent(session, reply, case, receipt, sink.kind, now)


def _failed_state(exc: SinkError, sink: Sink) -> str:
    """manual: reply on the platform by hand; unknown: may have been posted, look before retrying."""
    if isinstance(exc, ManualReplyRequired):
        return "manual"
    if exc.permanent:
        return "failed"
    return "unknown" if hasattr(sink, "find_sent") else "approved"


def _mark_sent(
    session: Session, reply: models.Reply, case: models.Case, receipt: Receipt, sink_kind: str, now: datetime,
    *, actor: models.User | None = None,
) -> None:
    reply.state, reply.platform_id, reply.sent_at, reply.sink = "sent", receipt.platform_id or None, now, sink_kind
    before = case.status
    if case.status in REPLIED_FROM:
        case.status = "replied"
    _log(session, reply, "reply_sent", actor, now, after={"platform_id": receipt.platform_id, "sink": sink_kind},
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
