"""Forward sync: the national system's status changes come back to our cases.

``sync_forwarded`` polls ``GET requests.json?service_request_id=a,b,c`` for the
cases the system still holds (and those it closed in the last ``RECENT`` days, so a
reopen is seen), passing ``updated_after`` (servers that do not know it ignore
it). ``reconcile_forwarded`` (nightly) asks about every forward sent in the last
``RECONCILE`` days without ``updated_after``, repairing any update the polls missed.

One table, ``STATUS_EFFECTS``, says what each external status does to the case —
"closed" is not "fixed":

========================================  ======  =========================================
external status                            effect  our case
========================================  ======  =========================================
open, acknowledged, in_progress            hold    stays ``forwarded``; the notes are shown
closed_fixed, fixed                        resolve ``resolved``
closed, closed_not_responsible,            return  back to ``in_progress`` for the team,
closed_duplicate, closed_wont_fix                  with the system's notes
reopened                                   reopen  ``forwarded`` again (the system holds it)
anything else                              hold    notes only
========================================  ======  =========================================

Every change writes an event. A status with a reply template (tag
``forwarded_<status>``) drafts a reply with the tracking number, for approval.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from monitor import models
from monitor.case_actions import record
from monitor.pipeline.reply import draft_reply
from monitor.reply_templates import ReplyTemplate, suggest
from monitor.sinks.base import SinkError
from monitor.sinks.complaints import ComplaintsSink, RequestStatus

log = logging.getLogger(__name__)

HOLD, RESOLVE, RETURN, REOPEN = "hold", "resolve", "return", "reopen"
STATUS_EFFECTS = {
    "open": HOLD, "acknowledged": HOLD, "in_progress": HOLD,
    "closed_fixed": RESOLVE, "fixed": RESOLVE,
    "closed": RETURN, "closed_not_responsible": RETURN, "closed_duplicate": RETURN, "closed_wont_fix": RETURN,
    "reopened": REOPEN,
}
BATCH = 50
RECENT = timedelta(days=30)
RECONCILE = timedelta(days=365)
MARGIN = timedelta(minutes=5)  # for clocks that differ a little


def effect_of(status: str) -> str:
    return STATUS_EFFECTS.get(status, HOLD)


def sync_forwarded(session: Session, sink: ComplaintsSink, *, now: datetime,
                   templates: tuple[ReplyTemplate, ...] = (), full: bool = False) -> int:
    """Poll the system for the forwarded cases; apply each change; return how many changed."""
    forwards = session.scalars(_tracked(now, full)).all()
    changed = 0
    for start in range(0, len(forwards), BATCH):
        batch = forwards[start:start + BATCH]
        since = None if full else min(f.synced_at or f.sent_at or now for f in batch) - MARGIN
        try:
            statuses = sink.statuses([f.external_id or "" for f in batch], updated_after=since)
        except SinkError as exc:
            log.warning("forward sync: %s", exc)
            session.rollback()
            return changed
        by_id = {f.external_id: f for f in batch}
        for status in statuses:
            if status.external_id in by_id:
                changed += apply_status(session, by_id[status.external_id], status, now=now, templates=templates)
        for forward in batch:
            forward.synced_at = now
        session.commit()
    return changed


def reconcile_forwarded(session: Session, sink: ComplaintsSink, *, now: datetime,
                        templates: tuple[ReplyTemplate, ...] = ()) -> int:
    """The nightly full pass: every recent forward, whatever the polls saw."""
    return sync_forwarded(session, sink, now=now, templates=templates, full=True)


def _tracked(now: datetime, full: bool):  # type: ignore[no-untyped-def]
    forward = models.Forward
    query = select(forward).where(forward.state == "sent", forward.external_id.is_not(None))
    if full:
        return query.where(forward.sent_at >= now - RECONCILE).order_by(forward.id)
    closed = [status for status, effect in STATUS_EFFECTS.items() if effect in (RESOLVE, RETURN)]
    return query.where(or_(forward.external_status.is_(None), forward.external_status.not_in(closed),
                           forward.updated_at >= now - RECENT)).order_by(forward.id)


def apply_status(session: Session, forward: models.Forward, status: RequestStatus, *, now: datetime,
                 templates: tuple[ReplyTemplate, ...] = ()) -> int:
    """Record one external status on the forward and its case; 1 if anything changed, else 0."""
    seen = (forward.external_status, forward.status_notes, forward.agency_responsible)
    if seen == (status.status, status.status_notes, status.agency_responsible):
        return 0
    previous = forward.external_status
    forward.external_status, forward.status_notes = status.status, status.status_notes
    forward.agency_responsible, forward.updated_at = status.agency_responsible, now
    case = session.get_one(models.Case, forward.case_id)
    before = case.status
    effect = effect_of(status.status)
    _affect(case, effect, now)
    record(session, case, "external_status", None, now,
           before={"external_status": previous, "status": before},
           after={"external_status": status.status, "status_notes": status.status_notes,
                  "agency_responsible": status.agency_responsible, "effect": effect, "status": case.status})
    if status.status != previous:
        draft_citizen_reply(session, case, forward, templates, now=now)
    return 1


def _affect(case: models.Case, effect: str, now: datetime) -> None:
    if effect == RESOLVE and case.status not in ("resolved", "dismissed"):
        case.status, case.resolved_at = "resolved", now
    elif effect == RETURN and case.status == "forwarded":
        case.status = "in_progress"
    elif effect == REOPEN and case.status in ("resolved", "dismissed", "in_progress"):
        case.status, case.resolved_at = "forwarded", None


def draft_citizen_reply(session: Session, case: models.Case, forward: models.Forward,
                        templates: tuple[ReplyTemplate, ...], *, now: datetime) -> models.Reply | None:
    """A draft with the tracking number, when the status has a template; a person approves it."""
    first = case.posts[0]
    lang = first.language or case.language or "ar"
    found = suggest(templates, tag=f"forwarded_{forward.external_status}",
                    unit=case.unit.slug if case.unit else None, lang=lang)
    if not found:
        return None
    unit_name = (case.unit.name_en if lang == "en" else case.unit.name_ar) if case.unit else ""
    text = found[0].fill(case_ref=case.reference, unit_name=unit_name, handle=f"@{first.author_handle or ''}",
                         tracking_number=forward.external_id or "")
    return draft_reply(session, case, text, author=None, now=now)
