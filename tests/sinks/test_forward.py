"""Forwarding a case through the outbox, on SQLite and PostgreSQL, against the Open311 stand-in."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from monitor import models
from monitor.pipeline.forward import ForwardError, build_complaint, forward_complaints, request_forward
from monitor.sinks.complaints import ComplaintsSink
from tests.sinks.conftest import complaints_settings


def events(session, case):
    return session.scalars(select(models.Event.action).where(models.Event.case_id == case.id)
                           .order_by(models.Event.id)).all()


def posts_sent(open311):
    return [call for call in open311.received if call[:2] == ("POST", "requests.json")]


def test_a_case_is_forwarded_once_with_its_text_reference_link_and_location(session, case, sink, open311, now):
    forward = request_forward(session, case, by=None, now=now, version=case.version)
    assert forward.state == "pending"
    assert forward_complaints(session, sink, now=now) is False
    forward_complaints(session, sink, now=now + timedelta(hours=1))
    [created] = open311.created()
    assert (forward.state, forward.service_code) == ("sent", "POTHOLE")
    assert forward.external_id == created["service_request_id"]
    assert case.status == "forwarded"
    assert "huge pothole" in created["description"] and case.reference in created["description"]
    assert f"https://x.com/i/web/status/{case.posts[0].external_id}" in created["description"]
    assert (float(created["lat"]), float(created["long"])) == (26.2285, 50.5861)
    assert events(session, case)[-2:] == ["forward_requested", "forwarded"]


def test_a_timeout_after_the_server_accepted_never_creates_a_second_complaint(session, case, sink, open311, now):
    open311.fail_next("accept_slow")
    forward = request_forward(session, case, by=None, now=now)
    forward_complaints(session, sink, now=now)
    assert forward.state == "unknown" and len(open311.created()) == 1
    forward_complaints(session, sink, now=now + timedelta(minutes=5))
    [created] = open311.created()
    assert (forward.state, forward.external_id) == ("sent", created["service_request_id"])
    assert len(posts_sent(open311)) == 1
    assert "forwarded" in events(session, case)


def test_a_timeout_with_nothing_created_is_looked_up_then_sent_again(session, case, sink, open311, now):
    open311.fail_next("slow")
    forward = request_forward(session, case, by=None, now=now)
    forward_complaints(session, sink, now=now)
    assert forward.state == "unknown" and open311.created() == []
    forward_complaints(session, sink, now=now + timedelta(minutes=5))
    assert forward.state == "sent" and len(open311.created()) == 1
    assert "forward_not_received" in events(session, case)


def test_a_token_is_resolved_to_a_tracking_number_by_a_later_run(session, case, sink, open311, now):
    open311.answer_tokens, open311.tokens_resolve = True, False
    forward = request_forward(session, case, by=None, now=now)
    forward_complaints(session, sink, now=now)
    assert forward.state == "sent" and forward.token and forward.external_id is None
    forward_complaints(session, sink, now=now + timedelta(minutes=1))
    assert forward.external_id is None
    open311.resolve_tokens()
    forward_complaints(session, sink, now=now + timedelta(minutes=2))
    assert forward.external_id == open311.created()[0]["service_request_id"]
    assert "forward_tracking_number" in events(session, case)


def test_a_400_fails_for_good_with_the_systems_reason_and_is_not_retried(session, case, sink, open311, now):
    open311.fail_next("400")
    forward = request_forward(session, case, by=None, now=now)
    forward_complaints(session, sink, now=now)
    forward_complaints(session, sink, now=now + timedelta(days=1))
    assert forward.state == "failed"
    assert "service_code is not valid for this jurisdiction" in forward.error
    assert len(posts_sent(open311)) == 1 and case.status != "forwarded"


def test_a_500_is_retried_after_the_backoff_and_then_succeeds(session, case, sink, open311, now):
    open311.fail_next("500")
    forward = request_forward(session, case, by=None, now=now)
    forward_complaints(session, sink, now=now)
    assert forward.state == "unknown" and forward.next_attempt_at == now + timedelta(seconds=30)
    forward_complaints(session, sink, now=now + timedelta(seconds=10))
    assert len(posts_sent(open311)) == 1  # not before the backoff
    forward_complaints(session, sink, now=now + timedelta(seconds=31))
    assert forward.state == "sent" and forward.attempts == 2
    assert len(posts_sent(open311)) == 2 and len(open311.created()) == 1


def test_a_unit_without_a_service_code_fails_with_a_reason_an_agent_can_act_on(session, case, sink, open311, now):
    case.unit = session.scalars(select(models.Unit).where(models.Unit.slug == "triage")).one()
    session.commit()
    forward = request_forward(session, case, by=None, now=now)
    forward_complaints(session, sink, now=now)
    assert forward.state == "failed" and "add it under `open311` in data/units.yaml" in forward.error
    assert posts_sent(open311) == []


def test_a_wrong_api_key_fails_for_good(session, case, open311, open311_server, tmp_path, now):
    settings = complaints_settings(open311_server[1], tmp_path, complaints_api_key="wrong")
    sink = ComplaintsSink(settings, {"roads": {"complaint": "POTHOLE"}})
    forward = request_forward(session, case, by=None, now=now)
    forward_complaints(session, sink, now=now)
    sink.close()
    assert forward.state == "failed" and "API key" in forward.error


def test_a_case_in_flight_or_closed_cannot_be_forwarded_again(session, case, sink, now):
    request_forward(session, case, by=None, now=now)
    with pytest.raises(ForwardError, match="already being forwarded"):
        request_forward(session, case, by=None, now=now)
    forward_complaints(session, sink, now=now)
    with pytest.raises(ForwardError, match="a forwarded case cannot be forwarded"):
        request_forward(session, case, by=None, now=now)


def test_a_worker_that_died_mid_send_has_its_forward_looked_up_not_resent(session, case, sink, open311, now):
    forward = request_forward(session, case, by=None, now=now)
    forward.state, forward.service_code, forward.updated_at = "sending", "POTHOLE", now
    session.commit()
    sink.send(build_complaint(session, forward, case))  # it reached the system; then the worker died
    forward_complaints(session, sink, now=now + timedelta(minutes=5))
    assert forward.state == "sending"  # too early to tell a crash from a slow call
    forward_complaints(session, sink, now=now + timedelta(minutes=11))
    [created] = open311.created()
    assert (forward.state, forward.external_id) == ("sent", created["service_request_id"])
    assert len(posts_sent(open311)) == 1
