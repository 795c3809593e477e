"""Forwarding from the case page and the queue: who may, what the page then shows."""

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from monitor import models
from monitor.pipeline.forward import forward_complaints
from monitor.pipeline.forward_sync import sync_forwarded
from monitor.settings import Settings
from monitor.sinks.complaints import ComplaintsSink, load_service_codes
from monitor.web.app import create_app
from monitor.worker import forward_job, forward_sync_job, replies_job
from tests.conftest import DATA, fresh_database_url
from tests.stand_ins.open311 import API_KEY
from tests.web.conftest import add_posts, post_form, prepared_services, sign_in

POTHOLE = "@WorksMinistry huge pothole on the highway, please fix"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def services(request, tmp_path_factory, tiny_tagger, open311_server):
    """The web fixture's database and personas, with forwarding to the stand-in switched on."""
    tmp = tmp_path_factory.mktemp("forward-web")
    for url in fresh_database_url(request.param, tmp):
        settings = Settings(home=tmp, database_url=url, secret_key="test-key-" + "x" * 32,
                            complaints_url=open311_server[1], complaints_api_key=API_KEY,
                            complaints_allow_private=True, complaints_timeout_seconds=0.5)
        services = prepared_services(settings, tiny_tagger)
        yield services
        if "complaints_sink" in services.__dict__:
            services.complaints_sink.close()
        services.engine.dispose()


@pytest.fixture
def client(services):
    with TestClient(create_app(services), base_url="http://127.0.0.1") as client:
        yield client


def run_worker(services, minutes=0):
    sink = ComplaintsSink(services.settings, load_service_codes(DATA / "units.yaml"))
    now = datetime.now(UTC) + timedelta(minutes=minutes)
    with services.sessions() as session:
        forward_complaints(session, sink, now=now)
        sync_forwarded(session, sink, now=now, templates=services.reply_templates)
    sink.close()


def forward_case(client, case_id):
    page = client.get(f"/cases/{case_id}").text
    version = page.split('data-version="')[1].split('"')[0]
    return post_form(client, f"/cases/{case_id}/forward", version=version)


def forwards_of(services, case_id):
    with services.sessions() as session:
        return session.scalars(select(models.Forward).where(models.Forward.case_id == case_id)).all()


@pytest.mark.parametrize(("persona", "allowed"), [("officer", True), ("supervisor", True), ("roads", True),
                                                  ("outsider", False), ("viewer", False)])
def test_agents_supervisors_and_the_cases_own_unit_may_forward(services, client, open311, persona, allowed):
    [case] = add_posts(services, POTHOLE)
    sign_in(client, persona)
    assert ('id="forward"' in client.get(f"/cases/{case.id}").text) == allowed
    response = forward_case(client, case.id) if allowed else post_form(client, f"/cases/{case.id}/forward",
                                                                       version="1")
    assert response.status_code == (303 if allowed else 403)
    assert len(forwards_of(services, case.id)) == (1 if allowed else 0)


def test_the_case_shows_the_tracking_number_status_and_notes(services, client, open311):
    [case] = add_posts(services, POTHOLE)
    sign_in(client, "officer")
    forward_case(client, case.id)
    run_worker(services)
    [forward] = forwards_of(services, case.id)
    open311.set_status(forward.external_id, "in_progress", notes="crew <b>assigned</b>")
    run_worker(services, minutes=1)
    page = client.get(f"/cases/{case.id}").text
    assert f'id="tracking-number">{forward.external_id}<' in page
    assert 'id="external-status">in_progress<' in page
    assert "crew &lt;b&gt;assigned&lt;/b&gt;" in page  # the system's notes are escaped like any outside text
    assert 'id="forward"' not in page  # the system holds it


