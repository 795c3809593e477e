"""The JSON API with per-user tokens: the same actions and permission checks as the pages."""

import pytest
from fastapi.testclient import TestClient

from monitor import models
from monitor.accounts import create_token
from monitor.web.app import create_app
from tests.web.conftest import add_posts


@pytest.fixture
def api(services):
    with TestClient(create_app(services), base_url="http://127.0.0.1") as client:
        yield client


def bearer(services, username):
    from datetime import UTC, datetime

    from sqlalchemy import select

    with services.sessions() as session:
        user = session.scalars(select(models.User).where(models.User.username == username)).one()
        token = create_token(session, user, "test", now=datetime.now(UTC))
        session.commit()
    return {"Authorization": f"Bearer {token}"}


def test_requests_without_a_valid_token_are_refused(api):
    assert api.get("/api/cases").status_code == 401
    assert api.get("/api/cases", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_list_get_correct_reply_approve_and_resolve(api, services):
    [case] = add_posts(services, "@WorksMinistry pothole on our road, please fix")
    officer, supervisor = bearer(services, "officer"), bearer(services, "supervisor")
    listed = api.get("/api/cases", params={"status": "all", "q": "pothole on our road"}, headers=officer).json()
    assert [item["reference"] for item in listed["cases"]] == [case.reference]
    detail = api.get(f"/api/cases/{case.id}", headers=officer).json()
    assert detail["posts"][0]["text"] == "@WorksMinistry pothole on our road, please fix"
    corrected = api.post(f"/api/cases/{case.id}/correct", json={"unit": "sewerage"}, headers=officer).json()
    assert corrected["unit"] == "sewerage"
    reply = api.post(f"/api/cases/{case.id}/replies", json={"text": "We are on it."}, headers=officer).json()
    assert reply["state"] == "draft"
    assert api.post(f"/api/replies/{reply['id']}/approve", headers=officer).status_code == 403
    assert api.post(f"/api/replies/{reply['id']}/approve", headers=supervisor).json()["state"] == "approved"
    resolved = api.post(f"/api/cases/{case.id}/resolve", headers=officer).json()
    assert resolved["status"] == "resolved"
    assert api.post(f"/api/cases/{case.id}/resolve", headers=officer).status_code == 409


def test_a_unit_token_cannot_reach_another_units_case(api, services):
    [case] = add_posts(services, "@WorksMinistry huge pothole on the highway")
    assert api.get(f"/api/cases/{case.id}", headers=bearer(services, "outsider")).status_code == 403
    assert api.get("/api/cases/999999", headers=bearer(services, "officer")).status_code == 404


def test_the_api_is_described_by_openapi(api):
    paths = api.get("/openapi.json").json()["paths"]
    assert {"/api/cases", "/api/cases/{case_id}", "/api/cases/{case_id}/correct",
            "/api/replies/{reply_id}/approve"} <= set(paths)
