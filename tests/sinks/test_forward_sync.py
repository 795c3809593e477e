"""External status changes come back to the case: mapped in one table, logged, and drafted replies."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from monitor import models
from monitor.pipeline.forward import forward_complaints, request_forward
from monitor.pipeline.forward_sync import reconcile_forwarded, sync_forwarded


@pytest.fixture
def forwarded(session, case, sink, open311, now):
    forward = request_forward(session, case, by=None, now=now)
    forward_complaints(session, sink, now=now)
    assert forward.state == "sent"
    return forward


def replies(session, case):
    return session.scalars(select(models.Reply).where(models.Reply.case_id == case.id).order_by(models.Reply.id)).all()


def sync(session, sink, now, templates, minutes):
    return sync_forwarded(session, sink, now=now + timedelta(minutes=minutes), templates=templates)


def test_open_then_in_progress_then_closed_fixed_resolves_the_case(session, case, forwarded, sink, open311, now,
                                                                    templates):
    assert sync(session, sink, now, templates, 1) == 1
    assert (forwarded.external_status, case.status) == ("open", "forwarded")
    open311.set_status(forwarded.external_id, "in_progress", notes="crew assigned", agency="Roads Directorate")
    sync(session, sink, now, templates, 2)
    assert (forwarded.status_notes, forwarded.agency_responsible, case.status) == (
        "crew assigned", "Roads Directorate", "forwarded")
    assert sync(session, sink, now, templates, 3) == 0  # nothing new, nothing written
    open311.set_status(forwarded.external_id, "closed_fixed", notes="pothole filled")
    sync(session, sink, now, templates, 4)
    assert case.status == "resolved" and case.resolved_at == now + timedelta(minutes=4)
    changes = session.scalars(select(models.Event).where(models.Event.case_id == case.id,
                                                         models.Event.action == "external_status")).all()
    assert [event.after["external_status"] for event in changes] == ["open", "in_progress", "closed_fixed"]
    assert [event.after["effect"] for event in changes] == ["hold", "hold", "resolve"]


def test_closed_not_responsible_does_not_resolve_but_notes_and_hands_the_case_back(
        session, case, forwarded, sink, open311, now, templates):
    open311.set_status(forwarded.external_id, "closed_not_responsible", notes="private road: not ours")
    sync(session, sink, now, templates, 1)
    assert case.status == "in_progress" and case.resolved_at is None
    assert forwarded.status_notes == "private road: not ours"


def test_plain_closed_is_not_fixed(session, case, forwarded, sink, open311, now, templates):
    open311.set_status(forwarded.external_id, "closed", notes="closed after inspection")
    sync(session, sink, now, templates, 1)
    assert case.status == "in_progress"


def test_reopened_reopens_a_resolved_case(session, case, forwarded, sink, open311, now, templates):
    open311.set_status(forwarded.external_id, "closed_fixed")
    sync(session, sink, now, templates, 1)
    assert case.status == "resolved"
    open311.set_status(forwarded.external_id, "reopened", notes="the citizen says it is back")
    sync(session, sink, now, templates, 2)
    assert case.status == "forwarded" and case.resolved_at is None


def test_the_nightly_reconcile_repairs_an_update_the_polls_missed(session, case, forwarded, sink, open311, now,
                                                                  templates):
    sync(session, sink, now, templates, 10)
    # the system records a change with a time before our last poll: `updated_after` hides it
    open311.set_status(forwarded.external_id, "closed_fixed", updated=now)
    sync(session, sink, now, templates, 20)
    assert case.status == "forwarded"
    assert reconcile_forwarded(session, sink, now=now + timedelta(hours=12), templates=templates) == 1
    assert case.status == "resolved"


def test_a_status_with_a_template_drafts_a_reply_with_the_tracking_number_for_approval(
        session, case, forwarded, sink, open311, now, templates):
    sync(session, sink, now, templates, 1)
    [draft] = replies(session, case)
    assert draft.state == "draft" and draft.approved_at is None
    assert forwarded.external_id in draft.text and "tracking number" in draft.text
    open311.set_status(forwarded.external_id, "in_progress", notes="crew assigned")  # no template: no reply
    sync(session, sink, now, templates, 2)
    assert len(replies(session, case)) == 1