def test_a_refusal_is_shown_on_the_case_with_the_systems_reason(services, client, open311):
    [case] = add_posts(services, POTHOLE)
    sign_in(client, "officer")
    forward_case(client, case.id)
    open311.fail_next("400")
    run_worker(services)
    page = client.get(f"/cases/{case.id}").text
    assert 'id="forward-error"' in page and "service_code is not valid for this jurisdiction" in page


def test_a_form_built_on_an_older_version_is_refused(services, client, open311):
    [case] = add_posts(services, POTHOLE)
    sign_in(client, "officer")
    response = post_form(client, f"/cases/{case.id}/forward", version=str(case.version - 1))
    assert response.status_code == 409 and forwards_of(services, case.id) == []


def test_bulk_forward_forwards_each_selected_case_the_user_may_work_on(services, client, open311):
    cases = add_posts(services, POTHOLE, "@WorksMinistry another pothole on our road")
    sign_in(client, "roads")
    post_form(client, "/bulk", action="forward:", case=[str(case.id) for case in cases])
    assert all(len(forwards_of(services, case.id)) == 1 for case in cases)


def test_round_trip_post_case_forward_tracking_number_status_drafted_reply_approved_sent(services, client, open311):
    """post → case → forward → tracking number → status change → drafted reply → approved → sent (console)."""
    [case] = add_posts(services, POTHOLE)
    sign_in(client, "officer")
    forward_case(client, case.id)
    forward_job(services)
    forward_sync_job(services)
    [forward] = forwards_of(services, case.id)
    assert forward.state == "sent" and forward.external_status == "open"
    open311.set_status(forward.external_id, "closed_fixed", notes="pothole filled")
    forward_sync_job(services)
    replies_job(services)  # nothing goes out before a person approves
    with services.sessions() as session:
        assert session.get_one(models.Case, case.id).status == "resolved"
        drafts = session.scalars(select(models.Reply).where(models.Reply.case_id == case.id)
                                 .order_by(models.Reply.id)).all()
    assert [reply.state for reply in drafts] == ["draft", "draft"]
    assert all(forward.external_id in reply.text for reply in drafts)
    sign_in(client, "supervisor")
    post_form(client, f"/cases/{case.id}/replies/{drafts[-1].id}/approve")
    replies_job(services)
    sent = (services.settings.home / "outbox" / "console-replies.jsonl").read_text(encoding="utf-8")
    assert f"tracking number {forward.external_id} has been fixed" in sent
    with services.sessions() as session:
        assert session.get_one(models.Reply, drafts[-1].id).state == "sent"
        assert session.get_one(models.Reply, drafts[0].id).state == "draft"


def test_the_queue_filters_by_tracking_number_and_national_status(services, client, open311):
    [case, other] = add_posts(services, POTHOLE, "@WorksMinistry another pothole on road 12")
    sign_in(client, "officer")
    forward_case(client, case.id)
    run_worker(services)
    [forward] = forwards_of(services, case.id)
    open311.set_status(forward.external_id, "in_progress", notes="crew assigned")
    run_worker(services, minutes=1)
    by_number = client.get("/", params={"status": "all", "tracking": forward.external_id}).text
    assert case.reference in by_number and other.reference not in by_number
    by_status = client.get("/", params={"status": "all", "external": "in_progress"}).text
    assert case.reference in by_status and other.reference not in by_status


def test_the_api_forwards_a_case_and_the_worker_sends_it(services, open311):
    from tests.web.test_api import bearer

    [case] = add_posts(services, POTHOLE)
    with TestClient(create_app(services), base_url="http://127.0.0.1") as api:
        answer = api.post(f"/api/cases/{case.id}/forward", headers=bearer(services, "officer"))
        assert answer.status_code == 202 and answer.json()["state"] == "pending"
        again = api.post(f"/api/cases/{case.id}/forward", headers=bearer(services, "officer"))
        assert again.status_code == 409  # already on its way
    run_worker(services)
    [forward] = forwards_of(services, case.id)
    assert forward.state == "sent" and forward.external_id
